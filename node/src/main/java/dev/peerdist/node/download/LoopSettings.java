package dev.peerdist.node.download;

import java.time.Duration;

/**
 * Every setting of the download loop, in one place: the daemon and the simulator build their loops
 * from the same {@link #defaults()} (issue 8: the simulator never runs other settings than the
 * daemon unless a scenario overrides one on purpose).
 *
 * <table>
 *   <caption>Defaults and why</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>requestsPerPeer</td><td>8</td><td>PCCRR requests outstanding to one peer (one block each,
 *       PROTOCOL.md §4.6); enough to keep a LAN link busy over a few pooled connections</td></tr>
 *   <tr><td>requestsInFlight</td><td>64</td><td>PCCRR requests outstanding in total, all segments</td></tr>
 *   <tr><td>neighbors</td><td>32</td><td>holders kept per segment; a random sample is enough to spread load</td></tr>
 *   <tr><td>hedgeAfter</td><td>750 ms</td><td>a block asked of one peer this long is asked of a second</td></tr>
 *   <tr><td>busyBackoff</td><td>150 ms</td><td>pause for a peer that answered empty or busy</td></tr>
 *   <tr><td>failureBackoff / maxBackoff</td><td>250 ms / 8 s</td><td>pause after a timeout or I/O
 *       error, doubling per consecutive failure</td></tr>
 *   <tr><td>peerGoneAfter</td><td>6</td><td>consecutive failures after which a peer is forgotten</td></tr>
 *   <tr><td>banFor</td><td>10 min</td><td>a peer that sent a block failing verification is not asked</td></tr>
 *   <tr><td>blockListInterval</td><td>100 ms</td><td>how often a holder is asked MSG_GETBLKLIST while
 *       it has nothing new for us (§4.4): how holdings spread</td></tr>
 *   <tr><td>discoveryWait</td><td>300 ms</td><td>after the first probe for a segment, how long answers
 *       may take before blocks nobody holds are planned (Windows waits 300 ms, §3.6)</td></tr>
 *   <tr><td>probeMin / probeMax / probePerWanter</td><td>1 s / 10 s / 10 ms</td><td>re-probe cadence for an
 *       incomplete segment: probePerWanter × wanters heard, within [probeMin, probeMax], so a subnet of
 *       1,000 nodes sends about 100 probes a second in all; doubling per re-probe that found no new
 *       holder once every wanter heard is a known holder (docs/DOWNLOAD.md)</td></tr>
 *   <tr><td>membershipWindow</td><td>30 s</td><td>a node heard probing a segment within this window wants it</td></tr>
 *   <tr><td>takeoverAfter</td><td>3 s</td><td>a segment with blocks nobody holds and no sign of its
 *       chosen origin fetcher for this long gets a new fetcher</td></tr>
 *   <tr><td>suspectFor</td><td>30 s</td><td>how long a fetcher that stalled is passed over</td></tr>
 *   <tr><td>answerTarget</td><td>16</td><td>answers a probe should draw in a large swarm; a holder answers
 *       with probability answerTarget ÷ estimated holders</td></tr>
 *   <tr><td>lanPatience</td><td>20 s</td><td>a block some holder has but that could not be fetched for this
 *       long is treated as held by nobody</td></tr>
 *   <tr><td>originRangeBlocks</td><td>64</td><td>blocks per origin range request (4 MiB in V1); the fetcher
 *       re-plans between ranges</td></tr>
 *   <tr><td>originFlows</td><td>2</td><td>origin range requests in flight per node</td></tr>
 *   <tr><td>originRetry / originGiveUp</td><td>1 s / 2 min</td><td>first pause after a failed range (doubling);
 *       a segment fails after this long without any origin progress</td></tr>
 *   <tr><td>wanBudget</td><td>0 (none)</td><td>bytes/s the nodes of a subnet share for origin fetches</td></tr>
 *   <tr><td>readAheadBytes</td><td>128 MiB</td><td>how far past its reader a download fetches</td></tr>
 *   <tr><td>tick</td><td>20 ms</td><td>period of the loop's timer work (hedges, polls, probes, takeovers); each hop of a block through the swarm waits for one, so it must be short (the simulator shows p99 ÷ ideal 1.28 at 50 ms, 1.10 at 20 ms for a 50-node flash crowd)</td></tr>
 * </table>
 */
