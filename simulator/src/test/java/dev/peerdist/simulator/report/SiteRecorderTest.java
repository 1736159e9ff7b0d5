package dev.peerdist.simulator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioFile;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The accumulator models fill: sums, bounded series, percentiles and ratios by hand. */
class SiteRecorderTest {
  private static final long S = 1_000_000_000L;

  private static Scenario scenario() {
    return ScenarioFile.parse(List.of("[site]", "wan-rate = 80Mbit", "[subnet.a]", "clients = 2", "[subnet.b]",
        "clients = 2", "[package.p]", "size = 10000000", "[site]"), "t", "t", List.of());
  }

  @Test
  void headlineFieldsByHand() {
    SiteRecorder r = new SiteRecorder(SitePlan.of(scenario()), "hand", RunOptions.Progress.NONE);
    // Node 0 fetches everything over the WAN; node 1 copies it from node 0; subnet b likewise.
    r.wanBytes(0, 1 * S, 0, 10_000_000);
    r.originFetch(0, "no_peer", 10_000_000);
    r.received(0, ByteSource.ORIGIN, 10_000_000);
    r.received(1, ByteSource.PEER, 10_000_000);
    r.uploaded(0, 10_000_000);
    r.wanBytes(1 * S, 2 * S, 1, 10_000_000);
    r.originFetch(2, "no_peer", 4_000_000);
    r.originFetch(2, "timeout", 6_000_000);
    r.received(2, ByteSource.ORIGIN, 10_000_000);
    r.received(3, ByteSource.PEER, 10_000_000);
    r.uploaded(2, 10_000_000);
    r.nodeDone(0, 0, 0, 1 * S);
    r.nodeDone(1, 0, 0, 2 * S);
    r.nodeDone(2, 1, 0, 3 * S);
    r.nodeDone(3, 1, 0, 4 * S);
    SiteReport rep = r.finish(4 * S);
    assertEquals(20_000_000, rep.wanBytes());
    assertEquals(2.0, rep.wanRatio(), 1e-12);
    assertEquals(0.5, rep.peerByteFraction(), 1e-12);
    assertEquals(2.0, rep.completionP50(), 1e-12);
    assertEquals(4.0, rep.completionP99(), 1e-12);
    // Ideal: k = 2 subnets × 80 Mbit / 80 Mbit/s = 2 s.
    assertEquals(2.0, rep.idealSeconds(), 1e-12);
    assertEquals(2.0, rep.p99OverIdeal(), 1e-12);
    // Uploads 10, 0, 10, 0 MB: max 10, mean 5.
    assertEquals(2.0, rep.uploadMaxOverMean(), 1e-12);
    assertEquals(2, rep.originByReason().get("no_peer")[0]);
    assertEquals(14_000_000, rep.originByReason().get("no_peer")[1]);
    Map<String, Object> m = rep.toMap();
    assertEquals(4, m.get("nodes"));
    assertEquals(10_000_000L, m.get("package_bytes"));
    @SuppressWarnings("unchecked")
    Map<String, Object> sub = (Map<String, Object>) ((List<?>) m.get("per_subnet")).get(1);
    assertEquals(10_000_000L, sub.get("wan_bytes"));
    assertEquals(4.0, sub.get("completion_max_s"));
    assertEquals(null, m.get("runtime_s"), "NaN becomes null until SiteRun stamps it");
  }

  @Test
  void aSiteWideWanCountLeavesTheSubnetsWanUnknownAndShowsTheirOriginBytes() {
    // The live harness counts the router's WAN interface: it cannot tell which subnet a byte was for.
    SiteRecorder r = new SiteRecorder(SitePlan.of(scenario()), "live", RunOptions.Progress.NONE);
    r.wanBytes(0, 1 * S, -1, 10_500_000);
    r.originFetch(2, "coordinated", 10_000_000);
    r.received(2, ByteSource.ORIGIN, 10_000_000);
    r.received(3, ByteSource.PEER, 10_000_000);
    r.nodeDone(2, 1, 0, 1 * S);
    r.nodeDone(3, 1, 0, 2 * S);
    SiteReport rep = r.finish(2 * S);
    assertEquals(10_500_000, rep.wanBytes());
    assertTrue(!rep.wanBySubnetKnown());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> subs = (List<Map<String, Object>>) rep.toMap().get("per_subnet");
    for (Map<String, Object> sub : subs) {
      assertTrue(sub.containsKey("wan_bytes") && sub.get("wan_bytes") == null, "unknown, not zero: " + sub);
      assertTrue(!sub.containsKey("wan_series_bytes"), "no per-subnet WAN series: " + sub.keySet());
    }
    assertEquals(0L, subs.get(0).get("origin_bytes"));
    assertEquals(10_000_000L, subs.get(1).get("origin_bytes"));
    String table = rep.toTable();
    assertTrue(table.contains("subnet b") && table.contains("origin 9.5 MiB (the nodes' counters)"), table);
    assertTrue(!table.contains("WAN 0.0 MiB"), table);
  }

  @Test
  void seriesStaysBoundedAndConservesBytes() {
    SiteRecorder r = new SiteRecorder(SitePlan.of(scenario()), "hand", RunOptions.Progress.NONE);
    long total = 0;
    for (int i = 0; i < 5000; i++) {
      long at = i * 37_000_000L; // up to 185 s: the 10 ms buckets double several times
      r.wanBytes(at, at + 5_000_000L, i % 2, 1000 + i);
      total += 1000 + i;
    }
    SiteReport rep = r.finish(186 * S);
    @SuppressWarnings("unchecked")
    Map<String, Object> series = (Map<String, Object>) rep.toMap().get("wan_series");
    List<?> bytes = (List<?>) series.get("bytes");
    assertTrue(bytes.size() <= SiteRecorder.BUCKETS, "at most " + SiteRecorder.BUCKETS + " buckets: " + bytes.size());
    assertEquals(total, bytes.stream().mapToLong(b -> (Long) b).sum());
    assertEquals(0.32, (Double) series.get("bucket_s"), 1e-12, "10 ms doubled five times");
  }

  @Test
  void badInputIsRefused() {
    SiteRecorder r = new SiteRecorder(SitePlan.of(scenario()), "hand", RunOptions.Progress.NONE);
    assertThrows(IllegalArgumentException.class, () -> r.nodeDone(9, 0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> r.nodeDone(2, 0, 0, 1), "node 2 is in subnet 1");
    assertThrows(IllegalArgumentException.class, () -> r.originFetch(0, "No Peer", 1));
    assertThrows(IllegalArgumentException.class, () -> r.wanBytes(5, 4, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> r.downloadDone(0, 0, 5, 4));
  }

  @Test
  void timeLimitStopsARun() {
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 80Mbit", "time-limit = 2s", "[subnet.a]",
        "clients = 2", "[package.p]", "size = 10000000"), "t", "t", List.of());
    SiteRecorder r = new SiteRecorder(SitePlan.of(s), "hand", RunOptions.Progress.NONE);
    r.tick(2 * S, 10);
    String m = assertThrows(IllegalStateException.class, () -> r.tick(2 * S + 1, 11)).getMessage();
    assertTrue(m.contains("time-limit"), m);
  }
}
