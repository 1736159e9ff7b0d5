package dev.peerdist.node;

import dev.peerdist.node.units.Rate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Rates as the node reads them ({@link Rate}) and the shared file syntax of {@link ConfigFileLines}. */
class ConfigRateTest {
  @Test
  void ratesInBitsAndBytes() {
    assertEquals(100_000_000L, Rate.parse("100Mbit").bitsPerSecond());
    assertEquals(1_500_000_000L, Rate.parse("1.5Gbit/s").bitsPerSecond());
    assertEquals(64_000L, Rate.parse("64 kbit").bitsPerSecond());
    assertEquals(9_600L, Rate.parse("9600bit").bitsPerSecond());
    // Byte rates count in 1024s like every size (issue 13): 12MB/s was 12 * 10^6 bytes here.
    assertEquals(12L * 1024 * 1024 * 8, Rate.parse("12MB/s").bitsPerSecond());
    assertEquals(10L * 1024 * 1024 * 8, Rate.parse("10MiB/s").bitsPerSecond());
    assertEquals(8L, Rate.parse("1B/s").bitsPerSecond());
    for (String bad : List.of("100Mbps", "100Mb/s", "12MB", "fast", "0bit", "-5Mbit", "")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rate.parse(bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void fileLinesKeepSectionsAndLineNumbers() {
    List<ConfigFileLines.Line> lines = ConfigFileLines.parse(List.of("# top", "a = 1", "[x.y]", "", "b = \"q # r\" ; c",
        "l = [\"p\", \"q\"]"), "f");
    assertEquals(new ConfigFileLines.Line(2, "", "a", "1", "1"), lines.get(0));
    assertEquals(new ConfigFileLines.Line(5, "x.y", "b", "q # r", "\"q # r\""), lines.get(1));
    assertEquals("[\"p\", \"q\"]", lines.get(2).raw());
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigFileLines.parse(List.of("ok = 1", "oops"),
        "file z"));
    assertEquals("file z:2", e.source());
  }
}
