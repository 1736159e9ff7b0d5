package dev.peerdist.node.download;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import java.util.List;

/**
 * What the {@link DownloadLoop} asks its driver to do. The daemon's driver turns these into PCCRD
 * datagrams, PCCRR requests and origin range requests; the simulator turns them into events of its
 * model. Every request carries an id that its result names.
 */
public sealed interface Action {

  /**
   * Multicast a PCCRD probe for {@code segments} (PROTOCOL.md §3.3). The first {@code fetching}
   * segments are the ones this node is fetching from the origin right now; the driver says so in the
   * probe's tag ({@code ProbeTag} flags), which is how subnet-mates see that the fetcher is alive.
   */
  record SendProbe(List<SegmentId> segments, int fetching) implements Action {
    public SendProbe {
      segments = List.copyOf(segments);
    }
  }

  /**
   * Ask {@code peer} for one block by MSG_GETBLKS (§4.4); answer with {@link DownloadLoop#blockResult}.
   * {@code kind} says why this peer was asked for this block; the wire request is the same for all.
   */
  record GetBlock(long id, PeerEndpoint peer, SegmentId segment, int index, Kind kind) implements Action {
    /** Why a block was asked of a peer (docs/DOWNLOAD.md, "Peers first"); for traces and tests. */
    public enum Kind {
      /** From an ordinary peer: anything it has. */
      COPY,
      /** From a source (a spared complete holder or an origin fetcher): a block this node copies first. */
      FIRST_COPY,
      /** From a source: a block no ordinary holder has had for 3 s. */
      RARE,
      /** From a seed: a fallback of a starving segment. */
      STARVING,
      /** A second ask of a block asked of another peer too long ago. */
      HEDGE
    }
  }

  /**
   * Ask {@code peer} which of the segment's {@code blocks} blocks it holds now, by MSG_GETBLKLIST (§4.4);
   * answer with {@link DownloadLoop#blockList}.
   */
  record AskBlockList(long id, PeerEndpoint peer, SegmentId segment, int blocks) implements Action {}

  /**
   * Fetch blocks {@code first .. first+count-1} of a segment from the publisher with one
   * MissingDataRequest range (§5.2 step 5), streaming: report each verified, stored block with
   * {@link DownloadLoop#originBlock} and the end with {@link DownloadLoop#originEnd}.
   *
   * @param reason why these bytes come from the origin (for the download's record and metrics)
   */
  record FetchOrigin(long id, SegmentId segment, int first, int count, FallbackReason reason) implements Action {}

  /** Stop the origin request {@code id}; blocks already reported are kept. */
  record CancelOrigin(long id) implements Action {}

  /** Every block of the segment is held: readers waiting for it may go on. */
  record SegmentDone(SegmentId segment) implements Action {}

  /** The segment cannot be completed (the origin failed for too long); the message says why. */
  record SegmentFailed(SegmentId segment, String why) implements Action {}
}
