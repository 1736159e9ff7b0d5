package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.report.SiteRun;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioFile;
import dev.peerdist.simulator.scenario.Scenarios;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The default event cap ({@link LoopSiteModel#defaultMaxEvents}) lets every shipped scenario finish
 * with the defaults, checked without running the large ones: each shipped scenario runs cut down
 * (at most {@value #CLIENTS} clients a subnet, at most 32 MiB a package), and its events per block
 * of each download, times the full scenario's download blocks, must stay under half the full
 * scenario's cap. A run's events grow with its downloads' blocks (two events per block fetched from
 * a peer, plus the block-list answers and ticks): 3.0 per block at 50 × 32 MiB of flash-crowd-1000,
 * 3.3 at 1,000 × 1 GiB, 3.35 at 10,000 × 1 GiB. The cap of 50 M that every run had until
 * 2026-12-05 fails here (flash-crowd-1000 needs 54 M events).
 */
class DefaultMaxEventsTest {
  private static final int CLIENTS = 50;
  private static final long SIZE = 32L << 20;

  /** Blocks of every download of {@code s}: per node and package it fetches, the package's blocks. */
  private static long downloadBlocks(Scenario s) {
    SitePlan plan = SitePlan.of(s);
    long blocks = 0;
    for (SitePlan.Node n : plan.nodes()) {
      for (int p = 0; p < s.packages().size(); p++) {
        if (n.wants(p)) {
          blocks += (s.packages().get(p).sizeBytes() + LoopSimulation.BLOCK - 1) / LoopSimulation.BLOCK;
        }
      }
    }
    return blocks;
  }

  private static Scenario cutDown(String name, Scenario full) {
    List<ScenarioFile.Override> o = new ArrayList<>();
    for (Scenario.Subnet s : full.subnets()) {
      o.add(new ScenarioFile.Override("subnet." + s.name() + ".clients",
          Integer.toString(Math.min(s.clients(), CLIENTS)), "test"));
    }
    for (Scenario.PackageSpec p : full.packages()) {
      o.add(new ScenarioFile.Override("package." + p.name() + ".size", Long.toString(Math.min(p.sizeBytes(), SIZE)),
          "test"));
    }
    return Scenarios.shipped(name, o);
  }

  @Test
  void everyShippedScenarioNeedsLessThanHalfItsDefaultCap() {
    for (String name : Scenarios.SHIPPED) {
      Scenario full = Scenarios.shipped(name, List.of());
      Scenario small = cutDown(name, full);
      // Runs to the end with its own default cap (a run that hits it throws).
      SiteReport r = SiteRun.run(new LoopSiteModel(), small, RunOptions.defaults());
      assertTrue(r.downloadsCompleted() + r.nodesLeft() >= r.downloads(), name + ": downloads unfinished");
      double perBlock = (double) r.events() / downloadBlocks(small);
      double needed = perBlock * downloadBlocks(full);
      long cap = LoopSiteModel.defaultMaxEvents(full);
      assertTrue(2 * needed <= cap, name + ": " + r.events() + " events cut down (" + perBlock
          + " a download block) make about " + (long) needed + " at full size, more than half the default cap " + cap);
    }
  }

  @Test
  void flashCrowdCapIsAboveWhatItsRunNeeded() {
    // flash-crowd-1000, seed 1, at bd112fa (2026-12-05): 54,249,796 events to the last download.
    assertTrue(LoopSiteModel.defaultMaxEvents(Scenarios.shipped("flash-crowd-1000", List.of())) > 2 * 54_249_796L);
  }

  @Test
  void capGrowsWithTheDownloadsAndHasAFloor() {
    Scenario one = Scenarios.shipped("flash-crowd-1000", List.of(
        new ScenarioFile.Override("subnet.floor.clients", "1", "test")));
    assertEquals(LoopSiteModel.MIN_DEFAULT_MAX_EVENTS, LoopSiteModel.defaultMaxEvents(one));
    Scenario full = Scenarios.shipped("flash-crowd-1000", List.of());
    Scenario twice = Scenarios.shipped("flash-crowd-1000", List.of(
        new ScenarioFile.Override("subnet.floor.clients", "2000", "test")));
    // Per download: 10 × 16,384 blocks + 50 ticks/s × 10 × (8 GiBit ÷ 100 Mbit/s + 2 × 20 ms).
    double perDownload = 10 * 16_384 + 50 * 10 * (8.0 * (1L << 30) / 100e6 + 0.04);
    assertEquals(1000 * perDownload, LoopSiteModel.defaultMaxEvents(full), 1.0);
    assertEquals(2000 * perDownload, LoopSiteModel.defaultMaxEvents(twice), 2.0);
  }
}
