package dev.peerdist.node.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one size rule: every prefix counts in 1024s, fractions round down, overflow is refused. */
class SizeTest {
  @Test
  void everySpellingOfAPrefixIsBinary() {
    for (String k : List.of("1K", "1k", "1KB", "1kb", "1KiB", "1kib", "1 KiB")) {
      assertEquals(1024, Size.parse(k).bytes(), k);
    }
    assertEquals(1L << 20, Size.parse("1MB").bytes());
    assertEquals(1L << 30, Size.parse("1G").bytes());
    assertEquals(1L << 40, Size.parse("1TiB").bytes());
    assertEquals(4096, Size.parse("4096").bytes());
    assertEquals(7, Size.parse("7B").bytes());
    assertEquals(0, Size.parse("0").bytes());
  }

  @Test
  void fractionsNeedAUnitAndRoundDown() {
    assertEquals(3L << 29, Size.parse("1.5G").bytes());
    assertEquals(1536, Size.parse("1.5KiB").bytes());
    // 0.3 KiB = 307.2 bytes: whole bytes, rounded down.
    assertEquals(307, Size.parse("0.3K").bytes());
    QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Size.parse("1.5"));
    assertEquals("'1.5' is not a whole number of bytes", e.getMessage());
  }

  @Test
  void badTextIsQuotedWithExamples() {
    for (String bad : List.of("ten", "", "-1", "1X", "1KiBB", "1iB", "1 0", "1e6", "0x10", "1,5G")) {
      QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Size.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("'" + bad + "' is not a"), e.getMessage());
      assertEquals(bad, e.text());
    }
  }

  @Test
  void overflowIsRefusedNotWrapped() {
    assertEquals(Long.MAX_VALUE, Size.parse("9223372036854775807").bytes());
    for (String big : List.of("9223372036854775808", "8388608TiB", "99999999999T")) {
      QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Size.parse(big), big);
      assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }
    assertEquals((1L << 62) + (1L << 61), Size.parse("6291456TiB").bytes());
  }

  @Test
  void toStringReadsBackExactly() {
    assertEquals("10GiB", Size.ofGiB(10).toString());
    assertEquals("1536MiB", Size.parse("1.5G").toString());
    assertEquals("4097", Size.ofBytes(4097).toString());
    assertEquals("0", Size.ZERO.toString());
    SplittableRandom r = new SplittableRandom(13);
    for (int i = 0; i < 2000; i++) {
      Size s = Size.ofBytes(r.nextLong(Long.MAX_VALUE) >>> r.nextInt(63));
      assertEquals(s, Size.parse(s.toString()), s.toString());
    }
  }

  @Test
  void approximationForPeople() {
    assertEquals("512 B", Size.ofBytes(512).approximate());
    assertEquals("1.5 GiB", Size.parse("1.5GiB").approximate());
    assertEquals("40.0 MiB", Size.ofMiB(40).approximate());
  }

  @Test
  void negativeSizesCannotBeBuilt() {
    assertThrows(IllegalArgumentException.class, () -> Size.ofBytes(-1));
  }
}
