package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Extensible Blob v1 segment ages (PROTOCOL.md §3.5, §4.7). */
class SegmentAgesTest {
  @Test
  void theSpecSampleDecodes() {
    // "AAEDAgBg6gACYOoA" = 00 01 | 03 | 02 | 00 60 ea 00 | 02 60 ea 00 (PROTOCOL.md §3.5).
    assertEquals(Optional.of(Map.of(0, Duration.ofSeconds(600), 2, Duration.ofSeconds(600))),
        SegmentAges.decode("AAEDAgBg6gACYOoA"));
  }

  @Test
  void encodingIsTheSpecSampleForTheSameAges() {
    Map<Integer, Duration> ages = new LinkedHashMap<>();
    ages.put(0, Duration.ofSeconds(600));
    ages.put(2, Duration.ofSeconds(600));
    assertEquals("AAEDAgBg6gACYOoA", SegmentAges.encode(ages));
  }

  @Test
  void everyUnitIsRead() {
    for (int[] u : new int[][] {{1, 1000}, {2, 100}, {3, 10}, {4, 1}}) {
      byte[] blob = {0, 1, (byte) u[0], 1, 5, 7, 0, 0};
      assertEquals(Optional.of(Map.of(5, Duration.ofMillis(7L * u[1]))),
          SegmentAges.decode(Base64.getEncoder().encodeToString(blob)), "units " + u[0]);
    }
  }

  @Test
  void agesAboveTheMaximumAreWrittenAsTheMaximum() {
    String b = SegmentAges.encode(Map.of(1, Duration.ofDays(30)));
    assertEquals(Optional.of(Map.of(1, Duration.ofMillis(0xFF_FFFFL * 10))), SegmentAges.decode(b));
  }

  @Test
  void badBlobsAreDiscardedNeverThrown() {
    String[] bad = {
      null,
      "not base64!",
      Base64.getEncoder().encodeToString(new byte[] {0, 1, 3}), // shorter than 4
      Base64.getEncoder().encodeToString(new byte[] {0, 2, 3, 0}), // version 2
      Base64.getEncoder().encodeToString(new byte[] {0, 1, 0, 0}), // units 0
      Base64.getEncoder().encodeToString(new byte[] {0, 1, 5, 0}), // units 5
      Base64.getEncoder().encodeToString(new byte[] {0, 1, 3, 2, 0, 1, 0, 0}), // count 2, one entry
    };
    for (String s : bad) {
      assertEquals(Optional.empty(), SegmentAges.decode(s), String.valueOf(s));
    }
    assertEquals(Optional.of(Map.of()), SegmentAges.decode(Base64.getEncoder().encodeToString(new byte[] {0, 1, 3, 0})));
  }

  @Test
  void encodingRefusesWhatTheBlobCannotCarry() {
    assertThrows(IllegalArgumentException.class, () -> SegmentAges.encode(Map.of(256, Duration.ZERO)));
    assertThrows(IllegalArgumentException.class, () -> SegmentAges.encode(Map.of(1, Duration.ofSeconds(-1))));
  }
}