public record LoopSettings(
    int requestsPerPeer,
    int requestsInFlight,
    int neighbors,
    Duration hedgeAfter,
    Duration busyBackoff,
    Duration failureBackoff,
    Duration maxBackoff,
    int peerGoneAfter,
    Duration banFor,
    Duration blockListInterval,
    Duration discoveryWait,
    Duration probeMin,
    Duration probeMax,
    Duration probePerWanter,
    Duration membershipWindow,
    Duration takeoverAfter,
    Duration suspectFor,
    int answerTarget,
    Duration lanPatience,
    int originRangeBlocks,
    int originFlows,
    Duration originRetry,
    Duration originGiveUp,
    long wanBudget,
    long readAheadBytes,
    Duration tick) {

  public LoopSettings {
    positive("requestsPerPeer", requestsPerPeer);
    positive("requestsInFlight", requestsInFlight);
    positive("neighbors", neighbors);
    positive("peerGoneAfter", peerGoneAfter);
    positive("answerTarget", answerTarget);
    positive("originRangeBlocks", originRangeBlocks);
    positive("originFlows", originFlows);
    if (wanBudget < 0) {
      throw new IllegalArgumentException("wanBudget must be >= 0 (0 = none), got " + wanBudget);
    }
    if (readAheadBytes < 1) {
      throw new IllegalArgumentException("readAheadBytes must be positive, got " + readAheadBytes);
    }
    Duration[] all = {hedgeAfter, busyBackoff, failureBackoff, maxBackoff, banFor, blockListInterval, discoveryWait,
        probeMin, probeMax, probePerWanter, membershipWindow, takeoverAfter, suspectFor, lanPatience,
        originRetry, originGiveUp, tick};
    for (Duration d : all) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException("loop durations must be >= 0, got " + d);
      }
    }
    if (tick.isZero()) {
      throw new IllegalArgumentException("tick must be positive");
    }
    if (probeMax.compareTo(probeMin) < 0) {
      throw new IllegalArgumentException("probeMax " + probeMax + " is below probeMin " + probeMin);
    }
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + v);
    }
  }

  /** The defaults of the table above. */
  public static LoopSettings defaults() {
    return new LoopSettings(8, 64, 32, Duration.ofMillis(750), Duration.ofMillis(150), Duration.ofMillis(250),
        Duration.ofSeconds(8), 6, Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofMillis(300),
        Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMillis(10), Duration.ofSeconds(30),
        Duration.ofSeconds(3), Duration.ofSeconds(30), 16, Duration.ofSeconds(20), 64, 2,
        Duration.ofSeconds(1), Duration.ofMinutes(2), 0, 128L << 20, Duration.ofMillis(20));
  }

  /** The same settings with a subnet WAN budget in bytes per second (0 = none). */
  public LoopSettings withWanBudget(long bytesPerSecond) {
    return new LoopSettings(requestsPerPeer, requestsInFlight, neighbors, hedgeAfter, busyBackoff, failureBackoff,
        maxBackoff, peerGoneAfter, banFor, blockListInterval, discoveryWait, probeMin, probeMax, probePerWanter,
        membershipWindow, takeoverAfter, suspectFor, answerTarget, lanPatience, originRangeBlocks,
        originFlows, originRetry, originGiveUp, bytesPerSecond, readAheadBytes, tick);
  }

  /** The same settings with another read-ahead. */
  public LoopSettings withReadAheadBytes(long bytes) {
    return new LoopSettings(requestsPerPeer, requestsInFlight, neighbors, hedgeAfter, busyBackoff, failureBackoff,
        maxBackoff, peerGoneAfter, banFor, blockListInterval, discoveryWait, probeMin, probeMax, probePerWanter,
        membershipWindow, takeoverAfter, suspectFor, answerTarget, lanPatience, originRangeBlocks,
        originFlows, originRetry, originGiveUp, wanBudget, bytes, tick);
  }

  /** The same settings with another discovery wait. */
  public LoopSettings withDiscoveryWait(Duration wait) {
    return new LoopSettings(requestsPerPeer, requestsInFlight, neighbors, hedgeAfter, busyBackoff, failureBackoff,
        maxBackoff, peerGoneAfter, banFor, blockListInterval, wait, probeMin, probeMax, probePerWanter,
        membershipWindow, takeoverAfter, suspectFor, answerTarget, lanPatience, originRangeBlocks,
        originFlows, originRetry, originGiveUp, wanBudget, readAheadBytes, tick);
  }
}
