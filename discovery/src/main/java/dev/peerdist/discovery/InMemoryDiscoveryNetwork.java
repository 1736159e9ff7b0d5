package dev.peerdist.discovery;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A shared in-memory "subnet" that {@link InMemoryPeerDirectory} instances join: a probe from
 * one member is answered by every other open member that holds a key, exactly as PCCRD
 * responders would answer (same profile code). For unit tests and the simulator.
 *
 * <p>Deterministic: members answer in join order and every answer reports {@link #latency()}.
 */
public final class InMemoryDiscoveryNetwork {
  private final List<InMemoryPeerDirectory> members = new CopyOnWriteArrayList<>();
  private final Duration latency;

  /** A network whose answers report zero latency. */
  public InMemoryDiscoveryNetwork() {
    this(Duration.ZERO);
  }

  /** A network whose answers report {@code latency} (no real waiting happens). */
  public InMemoryDiscoveryNetwork(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, got " + latency);
    }
    this.latency = latency;
  }

  public Duration latency() {
    return latency;
  }

  /** Joins a new directory that advertises {@code peer} for PCCRR. */
  public InMemoryPeerDirectory join(PeerEndpoint peer) {
    InMemoryPeerDirectory d = new InMemoryPeerDirectory(this, peer);
    members.add(d);
    return d;
  }

  List<InMemoryPeerDirectory> members() {
    return members;
  }

  void leave(InMemoryPeerDirectory d) {
    members.remove(d);
  }
}
