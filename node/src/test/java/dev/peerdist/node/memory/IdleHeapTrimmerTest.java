package dev.peerdist.node.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The trim rule of {@link IdleHeapTrimmer.Policy}, fed samples by hand. */
class IdleHeapTrimmerTest {
  private static final long MIB = 1L << 20;
  private static final Instant T0 = Instant.parse("2026-12-05T04:00:00Z");

  private static Instant at(int seconds) {
    return T0.plusSeconds(seconds);
  }

  private final IdleHeapTrimmer.Policy policy = new IdleHeapTrimmer.Policy(Duration.ofSeconds(30), 4 * MIB, 24 * MIB);

  @Test
  void trimsOnceWhenIdleLongEnoughAfterTheHeapGrew() {
    assertEquals(24 * MIB, policy.floor(), "the initial heap");
    assertFalse(policy.sample(at(0), 5, 24 * MIB), "first sample");
    assertFalse(policy.sample(at(10), 40, 62 * MIB), "collecting: busy");
    assertFalse(policy.sample(at(20), 70, 62 * MIB), "still busy");
    assertFalse(policy.sample(at(30), 70, 62 * MIB), "idle 10 s");
    assertFalse(policy.sample(at(40), 70, 62 * MIB), "idle 20 s");
    assertTrue(policy.sample(at(50), 70, 62 * MIB), "idle 30 s, heap 38 MiB above the floor");
    policy.trimmed(70, 30 * MIB);
    assertEquals(30 * MIB, policy.floor());
    assertFalse(policy.sample(at(60), 70, 30 * MIB), "at the new floor");
    assertFalse(policy.sample(at(600), 70, 30 * MIB), "nothing grew: no second trim");
  }

  @Test
  void anIdleDaemonWhoseHeapDidNotGrowIsLeftAlone() {
    policy.sample(at(0), 5, 24 * MIB);
    for (int s = 10; s <= 300; s += 10) {
      assertFalse(policy.sample(at(s), 5 + s / 100, 24 * MIB + 4 * MIB), "at " + s + " s");
    }
  }

  @Test
  void aHeapThatGrewBeforeTheFirstSampleIsTrimmedToo() {
    // A daemon asked for a download right after start: the first sample sees the grown heap.
    assertFalse(policy.sample(at(0), 40, 63 * MIB));
    assertFalse(policy.sample(at(10), 60, 63 * MIB));
    assertFalse(policy.sample(at(30), 60, 63 * MIB));
    assertTrue(policy.sample(at(40), 60, 63 * MIB));
  }

  @Test
  void aYoungCollectionRestartsTheIdleTime() {
    policy.sample(at(0), 5, 24 * MIB);
    policy.sample(at(10), 9, 60 * MIB);
    assertFalse(policy.sample(at(30), 9, 60 * MIB));
    assertFalse(policy.sample(at(35), 10, 60 * MIB), "one collection: activity again");
    assertFalse(policy.sample(at(60), 10, 60 * MIB), "25 s since");
    assertTrue(policy.sample(at(65), 10, 60 * MIB), "30 s since");
  }

  @Test
  void negativeSettingsAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new IdleHeapTrimmer.Policy(Duration.ofSeconds(-1), 0, 0));
    assertTrue(e.getMessage().contains("idleAfter PT-1S"), e.getMessage());
  }
}
