package dev.peerdist.node.retrieval;

import java.time.Duration;

/**
 * Settings of {@link DownloadScheduler}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>maxInFlightPerPeer</td><td>4</td><td>requests outstanding to the fastest peer; slower peers
 *       get proportionally fewer (at least 1)</td></tr>
 *   <tr><td>initialHedgeDelay</td><td>500 ms</td><td>hedge delay until enough latencies are known</td></tr>
 *   <tr><td>minHedgeDelay</td><td>20 ms</td><td>floor of the measured hedge delay</td></tr>
 *   <tr><td>hedgePercentile</td><td>0.9</td><td>hedge a block slower than this percentile of recent
 *       block latencies, times hedgeFactor</td></tr>
 *   <tr><td>hedgeFactor</td><td>2.0</td><td></td></tr>
 *   <tr><td>busyBackoff</td><td>200 ms</td><td>pause for a peer that answered busy/empty</td></tr>
 *   <tr><td>failureBackoff</td><td>500 ms</td><td>first pause after a timeout or I/O error; doubles
 *       per consecutive failure up to maxBackoff</td></tr>
 *   <tr><td>maxBackoff</td><td>8 s</td><td></td></tr>
 *   <tr><td>maxAttemptsPerBlock</td><td>6</td><td>failed peer attempts before the block goes to the
 *       fallback</td></tr>
 * </table>
 */
public record SchedulerConfig(
    int maxInFlightPerPeer,
    Duration initialHedgeDelay,
    Duration minHedgeDelay,
    double hedgePercentile,
    double hedgeFactor,
    Duration busyBackoff,
    Duration failureBackoff,
    Duration maxBackoff,
    int maxAttemptsPerBlock) {

  public SchedulerConfig {
    if (maxInFlightPerPeer < 1) {
      throw new IllegalArgumentException("maxInFlightPerPeer must be >= 1, got " + maxInFlightPerPeer);
    }
    if (maxAttemptsPerBlock < 1) {
      throw new IllegalArgumentException("maxAttemptsPerBlock must be >= 1, got " + maxAttemptsPerBlock);
    }
    if (!(hedgePercentile > 0 && hedgePercentile <= 1)) {
      throw new IllegalArgumentException("hedgePercentile must be in (0, 1], got " + hedgePercentile);
    }
    if (!(hedgeFactor >= 1)) {
      throw new IllegalArgumentException("hedgeFactor must be >= 1, got " + hedgeFactor);
    }
    for (Duration d : new Duration[] {initialHedgeDelay, minHedgeDelay, busyBackoff, failureBackoff, maxBackoff}) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException("durations must be >= 0, got " + d);
      }
    }
  }

  public static SchedulerConfig defaults() {
    return new SchedulerConfig(4, Duration.ofMillis(500), Duration.ofMillis(20), 0.9, 2.0,
        Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(8), 6);
  }

  public SchedulerConfig withMaxInFlightPerPeer(int n) {
    return new SchedulerConfig(n, initialHedgeDelay, minHedgeDelay, hedgePercentile, hedgeFactor, busyBackoff,
        failureBackoff, maxBackoff, maxAttemptsPerBlock);
  }

  public SchedulerConfig withHedgeDelays(Duration initial, Duration min) {
    return new SchedulerConfig(maxInFlightPerPeer, initial, min, hedgePercentile, hedgeFactor, busyBackoff,
        failureBackoff, maxBackoff, maxAttemptsPerBlock);
  }

  public SchedulerConfig withBackoffs(Duration busy, Duration failure, Duration max) {
    return new SchedulerConfig(maxInFlightPerPeer, initialHedgeDelay, minHedgeDelay, hedgePercentile, hedgeFactor,
        busy, failure, max, maxAttemptsPerBlock);
  }
}
