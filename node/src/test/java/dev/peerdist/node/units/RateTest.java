package dev.peerdist.node.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one rate rule: bits count in 1000s, bytes in 1024s, zero only as the bare text 0. */
class RateTest {
  @Test
  void bitsAreDecimalBytesAreBinary() {
    assertEquals(100_000_000L, Rate.parse("100Mbit").bitsPerSecond());
    assertEquals(100_000_000L, Rate.parse("100mbit/s").bitsPerSecond());
    assertEquals(1_500_000_000L, Rate.parse("1.5 Gbit/s").bitsPerSecond());
    assertEquals(10L << 23, Rate.parse("10MiB/s").bitsPerSecond());
    assertEquals(10L << 23, Rate.parse("10MB/s").bitsPerSecond());
    assertEquals(8 * 1024, Rate.parse("1KB/s").bitsPerSecond());
    assertEquals(8 * 1024, Rate.parse("1kB/s").bitsPerSecond());
    assertEquals(12_500_000L, Rate.parse("100Mbit").bytesPerSecond());
  }

  @Test
  void zeroIsOnlyTheBareZero() {
    assertTrue(Rate.parse("0").isZero());
    assertEquals(0, Rate.ZERO.bytesPerSecond());
    for (String bad : List.of("0bit", "0MB/s", "0.0001bit")) {
      QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Rate.parse(bad), bad);
      assertTrue(e.getMessage().contains("within 1 bit/s"), e.getMessage());
    }
  }

  @Test
  void ambiguousAndWrongUnitsAreRefused() {
    for (String bad : List.of("100Mbps", "100Mb/s", "12MB", "12mB/s", "12iB/s", "fast", "-5Mbit", "", "5", "1Pbit")) {
      QuantityFormatException e = assertThrows(QuantityFormatException.class, () -> Rate.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("'" + bad + "' "), e.getMessage());
    }
  }

  @Test
  void aboveTenToTheEighteenIsRefused() {
    assertEquals(1_000_000_000_000_000_000L, Rate.parse("1000000Tbit").bitsPerSecond());
    assertThrows(QuantityFormatException.class, () -> Rate.parse("1000001Tbit"));
    assertThrows(QuantityFormatException.class, () -> Rate.parse("99999999999999999999TiB/s"));
  }

  @Test
  void aSlowRateIsStillAtLeastOneBytePerSecond() {
    assertEquals(1, Rate.parse("1bit").bytesPerSecond());
  }

  @Test
  void toStringReadsBackExactly() {
    assertEquals("100Mbit", Rate.parse("100Mbit/s").toString());
    assertEquals("10MiB/s", Rate.parse("10MiB/s").toString());
    assertEquals("9601bit", Rate.parse("9601bit").toString());
    assertEquals("0", Rate.ZERO.toString());
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 2000; i++) {
      Rate x = Rate.ofBitsPerSecond(1 + r.nextLong(1_000_000_000_000_000_000L) / (1L << r.nextInt(60)));
      assertEquals(x, Rate.parse(x.toString()), x.toString());
    }
  }
}
