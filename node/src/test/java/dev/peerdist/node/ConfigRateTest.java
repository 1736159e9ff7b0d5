package dev.peerdist.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ConfigKey#parseRate} and the shared file syntax of {@link ConfigFileLines}. */
class ConfigRateTest {
  @Test
  void ratesInBitsAndBytes() {
    assertEquals(100_000_000L, ConfigKey.parseRate("100Mbit"));
    assertEquals(1_500_000_000L, ConfigKey.parseRate("1.5Gbit/s"));
    assertEquals(64_000L, ConfigKey.parseRate("64 kbit"));
    assertEquals(9_600L, ConfigKey.parseRate("9600bit"));
    assertEquals(96_000_000L, ConfigKey.parseRate("12MB/s"));
    assertEquals(10L * 1024 * 1024 * 8, ConfigKey.parseRate("10MiB/s"));
    assertEquals(8L, ConfigKey.parseRate("1B/s"));
    for (String bad : List.of("100Mbps", "100Mb/s", "12MB", "fast", "0bit", "-5Mbit", "")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigKey.parseRate(bad), bad);
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
