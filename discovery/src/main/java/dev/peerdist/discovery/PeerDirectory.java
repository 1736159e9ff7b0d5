package dev.peerdist.discovery;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Finds which peers hold which keys, and answers others' questions about ours.
 *
 * <p>The real implementation is PCCRD (WS-Discovery multicast); an in-memory twin serves unit
 * tests and the simulator. Both pass {@code PeerDirectoryConformanceTest}.
 */
public interface PeerDirectory extends AutoCloseable {

  /**
   * Asks who holds any of {@code keys} (all of one {@link DiscoveryKey.Form}). The future
   * completes with every match received before {@code wait} ends, or earlier once
   * {@code enoughPeers} distinct peers answered. It never completes exceptionally for "nobody
   * answered": that is an empty list.
   */
  CompletableFuture<List<ProbeMatch>> probe(List<DiscoveryKey> keys, Duration wait, int enoughPeers);

  /** Sets what this node answers for; until set, it answers nothing. */
  void serve(LocalHoldings holdings);

  /** Stops answering and probing; idempotent. */
  @Override
  void close();
}
