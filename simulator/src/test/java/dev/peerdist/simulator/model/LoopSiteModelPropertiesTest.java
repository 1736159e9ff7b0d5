package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.report.ReportWriter;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.report.SiteRun;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Issue 9's properties of the loop model over random small sites: every node that stays ends with
 * every block, each subnet without a pre-populated copy pulls the package over the WAN at least
 * once, no node uploads more than its LAN link could carry in the run, and a seed gives one report.
 */
class LoopSiteModelPropertiesTest {
  private static final String[] PATTERNS = {"all-at-once", "uniform", "waves", "poisson"};

  private static Scenario site(long seed, int subnets, int clients, int mib, int pattern, int leavePercent,
      int corruptPercent, boolean cacheServer) {
    List<String> lines = new ArrayList<>(List.of("[site]", "seed = " + seed, "wan-rate = 20Mbit", "wan-rtt = 30ms",
        "lan-rate = 1Gbit", "time-limit = 30m", "[package.p]", "size = " + mib + "MiB"));
    for (int i = 0; i < subnets; i++) {
      lines.add("[subnet.s" + i + "]");
      lines.add("clients = " + clients);
      if (cacheServer && i == 0) {
        lines.add("cache-servers = 1");
        lines.add("cache-prepopulated = true");
      }
    }
    lines.addAll(List.of("[arrival]", "pattern = " + PATTERNS[pattern], "window = 5s", "waves = 3", "rate = 2/s", "[faults]",
        "leave-fraction = " + leavePercent / 100.0, "leave-after = 200ms", "corrupt-fraction = " + corruptPercent / 100.0));
    return ScenarioFile.parse(lines, "property", "property", List.of());
  }

  @Property(tries = 25)
  void randomSitesEndWellAndRepeat(@ForAll @LongRange(min = 1, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 1, max = 3) int subnets, @ForAll @IntRange(min = 1, max = 10) int clients,
      @ForAll @IntRange(min = 1, max = 12) int mib, @ForAll @IntRange(min = 0, max = 3) int pattern,
      @ForAll @IntRange(min = 0, max = 30) int leavePercent, @ForAll @IntRange(min = 0, max = 20) int corruptPercent,
      @ForAll boolean cacheServer) {
    Scenario s = site(seed, subnets, clients, mib, pattern, leavePercent, corruptPercent, cacheServer);
    SiteReport r = SiteRun.run(new LoopSiteModel(), s, RunOptions.defaults());
    long size = (long) mib << 20;
    String where = "seed " + seed + ": " + r.toMap().get("per_subnet");

    // Every client that stayed finished (one that left may have finished before it left), with the
    // whole package stored.
    assertTrue(r.downloadsCompleted() >= r.downloads() - r.nodesLeft(), where);
    assertTrue(r.downloadsCompleted() <= r.downloads(), where);
    long stored = r.receivedBytes(ByteSource.PEER) + r.receivedBytes(ByteSource.ORIGIN);
    assertTrue(stored >= (long) r.downloadsCompleted() * size, "stored " + stored + "; " + where);

    // A subnet without a pre-populated copy where someone finished pulled the package over the WAN
    // at least once (a subnet whose only clients left early may not have).
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> subs = (List<Map<String, Object>>) r.toMap().get("per_subnet");
    for (int i = 0; i < subs.size(); i++) {
      if (!(cacheServer && i == 0) && ((Number) subs.get(i).get("downloads_completed")).intValue() > 0) {
        assertTrue((Long) subs.get(i).get("wan_bytes") >= size, "subnet " + i + "; " + where);
      }
    }

    // Nobody uploaded more than a 1 Gbit/s link carries in the run.
    double bound = 1e9 / 8 * r.endSeconds();
    for (long up : r.uploadedBytes()) {
      assertTrue(up <= bound, up + " bytes uploaded in " + r.endSeconds() + " s; " + where);
    }

    // Same seed, same report.
    SiteReport again = SiteRun.run(new LoopSiteModel(), s, RunOptions.defaults());
    assertEquals(LoopSiteModelTest.stable(ReportWriter.json(r)), LoopSiteModelTest.stable(ReportWriter.json(again)),
        where);
  }
}
