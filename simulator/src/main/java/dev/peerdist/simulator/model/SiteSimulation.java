package dev.peerdist.simulator.model;

import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.metrics.ByteSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A site of {@link SiteConfig} (S subnets × N nodes, one package) run in {@link LoopSimulation}:
 * every node runs the daemon's download loop with the daemon's settings. Same config, same report.
 */
public final class SiteSimulation {
  private static final long NANOS = 1_000_000_000L;

  private final SiteConfig config;
  private Consumer<String> progress = s -> { };
  private int waves;

  public SiteSimulation(SiteConfig config) {
    this.config = config;
  }

  /** Receives a one-line progress summary now and then during long runs. */
  public SiteSimulation onProgress(Consumer<String> listener) {
    this.progress = listener;
    return this;
  }

  /**
   * No longer a model option: the daemon's loop coordinates origin fetches inside a subnet itself
   * (issue 8), so there is nothing to switch on.
   */
  public SiteSimulation withSingleFlight(boolean on) {
    if (on) {
      throw new IllegalStateException("--single-flight is gone: every node now runs the daemon's download loop, "
          + "which coordinates origin fetches within a subnet by itself");
    }
    return this;
  }

  /** Rolls out in {@code count} waves spread over the window (0 = uniform starts). */
  public SiteSimulation withWaves(int count) {
    if (count < 0 || count > SiteConfig.MAX_NODES) {
      throw new IllegalArgumentException("waves must be within 0.." + SiteConfig.MAX_NODES + ", got " + count);
    }
    this.waves = count;
    return this;
  }

  /** Runs the rollout and reports. */
  public Report run() {
    SplittableRandom random = new SplittableRandom(config.seed());
    long window = config.rolloutWindow().toNanos();
    long typical = (long) (Math.max(config.idealSeconds(), 1.0) * 4 * NANOS);
    List<LoopSimulation.NodeSpec> specs = new ArrayList<>();
    for (int s = 0; s < config.subnets(); s++) {
      for (int i = 0; i < config.nodesPerSubnet(); i++) {
        int id = specs.size();
        long start = waves > 0 ? random.nextInt(waves) * (window / waves) : window == 0 ? 0 : random.nextLong(window);
        boolean corrupt = random.nextDouble() < config.corruptFraction();
        long leave = random.nextDouble() < config.vanishFraction() ? start + random.nextLong(typical) : -1;
        specs.add(new LoopSimulation.NodeSpec(id, s, false, corrupt, leave, new long[] {start}, new boolean[] {false}));
      }
    }
    long[] lan = new long[config.subnets()];
    Arrays.fill(lan, config.lanBitsPerSecond());
    LoopSimulation.Site site = new LoopSimulation.Site(specs, List.of(new LoopSimulation.PackageSpec(config.sizeBytes())),
        config.subnets(), lan, config.wanBitsPerSecond(), config.wanRtt().toNanos(), 0, config.seed(),
        LoopSettings.defaults(), config.maxEvents(), 86_400L * NANOS);
    Totals t = new Totals(specs.size());
    LoopSimulation sim = new LoopSimulation(site, t);
    long end = sim.run();
    double[] times = t.completions();
    return new Report(specs.size(), times.length, t.left, config.sizeBytes(), t.wan, t.peer, 0,
        t.originBlocks("no_peer"), t.originBlocks("coordinated") + t.originBlocks("takeover"), t.bad, 0,
        percentile(times, 0.5), percentile(times, 0.99), times.length == 0 ? 0 : times[times.length - 1],
        config.idealSeconds(), end / 1e9, sim.events());
  }

  private static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
  }

  /** Sums of what a run reports. */
  private final class Totals implements LoopSimulation.Recorder {
    long wan;
    long peer;
    long bad;
    int left;
    final double[] done;
    final java.util.Map<String, Long> origin = new java.util.TreeMap<>();

    Totals(int nodes) {
      done = new double[nodes];
      Arrays.fill(done, -1);
    }

    long originBlocks(String reason) {
      return origin.getOrDefault(reason, 0L) / SiteConfig.BLOCK_SIZE;
    }

    double[] completions() {
      return Arrays.stream(done).filter(d -> d >= 0).sorted().toArray();
    }

    @Override
    public void wanBytes(long fromNanos, long toNanos, int subnet, long bytes) {
      wan += bytes;
    }

    @Override
    public void downloadDone(int node, int pkg, long startedAt, long doneAt) {
      done[node] = (doneAt - startedAt) / 1e9;
    }

    @Override
    public void nodeLeft(int node, long atNanos) {
      left++;
    }

    @Override
    public void uploaded(int node, long bytes) {
    }

    @Override
    public void received(int node, ByteSource source, long bytes) {
      if (source == ByteSource.PEER) {
        peer += bytes;
      }
    }

    @Override
    public void originFetch(int node, String reason, long bytes) {
      origin.merge(reason, bytes, Long::sum);
    }

    @Override
    public void badBlock(int node) {
      bad++;
    }

    @Override
    public void tick(long nowNanos, long events) {
      progress.accept(String.format(java.util.Locale.ROOT, "simulated %.1f s, %d events", nowNanos / 1e9, events));
    }
  }
}
