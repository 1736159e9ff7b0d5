package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.report.ReportWriter;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.report.SiteRun;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live harness end to end with today's download engine: real daemons, a real publisher, the
 * WAN shaped and delayed. Asserts outcomes (every byte correct, the report consistent with the
 * counters, everything cleaned up), never the performance goals.
 */
class LiveSiteIT {
  @TempDir Path tmp;

  private static Scenario scenario(String... extra) {
    List<String> lines = new java.util.ArrayList<>(List.of("[site]", "name = live-it", "wan-rate = 100Mbit",
        "wan-rtt = 20ms", "time-limit = 3m", "[package.payload]", "size = 16MiB"));
    lines.addAll(List.of(extra));
    return ScenarioFile.parse(lines, "it", "live-it", List.of());
  }

  private SiteReport run(Scenario s, LiveSite.Mode mode) throws Exception {
    return run(s, mode, Duration.ZERO);
  }

  private SiteReport run(Scenario s, LiveSite.Mode mode, Duration idleAfter) throws Exception {
    LiveSite.Options o = new LiveSite.Options(mode, tmp, true, LiveSite.Options.defaults().nodeJvmOptions(),
        Duration.ofMinutes(4), false, 0, idleAfter, new java.io.PrintWriter(System.err, true));
    SiteReport r = SiteRun.run(new LiveSite(o), s, RunOptions.defaults());
    System.err.print(r.toTable());
    ReportWriter.write(r, tmp.resolve("report"));
    assertTrue(Files.size(tmp.resolve("report/report.html")) > 1000);
    return r;
  }

  @Test
  void fourDaemonsInNamespacesBehindAShapedWan() throws Exception {
    Assumptions.assumeTrue(LiveSite.canUseNamespaces(), "needs root with ip and tc (CI runs as root)");
    Scenario s = scenario("[subnet.lan]", "clients = 4");
    SiteReport r = run(s, LiveSite.Mode.NETNS);
    checkOutcomes(r, s);
    Map<String, Object> extra = extra(r);
    assertEquals("netns", extra.get("live_mode"));
    // The router counts IP packets (headers too); the delay line counts the payload it carried.
    long payload = ((Number) extra.get("delay_line_bytes_down")).longValue();
    assertTrue(r.wanBytes() >= payload, r.wanBytes() + " < " + payload);
    assertTrue(payload >= r.receivedBytes(ByteSource.ORIGIN), payload + " < origin " + r.receivedBytes(ByteSource.ORIGIN));
    assertCleanedUp((String) extra.get("live_run"));
    // Issue 9: the model of the same scenario agrees with the live run on WAN bytes within 10 %,
    // counted alike: the payload the WAN carried (the delay line's count; the router's adds
    // TCP/IP headers, which the model does not have).
    SiteReport model = SiteRun.run(new dev.peerdist.simulator.model.LoopSiteModel(), s, RunOptions.defaults());
    double ratio = (double) payload / model.wanBytes();
    assertTrue(ratio > 0.9 && ratio < 1.1, "live WAN payload " + payload + " B (router " + r.wanBytes()
        + " B) vs model " + model.wanBytes() + " B");
  }

