package dev.peerdist.simulator.model;

import java.time.Duration;

/**
 * The site a {@link SiteSimulation} models: S subnets of N nodes behind one WAN link to the
 * publishing server, one package rolled out to every node.
 *
 * <table>
 *   <caption>Defaults ({@link #defaults()})</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>subnets</td><td>2</td><td>discovery (multicast) domains; peers are found only within one</td></tr>
 *   <tr><td>nodesPerSubnet</td><td>50</td><td></td></tr>
 *   <tr><td>sizeBytes</td><td>256 MiB</td><td>the package; V1 64 KiB blocks, 32 MiB segments</td></tr>
 *   <tr><td>wanBitsPerSecond</td><td>20 Mbit/s</td><td>the site's one WAN link, FIFO queue</td></tr>
 *   <tr><td>wanRtt</td><td>40 ms</td><td>round trip to the publishing server</td></tr>
 *   <tr><td>lanBitsPerSecond</td><td>1 Gbit/s</td><td>each node's LAN link, each direction</td></tr>
 *   <tr><td>lanLatency</td><td>0.2 ms</td><td>one way, per node link</td></tr>
 *   <tr><td>rolloutWindow</td><td>60 s</td><td>node start times uniform in [0, window)</td></tr>
 *   <tr><td>probeWait</td><td>100 ms</td><td>how long a PCCRD probe collects answers</td></tr>
 *   <tr><td>uploadSlots</td><td>8</td><td>PCCRR requests a node serves at once; more get the empty
 *       (busy) answer, PROTOCOL.md §4.6</td></tr>
 *   <tr><td>originConcurrency</td><td>4</td><td>range requests a node keeps open to the origin</td></tr>
 *   <tr><td>readAhead</td><td>2</td><td>segments a node locates and fetches at once</td></tr>
 *   <tr><td>peerTimeout</td><td>2 s</td><td>when a request to a vanished peer ends as TIMEOUT</td></tr>
 *   <tr><td>vanishFraction</td><td>0</td><td>nodes that leave mid-download (stop serving and fetching)</td></tr>
 *   <tr><td>corruptFraction</td><td>0</td><td>nodes whose every served block fails verification</td></tr>
 *   <tr><td>seed</td><td>1</td><td>everything random derives from it</td></tr>
 *   <tr><td>maxEvents</td><td>50,000,000</td><td>the run stops with an error beyond this</td></tr>
 * </table>
 */
public record SiteConfig(
    int subnets,
    int nodesPerSubnet,
    long sizeBytes,
    long wanBitsPerSecond,
    Duration wanRtt,
    long lanBitsPerSecond,
    Duration lanLatency,
    Duration rolloutWindow,
    Duration probeWait,
    int uploadSlots,
    int originConcurrency,
    int readAhead,
    Duration peerTimeout,
    double vanishFraction,
    double corruptFraction,
    long seed,
    long maxEvents) {

  /** Most nodes a site may have: bounds memory and run time. */
  public static final int MAX_NODES = 5_000;
  /** Largest package: 64 GiB. */
  public static final long MAX_SIZE = 64L << 30;
  /** V1 block size (PROTOCOL.md §2.1). */
  public static final int BLOCK_SIZE = 64 * 1024;
  /** V1 segment size: 512 blocks (PROTOCOL.md §2.1). */
  public static final int BLOCKS_PER_SEGMENT = 512;

  public SiteConfig {
    check(subnets >= 1 && nodesPerSubnet >= 1, "subnets and nodes-per-subnet must be >= 1");
    check((long) subnets * nodesPerSubnet <= MAX_NODES,
        "at most " + MAX_NODES + " nodes, got " + ((long) subnets * nodesPerSubnet));
    check(sizeBytes >= 1 && sizeBytes <= MAX_SIZE, "size must be within 1 B..64 GiB, got " + sizeBytes);
    check(wanBitsPerSecond >= 1000, "wan bandwidth must be >= 1 kbit/s, got " + wanBitsPerSecond);
    check(lanBitsPerSecond >= 1000, "lan bandwidth must be >= 1 kbit/s, got " + lanBitsPerSecond);
    for (Duration d : new Duration[] {wanRtt, lanLatency, rolloutWindow, probeWait, peerTimeout}) {
      check(d != null && !d.isNegative() && d.compareTo(Duration.ofDays(1)) <= 0,
          "durations must be within 0..1 day, got " + d);
    }
    check(peerTimeout.toNanos() > 0, "peer timeout must be > 0");
    check(uploadSlots >= 1 && originConcurrency >= 1 && readAhead >= 1,
        "upload slots, origin concurrency and read-ahead must be >= 1");
    check(vanishFraction >= 0 && vanishFraction <= 1, "vanish fraction must be within 0..1, got " + vanishFraction);
    check(corruptFraction >= 0 && corruptFraction <= 1,
        "corrupt fraction must be within 0..1, got " + corruptFraction);
    check(maxEvents >= 1, "max events must be >= 1");
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public static SiteConfig defaults() {
    return new SiteConfig(2, 50, 256L << 20, 20_000_000L, Duration.ofMillis(40), 1_000_000_000L,
        Duration.ofNanos(200_000), Duration.ofSeconds(60), Duration.ofMillis(100), 8, 4, 2,
        Duration.ofSeconds(2), 0, 0, 1, 50_000_000L);
  }

  public int nodes() {
    return subnets * nodesPerSubnet;
  }

  public int blocks() {
    return (int) ((sizeBytes + BLOCK_SIZE - 1) / BLOCK_SIZE);
  }

  public int segments() {
    return (blocks() + BLOCKS_PER_SEGMENT - 1) / BLOCKS_PER_SEGMENT;
  }

  /** Bytes of global block {@code b} (the last may be short). */
  public int blockBytes(int b) {
    long start = (long) b * BLOCK_SIZE;
    return (int) Math.min(BLOCK_SIZE, sizeBytes - start);
  }

  /**
   * The ideal completion time, the same bound as {@code scenario.Ideal} for this site (docs/SIMULATOR.md):
   * max(subnets × package ÷ WAN rate, package ÷ LAN rate) + 2 × WAN RTT (each subnet needs its own copy
   * across the one WAN link; the RTTs open the connection and make the first request).
   */
  public double idealSeconds() {
    double bits = sizeBytes * 8.0;
    return Math.max(subnets * bits / wanBitsPerSecond, bits / lanBitsPerSecond) + 2 * wanRtt.toNanos() / 1e9;
  }

  public SiteConfig withNodes(int subnets, int nodesPerSubnet) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, seed, maxEvents);
  }

  public SiteConfig withSize(long bytes) {
    return new SiteConfig(subnets, nodesPerSubnet, bytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, seed, maxEvents);
  }

  public SiteConfig withLinks(long wanBps, long lanBps) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBps, wanRtt, lanBps, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, seed, maxEvents);
  }

  public SiteConfig withRollout(Duration window) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        window, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, seed, maxEvents);
  }

  public SiteConfig withFaults(double vanish, double corrupt) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanish, corrupt,
        seed, maxEvents);
  }

  public SiteConfig withSeed(long s) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, s, maxEvents);
  }

  public SiteConfig withMaxEvents(long n) {
    return new SiteConfig(subnets, nodesPerSubnet, sizeBytes, wanBitsPerSecond, wanRtt, lanBitsPerSecond, lanLatency,
        rolloutWindow, probeWait, uploadSlots, originConcurrency, readAhead, peerTimeout, vanishFraction,
        corruptFraction, seed, n);
  }
}
