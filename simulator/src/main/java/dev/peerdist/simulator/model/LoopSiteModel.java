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
  /** The least default event cap: what every run had before the cap grew with the scenario. */
  public static final long MIN_DEFAULT_MAX_EVENTS = 50_000_000L;
  /**
   * Events per block of each download in the default cap. A block fetched from a peer is two
   * events (its request's SENT, then its RESULT), plus the block-list answers (LIST) the loop asks
   * for it; the shipped scenarios' runs need 2.2–3.5 per block in all (flash-crowd-1000: 54.2 M
   * events for 1,000 × 16,384 blocks = 3.3), so 10 leaves a factor of about 3.
   */
  public static final int DEFAULT_EVENTS_PER_BLOCK = 10;
  /**
   * Ideal times of each download's ticks in the default cap: a busy loop ticks every {@code tick}
   * (20 ms), so slow downloads of few blocks (a slow WAN) are ticks more than blocks.
   */
  public static final int DEFAULT_TICKED_IDEALS = 10;

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

  /**
   * The event cap of a run of {@code s} when none is given ({@link RunOptions#SCENARIO_DEFAULT}):
   * per download (a node and a package it fetches), {@value #DEFAULT_EVENTS_PER_BLOCK} events per
   * 64 KiB block of the package plus its ticks (every {@code tick} of the daemon's
   * {@link LoopSettings}, 20 ms) over {@value #DEFAULT_TICKED_IDEALS} × the package's ideal time
   * ({@link Scenario#ideal()}); at least {@value #MIN_DEFAULT_MAX_EVENTS}. It only stops a run that
   * went wrong or is far larger than expected: flash-crowd-1000 (1,000 × 1 GiB) gets 207 M and
   * needs 54 M.
   */
  public static long defaultMaxEvents(Scenario s) {
    return defaultMaxEvents(SitePlan.of(s));
  }

  static long defaultMaxEvents(SitePlan plan) {
    Scenario s = plan.scenario();
    double ticksPerSecond = 1e9 / LoopSettings.defaults().tick().toNanos();
    double cap = 0;
    for (int p = 0; p < s.packages().size(); p++) {
      long blocks = (s.packages().get(p).sizeBytes() + LoopSimulation.BLOCK - 1) / LoopSimulation.BLOCK;
      double perDownload = (double) DEFAULT_EVENTS_PER_BLOCK * blocks
          + DEFAULT_TICKED_IDEALS * s.ideal().packages().get(p).seconds() * ticksPerSecond;
      long downloads = 0;
      for (SitePlan.Node n : plan.nodes()) {
        if (n.wants(p)) {
          downloads++;
        }
      }
      cap += downloads * perDownload;
    }
    return Math.max(MIN_DEFAULT_MAX_EVENTS, (long) Math.min(cap, Long.MAX_VALUE / 2));
  }

  @Override
  public SiteReport run(Scenario s, RunOptions o) {
    SitePlan plan = SitePlan.of(s);
    long maxEvents = o.maxEvents() == RunOptions.SCENARIO_DEFAULT ? defaultMaxEvents(plan) : o.maxEvents();
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
        maxEvents, s.timeLimit().toNanos(), s.faults().stallEvery().toNanos(), s.faults().stallMax().toNanos());
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
