package dev.peerdist.discovery.pccrd;

import dev.peerdist.discovery.DiscoveryKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Decides whether and when a responder answers a probe (PROTOCOL.md §3.6, §3.7):
 *
 * <ul>
 *   <li><b>Reply suppression</b> ([PCCRD-24] note &lt;8&gt;): once this node has seen at least
 *       {@link PccrdTiming#SUPPRESSION_THRESHOLD} replies for a segment (from its own probes), it
 *       does not offer that segment when at least that many were full-segment replies, and
 *       otherwise offers it with probability {@link PccrdTiming#SUPPRESSED_REPLY_PROBABILITY}.
 *   <li><b>Back-off</b>: a uniform delay in [1 ms, appMaxDelay] before the reply.
 * </ul>
 *
 * <p>Rate limiting is {@link ProbeRateLimiter}'s job. Chance is injected. Thread-safe
 * (synchronized; it is called once per datagram).
 */
public final class ResponderPolicy {
  private final RandomGenerator random;
  private final Duration appMaxDelay;
  private final boolean suppression;
  private final Map<DiscoveryKey, int[]> observed;

  /**
   * @param appMaxDelay upper bound of the reply back-off, at least 1 ms
   * @param suppression whether note &lt;8&gt; suppression applies
   * @param maxTrackedSegments how many segments' reply observations are remembered (LRU)
   */
  public ResponderPolicy(RandomGenerator random, Duration appMaxDelay, boolean suppression, int maxTrackedSegments) {
    if (appMaxDelay.compareTo(PccrdTiming.MIN_REPLY_DELAY) < 0) {
      throw new IllegalArgumentException("appMaxDelay must be at least 1 ms, got " + appMaxDelay);
    }
    if (maxTrackedSegments < 1) {
      throw new IllegalArgumentException("tracked segments must be positive, got " + maxTrackedSegments);
    }
    this.random = random;
    this.appMaxDelay = appMaxDelay;
    this.suppression = suppression;
    this.observed = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<DiscoveryKey, int[]> eldest) {
        return size() > maxTrackedSegments;
      }
    };
  }

  /** Records a reply this node received for {@code key}, to drive suppression. */
  public synchronized void observeReply(DiscoveryKey key, boolean fullSegment) {
    int[] c = observed.computeIfAbsent(key, k -> new int[2]);
    c[0] = Math.min(Integer.MAX_VALUE - 1, c[0] + 1);
    if (fullSegment) {
      c[1] = Math.min(Integer.MAX_VALUE - 1, c[1] + 1);
    }
  }

  /** The subset of {@code held} this node should offer after reply suppression, in order. */
  public synchronized List<DiscoveryKey> afterSuppression(List<DiscoveryKey> held) {
    if (!suppression) {
      return held;
    }
    List<DiscoveryKey> out = new ArrayList<>(held.size());
    for (DiscoveryKey k : held) {
      int[] c = observed.get(k);
      if (c == null || c[0] < PccrdTiming.SUPPRESSION_THRESHOLD) {
        out.add(k);
      } else if (c[1] < PccrdTiming.SUPPRESSION_THRESHOLD
          && random.nextDouble() < PccrdTiming.SUPPRESSED_REPLY_PROBABILITY) {
        out.add(k);
      }
    }
    return out;
  }

  /** A reply back-off uniform in [1 ms, appMaxDelay], at microsecond granularity. */
  public Duration replyDelay() {
    long minMicros = PccrdTiming.MIN_REPLY_DELAY.toNanos() / 1000;
    long maxMicros = appMaxDelay.toNanos() / 1000;
    long micros;
    synchronized (this) {
      micros = minMicros + random.nextLong(maxMicros - minMicros + 1);
    }
    return Duration.ofNanos(micros * 1000);
  }
}
