package dev.peerdist.node.http;

import java.time.Duration;

/**
 * How long a PCCRR server's store reads have been taking, shared by all its connections, and so
 * where the next request is answered ({@link PeerServerConfig#inlineReadsBelow()}): on the event
 * loop while reads are fast (the page cache, memory), on the store threads once they are slow (a
 * disk), so that slow reads do not hold up the other connections of an event loop: only the first
 * slow read after a fast stretch runs there.
 *
 * <p>The figure is a moving average (weight 1/8) of every read, wherever it ran, so a server that
 * went to the store threads comes back once reads are fast again: after one read of 10 ms among
 * reads of 30 µs, eight fast ones. Updates from several threads may overwrite each other; the average
 * stays a blend of recent reads either way.
 */
final class StoreReadCost {
  private final long limitNanos;
  private volatile long averageNanos;

  StoreReadCost(Duration limit) {
    this.limitNanos = limit.toNanos();
  }

  /** True when the next read may run on the event loop. */
  boolean inline() {
    return averageNanos < limitNanos;
  }

  /** A read took {@code nanos}. */
  void took(long nanos) {
    long a = averageNanos;
    averageNanos = a + ((Math.max(0, nanos) - a) >> 3);
  }
}