  @Test
  void twoSubnetsWithACacheServerAndASeededClientOnLoopback() throws Exception {
    Scenario s = scenario("[subnet.a]", "clients = 2", "cache-servers = 1", "[subnet.b]", "clients = 3",
        "seeded-clients = 1", "[arrival]", "pattern = uniform", "window = 2s");
    SiteReport r = run(s, LiveSite.Mode.LOOPBACK, Duration.ofSeconds(1));
    checkOutcomes(r, s);
    Map<String, Object> extra = extra(r);
    assertEquals("loopback", extra.get("live_mode"));
    // --idle-after: every daemon's RSS read after the run (a JVM's, so tens of MiB at least).
    Map<?, ?> idleRss = (Map<?, ?>) extra.get("rss_idle_after_run_mib");
    assertEquals(6, idleRss.size(), "one figure per daemon: " + idleRss);
    for (Object v : idleRss.values()) {
      assertTrue(((Number) v).doubleValue() > 16, "RSS " + v + " MiB");
    }
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("RSS idle 1 s after the run")), r.notes().toString());
    // Loopback: the WAN bytes are the delay line's payload count, for the site as a whole; a subnet's
    // WAN is unknown (null, not 0), its origin bytes are its nodes' counters.
    assertEquals(((Number) extra.get("delay_line_bytes_down")).longValue(), r.wanBytes());
    assertTrue(!r.wanBySubnetKnown());
    List<?> subs = (List<?>) r.toMap().get("per_subnet");
    long subnetOrigin = 0;
    for (Object o : subs) {
      Map<?, ?> sub = (Map<?, ?>) o;
      assertEquals(null, sub.get("wan_bytes"), sub.toString());
      subnetOrigin += ((Number) sub.get("origin_bytes")).longValue();
    }
    assertEquals(r.receivedBytes(ByteSource.ORIGIN), subnetOrigin);
    // The cache server and the seeded client hold the package before the run; they serve it.
    long[] up = r.uploadedBytes();
    int cacheServer = 2;
    int seeded = 3;
    assertTrue(up[cacheServer] + up[seeded] + java.util.Arrays.stream(up).sum() >= r.receivedBytes(ByteSource.PEER));
    assertCleanedUp((String) extra.get("live_run"));
  }

  private static void checkOutcomes(SiteReport r, Scenario s) {
    long size = s.packages().get(0).sizeBytes();
    Map<String, Object> extra = extra(r);
    assertEquals(0, ((Number) extra.get("downloads_wrong_bytes")).intValue(), "bytes that failed SHA-256");
    assertEquals(0, ((Number) extra.get("downloads_failed")).intValue(), "failed downloads: " + extra);
    assertEquals(r.downloads(), r.downloadsCompleted(), "every client finished with the right bytes");
    for (Object o : (List<?>) extra.get("harness_downloads")) {
      assertEquals(Boolean.TRUE, ((Map<?, ?>) o).get("sha256_ok"), o.toString());
    }
    // Every downloading client's record says where its bytes came from: together, one package each
    // (seeded clients and cache servers downloaded before the run and are not counted).
    long stored = 0;
    for (ByteSource b : ByteSource.values()) {
      stored += r.receivedBytes(b);
    }
    assertEquals(r.downloads() * size, stored);
    // Origin bytes by reason add up to the origin bytes; at least one copy crossed the WAN unless held.
    long byReason = r.originByReason().values().stream().mapToLong(v -> v[1]).sum();
    assertEquals(r.receivedBytes(ByteSource.ORIGIN), byReason);
    // Peers sent (ciphertext, hedges included) at least what their clients stored from peers.
    assertTrue(java.util.Arrays.stream(r.uploadedBytes()).sum() >= r.receivedBytes(ByteSource.PEER));
    assertTrue(r.wanBytes() >= r.receivedBytes(ByteSource.ORIGIN), "WAN " + r.wanBytes());
    SiteReport.Baseline b = r.baseline();
    assertEquals(0, b.failures(), "baseline GETs failed");
    assertTrue(b.wanBytes() >= b.completionSeconds().size() * size, "each plain GET crosses the WAN: " + b.wanBytes());
    assertTrue(r.completionMax() > 0 && r.idealSeconds() > 0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> extra(SiteReport r) {
    return (Map<String, Object>) r.toMap().get("extra");
  }

  private void assertCleanedUp(String run) throws Exception {
    long marked = ProcessHandle.allProcesses().filter(h -> h.info().arguments()
        .map(a -> List.of(a).contains("-D" + Processes.MARKER + "=" + run)).orElse(false)).count();
    assertEquals(0, marked, "processes of run " + run + " still running");
    if (LiveSite.canUseNamespaces()) {
      Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
      String list = new String(p.getInputStream().readAllBytes());
      p.waitFor();
      assertTrue(!list.contains(LiveNetwork.PREFIX + run), "namespaces left: " + list);
    }
    assertTrue(!Files.exists(tmp.resolve(LiveNetwork.PREFIX + run)), "work directory left");
  }
}
