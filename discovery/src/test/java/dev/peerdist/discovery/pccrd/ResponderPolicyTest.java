package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class ResponderPolicyTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-11-25T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private static final DiscoveryKey K1 = DiscoveryKey.of(DiscoveryKey.Form.V1, new byte[] {1});
  private static final DiscoveryKey K2 = DiscoveryKey.of(DiscoveryKey.Form.V1, new byte[] {2});

  @Test
  void replyDelayStaysWithinOneMillisecondAndAppMaxDelay() {
    ResponderPolicy p = new ResponderPolicy(new SplittableRandom(7), PccrdTiming.APP_MAX_DELAY, true, 16);
    Duration min = Duration.ofDays(1);
    Duration max = Duration.ZERO;
    for (int i = 0; i < 20_000; i++) {
      Duration d = p.replyDelay();
      min = d.compareTo(min) < 0 ? d : min;
      max = d.compareTo(max) > 0 ? d : max;
    }
    assertTrue(min.compareTo(Duration.ofMillis(1)) >= 0, "min " + min);
    assertTrue(max.compareTo(Duration.ofMillis(65)) <= 0, "max " + max);
    assertTrue(min.compareTo(Duration.ofMillis(2)) < 0 && max.compareTo(Duration.ofMillis(64)) > 0, "spread " + min + ".." + max);
  }

  @Test
  void suppressionFollowsNote8() {
    ResponderPolicy p = new ResponderPolicy(new SplittableRandom(3), PccrdTiming.APP_MAX_DELAY, true, 16);
    for (int i = 0; i < 9; i++) {
      p.observeReply(K1, true);
      p.observeReply(K2, false);
    }
    assertEquals(List.of(K1, K2), p.afterSuppression(List.of(K1, K2)), "below the threshold nothing is suppressed");
    p.observeReply(K1, true);
    p.observeReply(K2, false);
    int k2Offered = 0;
    for (int i = 0; i < 3000; i++) {
      List<DiscoveryKey> out = p.afterSuppression(List.of(K1, K2));
      assertFalse(out.contains(K1), "ten full replies seen: never offer");
      k2Offered += out.contains(K2) ? 1 : 0;
    }
    assertTrue(k2Offered > 850 && k2Offered < 1130, "about a third of 3000, got " + k2Offered);
  }

  @Test
  void suppressionCanBeSwitchedOffAndTrackingIsBounded() {
    ResponderPolicy off = new ResponderPolicy(RandomGenerator.of("L64X128MixRandom"), PccrdTiming.APP_MAX_DELAY, false, 1);
    for (int i = 0; i < 20; i++) {
      off.observeReply(K1, true);
    }
    assertEquals(List.of(K1), off.afterSuppression(List.of(K1)));
    ResponderPolicy tiny = new ResponderPolicy(new SplittableRandom(1), PccrdTiming.APP_MAX_DELAY, true, 1);
    for (int i = 0; i < 20; i++) {
      tiny.observeReply(K1, true);
    }
    tiny.observeReply(K2, true);
    assertEquals(List.of(K1), tiny.afterSuppression(List.of(K1)), "K1 was evicted by K2");
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> new ResponderPolicy(new SplittableRandom(1), Duration.ZERO, true, 1));
    assertThrows(IllegalArgumentException.class,
        () -> new ResponderPolicy(new SplittableRandom(1), PccrdTiming.APP_MAX_DELAY, true, 0));
  }

  @Test
  void aProbeHeardButNotHandledIsProcessedAgainWhenRepeated() {
    DuplicateMessageFilter f = new DuplicateMessageFilter(8);
    assertEquals(DuplicateMessageFilter.Sighting.NEW, f.sight("m"));
    // The rate limit dropped it: not handled, so the repeat is processed (but is not new).
    assertEquals(DuplicateMessageFilter.Sighting.HEARD, f.sight("m"));
    f.handled("m");
    assertEquals(DuplicateMessageFilter.Sighting.HANDLED, f.sight("m"));
    assertEquals(DuplicateMessageFilter.Sighting.HANDLED, f.sight("m"));
  }

  @Test
  void duplicateFilterRemembersABoundedNumberOfIds() {
    DuplicateMessageFilter f = new DuplicateMessageFilter(2);
    assertTrue(f.firstSighting("a"));
    assertFalse(f.firstSighting("a"));
    assertTrue(f.firstSighting("b"));
    assertTrue(f.firstSighting("c"));
    assertEquals(2, f.size());
    assertTrue(f.firstSighting("a"), "a was evicted");
  }
}
