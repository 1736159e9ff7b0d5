package dev.peerdist.simulator.model;

import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteModel;
import dev.peerdist.simulator.report.SiteRecorder;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Today's {@link SiteSimulation} behind {@link SiteModel}, until the model runs the daemon's own
 * download loop (issue 8). It maps a {@link Scenario} onto a {@link SiteConfig} and refuses, with
 * one message listing them all, what it cannot model: several packages or partial audiences,
 * unequal subnets, cache servers, seeded clients, Poisson arrivals, a fixed leave time, a WAN
 * budget, V2 content and a publisher upload cap. Its own limits stay: at most {@value
 * SiteConfig#MAX_NODES} nodes, start times and leavers drawn by {@link SiteSimulation} (per-node
 * chances, not the exact counts of {@link SitePlan}).
 */
public final class InterimSiteModel implements SiteModel {
  @Override
  public String name() {
    return "interim-model";
  }

  /** The {@link SiteConfig} for {@code s}, or a {@link ScenarioException} listing what cannot be modelled. */
  static SiteConfig toConfig(Scenario s, RunOptions o) {
    List<String> refused = new ArrayList<>();
    if (s.packages().size() != 1) {
      refused.add(s.packages().size() + " packages (it runs one)");
    }
    Scenario.PackageSpec p = s.packages().get(0);
    if (!p.subnets().isEmpty() || p.fraction() < 1 || !p.start().isZero()) {
      refused.add("a package wanted by part of the site or with a start offset");
    }
    Scenario.Subnet first = s.subnets().get(0);
    for (Scenario.Subnet n : s.subnets()) {
      if (n.clients() != first.clients()) {
        refused.add("subnets of different sizes (" + first.name() + " " + first.clients() + ", " + n.name() + " "
            + n.clients() + ")");
        break;
      }
    }
    for (Scenario.Subnet n : s.subnets()) {
      if (n.lanBitsPerSecond() != first.lanBitsPerSecond()) {
        refused.add("subnets with different LAN rates");
        break;
      }
    }
    if (s.subnets().stream().anyMatch(n -> n.cacheServers() > 0)) {
      refused.add("cache servers");
    }
    if (s.subnets().stream().anyMatch(n -> n.seededClients() > 0)) {
      refused.add("seeded clients");
    }
    if (s.arrival().pattern() == Scenario.Pattern.POISSON) {
      refused.add("Poisson arrivals");
    }
    if (s.arrival().waves() > SiteConfig.MAX_NODES) {
      refused.add("more than " + SiteConfig.MAX_NODES + " waves");
    }
    if (s.faults().leaveFraction() > 0 && s.faults().leaveAfter().kind() != Scenario.LeaveAfter.Kind.RANDOM) {
      refused.add("leave-after " + s.faults().leaveAfter().label() + " (it draws leave times itself: leave-after = random)");
    }
    if (s.wanBudgetBitsPerSecond() > 0) {
      refused.add("a wan-budget");
    }
    if (s.publisher().contentVersion() != 1) {
      refused.add("content-version 2 (it models V1 segments)");
    }
    if (s.publisher().uploadBitsPerSecond() > 0) {
      refused.add("a publisher upload-rate");
    }
    if (!refused.isEmpty()) {
      throw new ScenarioException("the interim model cannot run scenario " + s.name() + ": it does not model "
          + String.join("; ", refused) + " (the daemon-loop model of issue 8 will)");
    }
    SiteConfig d = SiteConfig.defaults();
    try {
      return new SiteConfig(s.subnets().size(), first.clients(), p.sizeBytes(), s.wanBitsPerSecond(), s.wanRtt(),
          first.lanBitsPerSecond(), d.lanLatency(), s.arrival().window(), d.probeWait(), d.uploadSlots(),
          d.originConcurrency(), d.readAhead(), d.peerTimeout(), s.faults().leaveFraction(),
          s.faults().corruptFraction(), s.seed(), o.maxEvents());
    } catch (IllegalArgumentException e) {
      throw new ScenarioException("the interim model cannot run scenario " + s.name() + ": " + e.getMessage());
    }
  }

  @Override
  public void check(Scenario s, RunOptions o) {
    toConfig(s, o);
  }

  @Override
  public SiteReport run(Scenario s, RunOptions o) {
    SiteConfig config = toConfig(s, o);
    int waves = s.arrival().pattern() == Scenario.Pattern.WAVES ? s.arrival().waves() : 0;
    SiteRecorder recorder = new SiteRecorder(SitePlan.of(s), name(), o.progress());
    recorder.note("interim model: SiteSimulation (DownloadScheduler per segment, probe once per segment), not yet "
        + "the daemon's download loop; start times and leavers are its own draws from the seed");
    if (o.singleFlight()) {
      recorder.note("single-flight model option on: NOT the daemon's behaviour");
    }
    Report r = new SiteSimulation(config).withSingleFlight(o.singleFlight()).withWaves(waves).withRecorder(recorder)
        .run();
    recorder.events(r.events());
    recorder.extra("interim_duplicate_peer_bytes", r.duplicatePeerBytes());
    recorder.extra("interim_peers_dropped", r.peersDropped());
    return recorder.finish((long) (r.lastEventSeconds() * 1e9));
  }
}
