package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.report.ReportWriter;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.report.SiteRun;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.ScenarioFile;
import dev.peerdist.simulator.scenario.Scenarios;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The interim model behind SiteModel: hand-computed small sites, accounting, refusals, determinism. */
class InterimSiteModelTest {
  private static Scenario site(int subnets, int clients, String size, String... extra) {
    List<String> lines = new java.util.ArrayList<>(List.of("[site]", "wan-rate = 10Mbit", "wan-rtt = 40ms",
        "lan-rate = 1Gbit", "[package.p]", "size = " + size));
    for (int i = 0; i < subnets; i++) {
      lines.add("[subnet.s" + i + "]");
      lines.add("clients = " + clients);
    }
    lines.addAll(List.of(extra));
    return ScenarioFile.parse(lines, "t", "t", List.of());
  }

  private static SiteReport run(Scenario s) {
    return SiteRun.run(new InterimSiteModel(), s, RunOptions.defaults());
  }

  @Test
  void oneNodeByHand() {
    SiteReport r = run(site(1, 1, "1MiB"));
    // Probe wait 100 ms, then 16 blocks of 64 KiB back to back on the 10 Mbit/s WAN (4 requests in
    // flight cover the 40 ms RTT): first byte leaves at 0.1 + 0.02 s, the last block arrives at
    // 0.12 + 16 × 0.0524288 + 0.02 s.
    assertEquals(0.1 + 0.02 + 16 * 0.0524288 + 0.02, r.completionP50(), 1e-9);
    assertEquals(1L << 20, r.wanBytes());
    assertEquals(1.0, r.wanRatio(), 1e-12);
    assertEquals(0.0, r.peerByteFraction());
    // Ideal: max(8 Mibit / 10 Mbit/s, 8 Mibit / 1 Gbit/s) + 2 × 40 ms.
    assertEquals(0.8388608 + 0.08, r.idealSeconds(), 1e-12);
    assertEquals(16, r.originByReason().get("no_peer")[0]);
  }

  @Test
  void twoNodesStartingTogetherBothCrossTheWan() {
    SiteReport r = run(site(1, 2, "1MiB"));
    // Both probe at 100 ms, nobody holds anything: every block goes to the origin twice.
    assertEquals(2.0, r.wanRatio(), 1e-12);
    assertEquals(2, r.downloadsCompleted());
    assertEquals(0, r.receivedBytes(ByteSource.PEER));
  }

  @Test
  void accountingIsConsistent() {
    SiteReport r = run(site(2, 12, "40MiB", "[arrival]", "pattern = uniform", "window = 20s"));
    long size = 40L << 20;
    assertEquals(24, r.downloadsCompleted());
    // Every node stored the package exactly once, from peers or the origin.
    assertEquals(24 * size, r.receivedBytes(ByteSource.PEER) + r.receivedBytes(ByteSource.ORIGIN));
    // Origin bytes by reason add up to the WAN bytes, and so do the subnets.
    assertEquals(r.wanBytes(), r.originByReason().values().stream().mapToLong(v -> v[1]).sum());
    assertEquals(r.wanBytes(), r.receivedBytes(ByteSource.ORIGIN));
    @SuppressWarnings("unchecked")
    List<java.util.Map<String, Object>> subs = (List<java.util.Map<String, Object>>) r.toMap().get("per_subnet");
    assertEquals(r.wanBytes(), subs.stream().mapToLong(m -> (Long) m.get("wan_bytes")).sum());
    // Each subnet needs the package at least once over the WAN.
    for (java.util.Map<String, Object> m : subs) {
      assertTrue((Long) m.get("wan_bytes") >= size, m.toString());
    }
    // Uploads equal what peers delivered (no corrupt peers, no leavers): every peer byte was sent once.
    long uploaded = java.util.Arrays.stream(r.uploadedBytes()).sum();
    assertTrue(uploaded >= r.receivedBytes(ByteSource.PEER), uploaded + " < " + r.receivedBytes(ByteSource.PEER));
  }

  @Test
  void sameSeedSameReportJson() {
    Scenario s = site(2, 10, "8MiB", "[arrival]", "pattern = uniform", "window = 10s", "[faults]",
        "leave-fraction = 0.2", "corrupt-fraction = 0.1");
    String a = stable(ReportWriter.json(run(s)));
    String b = stable(ReportWriter.json(run(s)));
    assertEquals(a, b);
    assertNotEquals(a, stable(ReportWriter.json(run(s.withSeed(2)))));
  }

  /** report.json without the two fields that measure the machine. */
  static String stable(String json) {
    assertTrue(json.matches("(?s).*\"runtime_s\":[0-9.E-]+,.*\"events_per_second\":[0-9.E-]+,.*"), json);
    return json.replaceAll("\"runtime_s\":[0-9.E-]+,", "").replaceAll("\"events_per_second\":[0-9.E-]+,", "");
  }

  @Test
  void refusesWhatItCannotModelSayingWhat() {
    String m = assertThrows(ScenarioException.class,
        () -> run(Scenarios.shipped("multi-subnet-cache-servers", List.of()))).getMessage();
    assertTrue(m.contains("cache servers") && m.contains("subnets of different sizes")
        && m.contains("different LAN rates"), m);
    m = assertThrows(ScenarioException.class,
        () -> run(Scenarios.shipped("flash-crowd-1000-leave", List.of()))).getMessage();
    assertTrue(m.contains("leave-after 50%"), m);
    m = assertThrows(ScenarioException.class, () -> run(site(1, 2, "1MiB", "[arrival]", "pattern = poisson",
        "rate = 3"))).getMessage();
    assertTrue(m.contains("Poisson"), m);
    m = assertThrows(ScenarioException.class, () -> run(site(2, 2600, "1MiB"))).getMessage();
    assertTrue(m.contains("at most 5000 nodes"), m);
  }
}
