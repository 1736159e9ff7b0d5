package dev.peerdist.simulator.model;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** The simulated clock: nanoseconds since the start of a run, moved only by the event loop. */
final class SimClock extends Clock {
  private long nanos;

  long nanos() {
    return nanos;
  }

  void advanceTo(long t) {
    if (t < nanos) {
      throw new IllegalStateException("simulated time ran backwards: " + t + " < " + nanos);
    }
    nanos = t;
  }

  static Instant toInstant(long nanos) {
    return Instant.ofEpochSecond(0, nanos);
  }

  static long toNanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  @Override
  public Instant instant() {
    return toInstant(nanos);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the simulated clock has one zone");
  }
}
