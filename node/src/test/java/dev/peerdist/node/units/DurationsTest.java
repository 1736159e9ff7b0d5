package dev.peerdist.node.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one duration rule: units ms, s, m/min, h, d; a bare number is seconds; ISO-8601 too. */
class DurationsTest {
  @Test
  void unitsAndBareSeconds() {
    assertEquals(Duration.ofMillis(300), Durations.parse("300ms"));
    assertEquals(Duration.ofMillis(300), Durations.parse("300 MS"));
    assertEquals(Duration.ofSeconds(2), Durations.parse("2s"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("30"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5min"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
    assertEquals(Duration.ofDays(2), Durations.parse("2d"));
    assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
    assertEquals(Duration.ofNanos(500_000), Durations.parse("0.5ms"));
    assertEquals(Duration.ofSeconds(2), Durations.parse("PT2S"));
    assertEquals(Duration.ZERO, Durations.parse("0"));
    assertEquals(Duration.ZERO, Durations.parse("0ms"));
  }

  @Test
  void badTextIsQuotedWithExamples() {
    for (String bad : List.of("soon", "", "-5s", "5 s s", "5x", "PT-2S", "P", "1e3s")) {
      QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Durations.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("'" + bad + "' is "), e.getMessage());
    }
  }

  @Test
  void overflowIsRefused() {
    assertEquals(Duration.ofSeconds(Long.MAX_VALUE), Durations.parse("9223372036854775807"));
    QuantityFormatException e = assertThrows(QuantityFormatException.class,
        () -> Durations.parse("9223372036854775808"));
    assertTrue(e.getMessage().contains("too long"), e.getMessage());
    assertThrows(QuantityFormatException.class, () -> Durations.parse("999999999999999999d"));
  }

  @Test
  void formatReadsBack() {
    for (Duration d : List.of(Duration.ofMillis(300), Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofHours(3),
        Duration.ofMillis(1500), Duration.ofNanos(1), Duration.ZERO, Duration.ofSeconds(Long.MAX_VALUE))) {
      assertEquals(d, Durations.parse(Durations.format(d)), Durations.format(d));
    }
    assertEquals("300ms", Durations.format(Duration.ofMillis(300)));
    assertEquals("5m", Durations.format(Duration.ofMinutes(5)));
  }
}
