package dev.peerdist.discovery.pccrd;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decides whether the responder may spend work and an answer on a probe (PROTOCOL.md §3.6 leaves
 * rate limiting to the implementation). Two token buckets:
 *
 * <ul>
 *   <li><b>Per source</b> ({@code perSourceRate}, {@code perSourceBurst}): one prober cannot use up
 *       the responder. The defaults let a well-behaved client be answered in full: iPXE keeps at
 *       most 32 blocks in flight (peermux), probes the segment of each (for V2 content one probe
 *       per block) and sends each probe twice, 1 s apart, with the same MessageID; a copy of an
 *       answered probe is a duplicate and costs nothing, and a probe dropped here is not
 *       remembered, so its copy gets a second chance a second later, when the bucket has
 *       refilled.
 *   <li><b>Global</b> ({@code globalRate}, {@code globalBurst}): a ceiling for floods from many
 *       (possibly forged) sources, so the node never turns into a reflector of unbounded rate.
 * </ul>
 *
 * <p>A probe takes a token from its source's bucket, then one from the global bucket; when the
 * global bucket is empty the source's token is given back. At most {@code maxSources} sources are
 * tracked (least recently seen forgotten first: a forgotten source starts again with a full
 * bucket, which only the global ceiling bounds). Thread-safe; time comes from the injected
 * clock.
 */
public final class ProbeRateLimiter {
  /** The outcome for one probe. */
  public enum Admission {
    /** Answer it. */
    ADMITTED,
    /** Its source is over its own rate. */
    SOURCE_LIMITED,
    /** All sources together are over the global ceiling. */
    GLOBAL_LIMITED
  }

  private final Clock clock;
  private final double perSourceRate;
  private final int perSourceBurst;
  private final TokenBucket global;
  private final Map<Object, TokenBucket> sources;

  /**
   * @param maxSources sources tracked at once, at least 1
   * @throws IllegalArgumentException when a rate or burst is not positive
   */
  public ProbeRateLimiter(Clock clock, double perSourceRate, int perSourceBurst, double globalRate, int globalBurst,
      int maxSources) {
    if (!(perSourceRate > 0) || !(globalRate > 0) || perSourceBurst < 1 || globalBurst < 1 || maxSources < 1) {
      throw new IllegalArgumentException("probe rate limits must be positive: per source " + perSourceRate + "/s burst "
          + perSourceBurst + ", global " + globalRate + "/s burst " + globalBurst + ", sources " + maxSources);
    }
    this.clock = clock;
    this.perSourceRate = perSourceRate;
    this.perSourceBurst = perSourceBurst;
    this.global = new TokenBucket(globalRate, globalBurst, nanos());
    this.sources = new LinkedHashMap<>(64, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Object, TokenBucket> eldest) {
        return size() > maxSources;
      }
    };
  }

  private long nanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /**
   * Takes the tokens for one probe from {@code source} (any value with equals/hashCode, e.g. the
   * sender's IP address).
   */
  public synchronized Admission admit(Object source) {
    long now = nanos();
    TokenBucket b = sources.get(source);
    if (b == null) {
      b = new TokenBucket(perSourceRate, perSourceBurst, now);
      sources.put(source, b);
    }
    if (!b.take(now)) {
      return Admission.SOURCE_LIMITED;
    }
    if (!global.take(now)) {
      b.giveBack();
      return Admission.GLOBAL_LIMITED;
    }
    return Admission.ADMITTED;
  }

  /** Sources tracked now (for tests and bounds). */
  public synchronized int trackedSources() {
    return sources.size();
  }
}
