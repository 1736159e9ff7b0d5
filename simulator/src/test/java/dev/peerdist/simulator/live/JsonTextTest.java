package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.admin.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The small JSON reader reads what the node's writer writes, and refuses garbage naming the offset. */
class JsonTextTest {
  @Test
  void readsWhatTheNodeWrites() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("totals", Map.of("served", 123456789012L));
    m.put("downloads", List.of(Map.of("url", "http://a/b?c=\"d\"\n", "elapsed_ms", 5, "ok", true)));
    m.put("none", null);
    m.put("ratio", 0.25);
    Object doc = JsonText.parse(Json.write(m));
    assertEquals(123456789012L, JsonText.longAt(doc, "totals.served", -1));
    Object d = ((List<?>) JsonText.at(doc, "downloads")).get(0);
    assertEquals("http://a/b?c=\"d\"\n", JsonText.at(d, "url"));
    assertEquals(5L, JsonText.at(d, "elapsed_ms"));
    assertEquals(Boolean.TRUE, JsonText.at(d, "ok"));
    assertEquals(0.25, JsonText.at(doc, "ratio"));
    assertEquals(null, JsonText.at(doc, "none"));
    assertEquals(-1, JsonText.longAt(doc, "totals.missing", -1));
    assertEquals("é", JsonText.parse("\"\\u00e9\""));
  }

  @Test
  void refusesMalformedInput() {
    for (String bad : List.of("{", "{\"a\" 1}", "[1,]x", "\"open", "tru", "{\"a\":1}}", "[" .repeat(100))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonText.parse(bad), bad);
      assertTrue(e.getMessage().contains("offset"), e.getMessage());
    }
  }

  @Test
  void prometheusCountersByLabel() {
    String metrics = "# HELP x\npeerdist_origin_fallbacks_total{reason=\"no_peer\"} 12.0\n"
        + "peerdist_origin_fallbacks_total{reason=\"timeout\"} 3.0\npeerdist_corrupt_blocks_total 2.0\n";
    assertEquals(Map.of("no_peer", 12L, "timeout", 3L), LiveSite.counters(metrics, "peerdist_origin_fallbacks_total"));
    assertEquals(Map.of("", 2L), LiveSite.counters(metrics, "peerdist_corrupt_blocks_total"));
  }
}
