package dev.peerdist.node.retrieval;

import dev.peerdist.discovery.PeerEndpoint;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a download did, for the daemon's byte attribution and metrics.
 *
 * @param sources where each block came from, in completion order
 * @param failed blocks neither peers nor the fallback could supply (verified)
 * @param peerOutcomes per peer, how many requests ended with each outcome
 * @param droppedPeers peers that sent bad data and were dropped for this download
 */
public record DownloadReport(
    List<BlockSource> sources,
    List<BlockRef> failed,
    Map<PeerEndpoint, Map<Outcome, Integer>> peerOutcomes,
    Set<PeerEndpoint> droppedPeers) {

  /** Where a block came from. */
  public enum Origin {
    /** Already in the store before the download began. */
    ALREADY_HELD,
    /** A peer (named). */
    PEER,
    /** The fallback, with the scheduler's reason. */
    FALLBACK
  }

  /**
   * One block's source.
   *
   * @param peer the peer for {@link Origin#PEER}, else null
   * @param reason for FALLBACK the {@link DownloadScheduler.FallbackReason}; else empty
   */
  public record BlockSource(BlockRef block, Origin origin, PeerEndpoint peer, String reason, int bytes) {}

  public DownloadReport {
    sources = List.copyOf(sources);
    failed = List.copyOf(failed);
    peerOutcomes = Map.copyOf(peerOutcomes);
    droppedPeers = Set.copyOf(droppedPeers);
  }

  /** True when every wanted block is now held and verified. */
  public boolean complete() {
    return failed.isEmpty();
  }

  /** Plaintext bytes that came from {@code origin}. */
  public long bytesFrom(Origin origin) {
    long n = 0;
    for (BlockSource s : sources) {
      if (s.origin() == origin) {
        n += s.bytes();
      }
    }
    return n;
  }

  /** Requests to {@code peer} that ended with {@code outcome}. */
  public int count(PeerEndpoint peer, Outcome outcome) {
    Map<Outcome, Integer> m = peerOutcomes.get(peer);
    return m == null ? 0 : m.getOrDefault(outcome, 0);
  }
}
