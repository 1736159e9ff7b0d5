package dev.peerdist.discovery;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one place discovery counts its events: a {@link DiscoveryListener} that adds each event to
 * its counter and passes it on to the node's listener (its Micrometer meters). The directory
 * reports every event here once, so {@link #stats()} and the node's meters can never disagree;
 * before issue 13 the directory kept fourteen AtomicLongs beside the listener calls.
 *
 * <p>Thread-safe (called on discovery threads); the downstream listener is called after the
 * count, and a failure there is its own (it must not throw, as every listener).
 */
public final class DiscoveryCounters implements DiscoveryListener {
  private final DiscoveryListener next;
  private final LongAdder probesSent = new LongAdder();
  private final LongAdder matchesReceived = new LongAdder();
  private final LongAdder repliesSent = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder ignored = new LongAdder();
  private final LongAdder[] probeDrops = adders(ProbeDrop.values().length);
  private final LongAdder[] matchDrops = adders(MatchDrop.values().length);
  private final LongAdder trimmedIds = new LongAdder();

  /** Counts, then passes every event to {@code next} ({@link DiscoveryListener#NONE} for none). */
  public DiscoveryCounters(DiscoveryListener next) {
    this.next = next == null ? NONE : next;
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** A snapshot of the counters. */
  public DiscoveryStats stats() {
    return new DiscoveryStats(probesSent.sum(), matchesReceived.sum(), repliesSent.sum(), malformed.sum(),
        ignored.sum(), drops(ProbeDrop.DUPLICATE), drops(ProbeDrop.RATE_LIMITED), drops(ProbeDrop.SOURCE_RATE_LIMITED),
        drops(ProbeDrop.OFF_SUBNET), drops(ProbeDrop.SUPPRESSED), matchDrops[MatchDrop.OFF_SUBNET.ordinal()].sum(),
        matchDrops[MatchDrop.UNSOLICITED.ordinal()].sum(), matchDrops[MatchDrop.NO_ADDRESS.ordinal()].sum(),
        trimmedIds.sum());
  }

  private long drops(ProbeDrop reason) {
    return probeDrops[reason.ordinal()].sum();
  }

  @Override
  public void malformedDatagram(String reason) {
    malformed.increment();
    next.malformedDatagram(reason);
  }

  @Override
  public void datagramIgnored() {
    ignored.increment();
    next.datagramIgnored();
  }

  @Override
  public void probeSent(int keys) {
    probesSent.increment();
    next.probeSent(keys);
  }

  @Override
  public void probeDropped(ProbeDrop reason) {
    probeDrops[reason.ordinal()].increment();
    next.probeDropped(reason);
  }

  @Override
  public void replySent(int keys) {
    repliesSent.increment();
    next.replySent(keys);
  }

  @Override
  public void replyTrimmed(int keys) {
    trimmedIds.add(keys);
    next.replyTrimmed(keys);
  }

  @Override
  public void linkChanged(String link, boolean up) {
    next.linkChanged(link, up);
  }

  @Override
  public void matchReceived(Duration latency) {
    matchesReceived.increment();
    next.matchReceived(latency);
  }

  @Override
  public void matchDropped(MatchDrop reason) {
    matchDrops[reason.ordinal()].increment();
    next.matchDropped(reason);
  }

  @Override
  public void probeCompleted(int peers, Duration elapsed) {
    next.probeCompleted(peers, elapsed);
  }
}
