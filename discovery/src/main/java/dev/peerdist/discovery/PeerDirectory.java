package dev.peerdist.discovery;

import dev.peerdist.discovery.pccrd.ProbeTag;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Finds which peers hold which keys, and answers others' questions about ours.
 *
 * <p>The real implementation is PCCRD (WS-Discovery multicast); an in-memory twin serves unit
 * tests and the simulator. Both pass {@code PeerDirectoryConformanceTest}.
 *
 * <p>Two ways to ask: {@link #probe} collects the answers of one wait into a future (the {@code
 * probe} command); {@link #sendProbe} fires a probe whose answers, like every other answer and
 * every probe heard from other nodes, reach the {@link SubnetListener} set with {@link #listen}
 * (the download loop).
 */
public interface PeerDirectory extends AutoCloseable {

  /**
   * Asks who holds any of {@code keys} (all of one {@link DiscoveryKey.Form}). The future
   * completes with every match received before {@code wait} ends, or earlier once
   * {@code enoughPeers} distinct peers answered. It never completes exceptionally for "nobody
   * answered": that is an empty list. The answers also reach the listener.
   */
  CompletableFuture<List<ProbeMatch>> probe(List<DiscoveryKey> keys, Duration wait, int enoughPeers);

  /** Sets what this node answers for; until set, it answers nothing. */
  void serve(LocalHoldings holdings);

  /** Sets the one listener (replacing the previous one); {@link SubnetListener#NONE} to stop. */
  void listen(SubnetListener listener);

  /**
   * The MessageIDs of probes sent from now on carry {@code tag.get()} ({@link
   * ProbeTag#toMessageId}); the supplier is asked once per probe message, on a discovery thread,
   * and must be fast. A supplier that throws or returns null leaves that probe untagged.
   */
  void tagProbes(Supplier<ProbeTag> tag);

  /**
   * Multicasts a probe for {@code keys} (all of one form; split into datagrams as needed) and
   * returns at once; answers arrive only through the listener. Does nothing once closed.
   *
   * @throws IllegalArgumentException for an empty key list or mixed forms
   */
  default void sendProbe(List<DiscoveryKey> keys) {
    sendProbe(keys, null);
  }

  /**
   * As {@link #sendProbe(List)}, the probe's MessageIDs carrying {@code tag} instead of what the
   * {@link #tagProbes} supplier gives when the probe goes out (null: the supplier's). A tag that
   * says what the sender does at the moment it decided to probe (it fetches these segments) must
   * travel with that probe: read later, on the discovery thread, it may be the next probe's.
   */
  void sendProbe(List<DiscoveryKey> keys, ProbeTag tag);

  /**
   * Whether the listener set with {@link #listen} hears this node's own probes back
   * ({@link SubnetListener#ownProbeHeard}). False unless the directory says so.
   */
  default boolean echoesOwnProbes() {
    return false;
  }

  /** Stops answering and probing; idempotent. */
  @Override
  void close();
}
