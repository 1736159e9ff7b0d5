package dev.peerdist.discovery;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;

/**
 * A shared in-memory "subnet" that {@link InMemoryPeerDirectory} instances join: a probe from
 * one member is heard by every other open member and answered by those that hold a key, exactly
 * as PCCRD responders would answer (same profile code). For unit tests and the simulator.
 *
 * <p>Deterministic: members hear and answer in join order, every answer reports {@link
 * #latency()}, and MessageIDs come from one seeded generator.
 */
public final class InMemoryDiscoveryNetwork {
  private final List<InMemoryPeerDirectory> members = new CopyOnWriteArrayList<>();
  private final Duration latency;
  private final RandomGenerator random;

  /** A network whose answers report zero latency. */
  public InMemoryDiscoveryNetwork() {
    this(Duration.ZERO);
  }

  /** A network whose answers report {@code latency} (no real waiting happens). */
  public InMemoryDiscoveryNetwork(Duration latency) {
    this(latency, new SplittableRandom(0));
  }

  /**
   * A network whose answers report {@code latency} and whose MessageIDs and endpoint ids come
   * from {@code random} (used under the network's lock).
   */
  public InMemoryDiscoveryNetwork(Duration latency, RandomGenerator random) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, got " + latency);
    }
    this.latency = latency;
    this.random = java.util.Objects.requireNonNull(random, "random");
  }

  public Duration latency() {
    return latency;
  }

  /** Joins a new directory that advertises {@code peer} for PCCRR. */
  public InMemoryPeerDirectory join(PeerEndpoint peer) {
    InMemoryPeerDirectory d = new InMemoryPeerDirectory(this, peer, "urn:uuid:" + randomUuid());
    members.add(d);
    return d;
  }

  List<InMemoryPeerDirectory> members() {
    return members;
  }

  void leave(InMemoryPeerDirectory d) {
    members.remove(d);
  }

  /** A random version 4 UUID in canonical text. */
  synchronized String randomUuid() {
    long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new java.util.UUID(msb, lsb).toString();
  }

  /** Runs {@code f} with the network's generator, under its lock. */
  synchronized <T> T withRandom(java.util.function.Function<RandomGenerator, T> f) {
    return f.apply(random);
  }
}
