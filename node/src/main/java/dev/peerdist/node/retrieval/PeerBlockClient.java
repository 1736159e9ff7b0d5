package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The one call {@link BlockFetcher} needs from a PCCRR client; {@link PeerClient} is the real one. */
@FunctionalInterface
public interface PeerBlockClient {
  /** Fetches, decrypts and verifies one block; never completes exceptionally. */
  CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index);

  /**
   * Which of {@code needed} the peer holds (MSG_GETBLKLIST, PROTOCOL.md §4.4). Clients that cannot
   * ask fail the future; the fetcher then relies on the discovery block count alone.
   */
  default CompletableFuture<BlockList> blockList(PeerEndpoint peer, SegmentId id, List<BlockRange> needed) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("no MSG_GETBLKLIST support"));
  }
}
