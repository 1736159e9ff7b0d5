package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The delay line's queue follows the WAN's bandwidth-delay product, within its bounds. */
class DelayLineBufferTest {
  @Test
  void twoBandwidthDelayProductsOfTheWan() {
    // 100 Mbit/s = 12.5 MB/s; 20 ms round trip: 250,000 bytes in flight, twice that queued.
    assertEquals(500_000, LiveSite.delayLineBuffer(100_000_000L, Duration.ofMillis(20)));
    assertEquals(5_000_000, LiveSite.delayLineBuffer(1_000_000_000L, Duration.ofMillis(20)));
  }

  @Test
  void neverBelowTheFloorNorAboveTheCap() {
    assertEquals(256 * 1024, LiveSite.delayLineBuffer(100_000_000L, Duration.ZERO));
    assertEquals(256 * 1024, LiveSite.delayLineBuffer(10_000_000L, Duration.ofMillis(20)));
    assertEquals(64L << 20, LiveSite.delayLineBuffer(100_000_000_000L, Duration.ofSeconds(1)));
  }

  @Test
  void socketBuffersAreAQuarterOfTheQueueWithinBounds() {
    assertEquals(125_000, DelayLine.socketBuffer(500_000));
    assertEquals(32 * 1024, DelayLine.socketBuffer(64 * 1024));
    assertEquals(1 << 20, DelayLine.socketBuffer(64L << 20));
  }
}
