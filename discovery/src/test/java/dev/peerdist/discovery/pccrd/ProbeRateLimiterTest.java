package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peerdist.discovery.pccrd.ProbeRateLimiter.Admission;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Per-source and global token buckets on a clock moved by hand. */
class ProbeRateLimiterTest {
  private final ResponderPolicyTest.ManualClock clock = new ResponderPolicyTest.ManualClock();

  @Test
  void aSourceGetsItsBurstThenItsRate() {
    ProbeRateLimiter l = new ProbeRateLimiter(clock, 10, 3, 1000, 1000, 16);
    assertEquals(Admission.ADMITTED, l.admit("a"));
    assertEquals(Admission.ADMITTED, l.admit("a"));
    assertEquals(Admission.ADMITTED, l.admit("a"));
    assertEquals(Admission.SOURCE_LIMITED, l.admit("a"));
    // Another source is not affected by the first one's flood.
    assertEquals(Admission.ADMITTED, l.admit("b"));
    clock.advance(Duration.ofMillis(99));
    assertEquals(Admission.SOURCE_LIMITED, l.admit("a"));
    clock.advance(Duration.ofMillis(2));
    assertEquals(Admission.ADMITTED, l.admit("a"));
    clock.advance(Duration.ofSeconds(100));
    int admitted = 0;
    while (l.admit("a") == Admission.ADMITTED) {
      admitted++;
    }
    assertEquals(3, admitted, "refill is capped at the burst");
  }

  @Test
  void theGlobalCeilingBoundsAllSourcesAndGivesTheSourceTokenBack() {
    ProbeRateLimiter l = new ProbeRateLimiter(clock, 1, 2, 1, 3, 1000);
    assertEquals(Admission.ADMITTED, l.admit("a"));
    assertEquals(Admission.ADMITTED, l.admit("b"));
    assertEquals(Admission.ADMITTED, l.admit("c"));
    assertEquals(Admission.GLOBAL_LIMITED, l.admit("d"));
    assertEquals(Admission.GLOBAL_LIMITED, l.admit("a"));
    clock.advance(Duration.ofSeconds(1));
    // "a" was refused by the ceiling, not by its own bucket: its second token is still there.
    assertEquals(Admission.ADMITTED, l.admit("a"));
  }

  @Test
  void anIpxeLikeClientIsAlwaysAnsweredWithinItsRepeat() {
    // Defaults: 200/s and 200 per source, 800/s and 400 in all. iPXE keeps at most 32 probes in
    // flight and repeats each one after 1 s; a new probe follows each answered one. Three minutes
    // of that pattern.
    ProbeRateLimiter l = new ProbeRateLimiter(clock, 200, 200, 800, 400, 4096);
    int dropped = 0;
    int droppedTwice = 0;
    for (int round = 0; round < 180; round++) {
      boolean[] first = new boolean[32];
      for (int i = 0; i < 32; i++) {
        first[i] = l.admit("ipxe") == Admission.ADMITTED;
        dropped += first[i] ? 0 : 1;
      }
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 32; i++) {
        if (!first[i] && l.admit("ipxe") != Admission.ADMITTED) {
          droppedTwice++;
        }
      }
    }
    assertEquals(0, dropped, "32 probes per second fit the per-source rate");
    assertEquals(0, droppedTwice);

    // Even a burst beyond the bucket is answered at the repeat, one second later.
    int firstDropped = 0;
    for (int i = 0; i < 300; i++) {
      firstDropped += l.admit("burst") == Admission.ADMITTED ? 0 : 1;
    }
    assertEquals(100, firstDropped);
    clock.advance(Duration.ofSeconds(1));
    for (int i = 0; i < firstDropped; i++) {
      assertEquals(Admission.ADMITTED, l.admit("burst"), "repeat " + i);
    }
  }

  @Test
  void trackedSourcesAreBounded() {
    ProbeRateLimiter l = new ProbeRateLimiter(clock, 1, 1, 1e9, 1_000_000, 100);
    for (int i = 0; i < 1000; i++) {
      l.admit("s" + i);
    }
    assertEquals(100, l.trackedSources());
  }

  @Test
  void badLimitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ProbeRateLimiter(clock, 0, 1, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new ProbeRateLimiter(clock, 1, 0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new ProbeRateLimiter(clock, 1, 1, 1, 1, 0));
  }
}
