package dev.peerdist.simulator.model;

import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteModel;
import dev.peerdist.simulator.report.SiteRecorder;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.ArrayList;
import java.util.List;

/**
 * The model of {@code peerdist simulate model}: the scenario's plan ({@link SitePlan}) run in
 * {@link LoopSimulation}, where every node runs the daemon's own download loop with the daemon's
 * {@link LoopSettings#defaults()} (plus the scenario's {@code wan-budget}), reported through a
 * {@link SiteRecorder}.
 */
public final class LoopSiteModel implements SiteModel {
  private final boolean wakeUps;

  /** The model with every loop ticking every 20 ms, as the daemon's does. */
  public LoopSiteModel() {
    this(false);
  }

  /**
   * @param wakeUps tick a node's loop only at its wake-ups (see {@link LoopSimulation}): fewer
   *     events, decisions not exactly the daemon's
   */
  public LoopSiteModel(boolean wakeUps) {
    this.wakeUps = wakeUps;
  }

  @Override
  public String name() {
    return "loop-model";
  }

  @Override
  public void check(Scenario s, RunOptions o) {
    // Everything a scenario describes is modelled; V2 publishers are noted (nodes fetch V1).
  }

  @Override
  public SiteReport run(Scenario s, RunOptions o) {
    SitePlan plan = SitePlan.of(s);
    SiteRecorder recorder = new SiteRecorder(plan, name(), o.progress());
    List<LoopSimulation.NodeSpec> nodes = new ArrayList<>();
    for (SitePlan.Node n : plan.nodes()) {
      nodes.add(new LoopSimulation.NodeSpec(n.id(), n.subnet(), n.role() == SitePlan.Role.CACHE_SERVER, n.corrupt(),
          n.leaveAtNanos(), n.startNanos().clone(), n.holds().clone()));
    }
    List<LoopSimulation.PackageSpec> packages = new ArrayList<>();
    for (Scenario.PackageSpec p : s.packages()) {
      packages.add(new LoopSimulation.PackageSpec(p.sizeBytes()));
    }
    long[] lan = new long[s.subnets().size()];
    for (int i = 0; i < lan.length; i++) {
      lan[i] = s.subnets().get(i).lanBitsPerSecond();
    }
    LoopSettings settings = LoopSettings.defaults().withWanBudget(s.wanBudgetBitsPerSecond() / 8);
    LoopSimulation.Site site = new LoopSimulation.Site(nodes, packages, s.subnets().size(), lan,
        s.wanBitsPerSecond(), s.wanRtt().toNanos(), s.publisher().uploadBitsPerSecond(), s.seed(), settings,
        o.maxEvents(), s.timeLimit().toNanos(), s.faults().stallEvery().toNanos(), s.faults().stallMax().toNanos());
    if (s.publisher().contentVersion() == 2) {
      recorder.note("the publisher hands out V2 content information to V2 clients; nodes fetch V1, as the daemon does");
    }
    recorder.note("every node runs the daemon's DownloadLoop with the daemon's LoopSettings; the LAN, WAN, discovery "
        + "and PCCRR servers are modelled (docs/SIMULATOR.md)");
    if (wakeUps) {
      recorder.note("--wake-ups: each loop ticks only at its wake-ups, not every 20 ms as the daemon's does "
          + "(docs/SIMULATOR.md, \"Scheduled wake-ups\")");
    }
    LoopSimulation sim = new LoopSimulation(site, new Adapter(recorder), wakeUps);
    long end = sim.run();
    recorder.events(sim.events());
    recorder.extra("loop_events_by_kind", sim.eventsByKind());
    return recorder.finish(end);
  }

  /** The simulation's reports into the recorder. */
  private static final class Adapter implements LoopSimulation.Recorder {
    private final SiteRecorder r;

    Adapter(SiteRecorder r) {
      this.r = r;
    }

    @Override
    public void wanBytes(long fromNanos, long toNanos, int subnet, long bytes) {
      r.wanBytes(fromNanos, toNanos, subnet, bytes);
    }

    @Override
    public void downloadDone(int node, int pkg, long startedAt, long doneAt) {
      r.downloadDone(node, pkg, startedAt, doneAt);
    }

    @Override
    public void nodeLeft(int node, long atNanos) {
      r.nodeLeft(node, atNanos);
    }

    @Override
    public void uploaded(int node, long bytes) {
      r.uploaded(node, bytes);
    }

    @Override
    public void received(int node, ByteSource source, long bytes) {
      r.received(node, source, bytes);
    }

    @Override
    public void originFetch(int node, String reason, long bytes) {
      r.originFetch(node, reason, bytes);
    }

    @Override
    public void badBlock(int node) {
      r.badBlock(node);
    }

    @Override
    public void tick(long nowNanos, long events) {
      r.tick(nowNanos, events);
    }
  }
}
