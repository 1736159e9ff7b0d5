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

/**
 * The loop model behind SiteModel: hand-computed small sites, accounting, determinism, and the
 * scenario features the model runs (cache servers, leavers, corrupt peers, several subnets).
 */
class LoopSiteModelTest {
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
    return SiteRun.run(new LoopSiteModel(), s, RunOptions.defaults());
  }

  /** V1 content information of a package (PROTOCOL.md §2.3). */
  private static long ci(long size) {
    return LoopSimulation.contentInformationBytes(size);
  }

  @Test
  void oneNodeByHand() {
    SiteReport r = run(site(1, 1, "1MiB"));
    long describe = LoopSimulation.describeBytes(); // 250 + 18 + 84 + 4 + 32 = 388 bytes
    long hashes = LoopSimulation.segmentBytes(16); // 250 + 106 + 16 × 32 = 868 bytes
    assertEquals(388, describe);
    // One byte of content information (one RTT plus 388 B at 10 Mbit/s) describes the segment; the
    // node probes it and waits the discovery wait (300 ms); nobody has its hash list, so the
    // publisher sends it (one RTT plus 868 B). The discovery wait is over: the range goes out at
    // once, reaches the publisher half an RTT later, 16 blocks of 64 KiB leave back to back at
    // 10 Mbit/s and the last arrives half an RTT after it left.
    double expected = 0.04 + describe * 8 / 10e6 + 0.3 + 0.04 + hashes * 8 / 10e6 + 0.02 + 16 * 0.0524288 + 0.02;
    assertEquals(expected, r.completionP50(), 1e-9);
    assertEquals((1L << 20) + describe + hashes, r.wanBytes());
    assertEquals(0.0, r.peerByteFraction());
    // Ideal: max(8 Mibit / 10 Mbit/s, 8 Mibit / 1 Gbit/s) + 2 × 40 ms.
    assertEquals(0.8388608 + 0.08, r.idealSeconds(), 1e-12);
    assertEquals(16, r.originByReason().get("no_peer")[0]);
  }

  @Test
  void twoNodesStartingTogetherFetchThePackageOnceOverTheWan() {
    SiteReport r = run(site(1, 2, "4MiB"));
    long size = 4L << 20;
    assertEquals(2, r.downloadsCompleted());
    // One of them is the subnet's origin fetcher; the other copies every block over the LAN, and
    // the segment's block-hash list too (content information crosses once, plus two descriptions).
    assertEquals(size + 2 * LoopSimulation.describeBytes() + LoopSimulation.segmentBytes(64), r.wanBytes());
    assertEquals(size, r.receivedBytes(ByteSource.PEER));
    assertEquals(size, r.originByReason().get("coordinated")[1]);
  }

  @Test
  void accountingIsConsistent() {
    SiteReport r = run(site(2, 12, "40MiB", "[arrival]", "pattern = uniform", "window = 20s"));
    long size = 40L << 20;
    assertEquals(24, r.downloadsCompleted());
    // Every node stored the package exactly once, from peers or the origin.
    assertEquals(24 * size, r.receivedBytes(ByteSource.PEER) + r.receivedBytes(ByteSource.ORIGIN));
    // Origin bytes by reason add up to the origin's block bytes; the WAN also carried the content
    // information: descriptions for every download, hash lists far fewer times than downloads.
    long originBlocks = r.originByReason().values().stream().mapToLong(v -> v[1]).sum();
    assertEquals(r.receivedBytes(ByteSource.ORIGIN), originBlocks);
    long ciBytes = r.wanBytes() - originBlocks;
    assertTrue(ciBytes >= 24 * 2 * LoopSimulation.describeBytes() && ciBytes < 24 * ci(size) / 2, "ci " + ciBytes);
    @SuppressWarnings("unchecked")
    List<java.util.Map<String, Object>> subs = (List<java.util.Map<String, Object>>) r.toMap().get("per_subnet");
    assertEquals(r.wanBytes(), subs.stream().mapToLong(m -> (Long) m.get("wan_bytes")).sum());
    // Each subnet needs the package at least once over the WAN (PCCRD does not cross subnets).
    for (java.util.Map<String, Object> m : subs) {
      assertTrue((Long) m.get("wan_bytes") >= size, m.toString());
    }
    // Every peer byte was sent by someone.
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
  void aPrepopulatedCacheServerKeepsTheWanToContentInformation() {
    SiteReport r = run(site(1, 20, "16MiB", "[subnet.s0]", "cache-servers = 1", "cache-prepopulated = true",
        "[arrival]", "pattern = all-at-once", "window = 1s"));
    assertEquals(20, r.downloadsCompleted());
    // Only content information crossed the WAN: one description each; the hash list came from the
    // cache server.
    assertEquals(20 * LoopSimulation.describeBytes(), r.wanBytes(), "only descriptions crossed the WAN");
    assertEquals(20 * (16L << 20), r.receivedBytes(ByteSource.PEER));
  }

  @Test
  void leaversAndCorruptPeersDoNotStopTheOthers() {
    SiteReport r = run(site(1, 30, "16MiB", "[arrival]", "pattern = all-at-once", "window = 1s", "[faults]",
        "leave-fraction = 0.1", "leave-after = 300ms", "corrupt-fraction = 0.1"));
    assertEquals(3, r.nodesLeft(), "three left mid-download");
    assertEquals(27, r.downloadsCompleted(), "every node that stayed finished");
    assertTrue(((Number) r.toMap().get("bad_blocks")).longValue() > 0, "bad blocks are reported");
    assertTrue(r.wanBytes() < 1.5 * (16L << 20) + 30 * ci(16L << 20), "wan bytes " + r.wanBytes());
  }

  @Test
  void nodesThatStallNowAndThenStillFinishSoonAndFetchThePackageAboutOnce() {
    // live-16 in the model with every client stalling (short of CPU, a long GC pause) for up to
    // 3 s about every 5 s: a quarter of the time frozen. Before the loop counted blocks that only
    // seeds hold as rare, stopped taking a timed-out list for "holds everything" and stopped
    // waiting for lists of peers in back-off, the last node finished at 27 × ideal (the subnet
    // waited on blocks nobody would ask for); now 1.35–1.84 × depending on when the stalls fall
    // (1.6 × on average over seeds 1–20; 2.4 × before the model's client links took blocks in the
    // order they arrive). Where the stalls fall decides a single run, so three seeds are run: each
    // must stay far from 27 ×, and their mean near the average.
    double sum = 0;
    for (int seed = 1; seed <= 3; seed++) {
      Scenario s = Scenarios.load("live-16", List.of(new ScenarioFile.Override("faults.stall-every", "5s", "test"),
          new ScenarioFile.Override("faults.stall-max", "3s", "test"),
          new ScenarioFile.Override("site.seed", Integer.toString(seed), "test")));
      SiteReport r = run(s);
      assertEquals(16, r.downloadsCompleted(), "seed " + seed);
      assertTrue(r.wanRatio() <= 1.1, "seed " + seed + ": wan ratio " + r.wanRatio());
      double last = r.completionMax() / r.idealSeconds();
      assertTrue(last <= 4, "seed " + seed + ": last done at " + last + " × ideal");
      sum += last;
    }
    assertTrue(sum / 3 <= 2.5, "last done at " + sum / 3 + " × ideal on average");
  }
}
