package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.metrics.ByteSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LoopSimulationTest {
  /** Counts what a run reports. */
  public static final class Counts implements LoopSimulation.Recorder {
    long wan;
    long[] uploaded;
    long[][] received;
    long[] done;
    final Map<String, Long> origin = new TreeMap<>();
    long bad;
    int downloads;
    long lastDone;

    public Counts(int nodes) {
      uploaded = new long[nodes];
      received = new long[3][nodes];
      done = new long[nodes];
    }

    long firstWan = -1;
    long lastWan;
    final long[] wanPerSecond = new long[600];

    @Override
    public void wanBytes(long fromNanos, long toNanos, int subnet, long bytes) {
      wan += bytes;
      if (firstWan < 0) {
        firstWan = fromNanos;
      }
      lastWan = toNanos;
      wanPerSecond[(int) Math.min(599, toNanos / 1_000_000_000L)] += bytes;
    }

    @Override
    public void downloadDone(int node, int pkg, long startedAt, long doneAt) {
      downloads++;
      done[node] = doneAt - startedAt;
      lastDone = Math.max(lastDone, doneAt);
    }

    @Override
    public void nodeLeft(int node, long atNanos) {
    }

    @Override
    public void uploaded(int node, long bytes) {
      uploaded[node] += bytes;
    }

    public LoopSimulation sim;
    public final long[][] trace = new long[2][400];

    @Override
    public void received(int node, ByteSource source, long bytes) {
      received[source.ordinal()][node] += bytes;
      if (sim != null && node < 2) {
        trace[node][(int) Math.min(399, sim.now() / 100_000_000L)] += bytes;
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
    }
  }

  static LoopSettings settings = LoopSettings.defaults();

  static LoopSimulation.Site flashCrowd(int nodes, long size, long wanBps, long lanBps, long windowNanos, long seed,
      int seeded) {
    SplittableRandom r = new SplittableRandom(seed);
    List<LoopSimulation.NodeSpec> specs = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      boolean holds = i < seeded;
      long start = holds ? -1 : (windowNanos == 0 ? 0 : r.nextLong(windowNanos));
      specs.add(new LoopSimulation.NodeSpec(i, 0, false, false, -1, new long[] {start}, new boolean[] {holds}));
    }
    return new LoopSimulation.Site(specs, List.of(new LoopSimulation.PackageSpec(size)), 1, new long[] {lanBps},
        wanBps, 20_000_000L, 0, seed, settings, 200_000_000L, 3_600_000_000_000L, 0, 0);
  }

  @Test
  void aFlashCrowdFetchesThePackageAboutOnceOverTheWan() {
    int nodes = Integer.getInteger("sim.nodes", 50);
    long size = Long.getLong("sim.mib", 64L) << 20;
    String ov = System.getProperty("sim.list");
    if (ov != null) {
      LoopSettings d = LoopSettings.defaults();
      settings = new LoopSettings(d.requestsPerPeer(), d.requestsInFlight(), Integer.getInteger("sim.neighbors", d.neighbors()), d.hedgeAfter(),
          d.busyBackoff(), d.failureBackoff(), d.maxBackoff(), d.peerGoneAfter(), d.banFor(),
          java.time.Duration.ofMillis(Long.parseLong(ov)), d.discoveryWait(), d.probeMin(), d.probeMax(),
          d.probePerWanter(), d.membershipWindow(), d.takeoverAfter(), d.suspectFor(), d.answerTarget(),
          d.lanPatience(), d.originRangeBlocks(), d.originFlows(), d.originRetry(), d.originGiveUp(),
          d.wanBudget(), d.readAheadBytes(), d.tick());
    }
    LoopSimulation.Site site = flashCrowd(nodes, size, 100_000_000L, 1_000_000_000L, 1_000_000_000L, 1, 0);
    Counts c = new Counts(nodes);
    long t0 = System.nanoTime();
    LoopSimulation sim = new LoopSimulation(site, c);
    long end = sim.run();
    double secs = (System.nanoTime() - t0) / 1e9;
    long ci = nodes * LoopSimulation.contentInformationBytes(size);
    System.out.printf("wan/package %.3f (content info %.3f), last done %.1f s, events %d, %.0f events/s, origin %s%n",
        (double) c.wan / size, (double) ci / size, end / 1e9, sim.events(), sim.events() / secs, c.origin);
    long[] sorted = java.util.Arrays.stream(c.done).sorted().toArray();
    System.out.printf("first wan %.2f s, last wan %.2f s, p50 %.2f s, p99 %.2f max %.2f, wan/s %s%n", c.firstWan / 1e9,
        c.lastWan / 1e9, sorted[sorted.length / 2] / 1e9, sorted[(int) (sorted.length * 0.99)] / 1e9,
        sorted[sorted.length - 1] / 1e9, java.util.Arrays.toString(java.util.Arrays.copyOf(c.wanPerSecond, 12)));
    assertEquals(nodes, c.downloads);
    assertTrue(c.wan - ci < 1.3 * size, "wan bytes " + c.wan);
  }

  @Test
  void theWanCarriesTheBlocksFetchedTheContentInformationAndWhatCutRangesLeftInFlight() {
    // Nodes that stall for up to 8 s now and then: stalled fetchers are taken over, and a taker
    // whose fetcher says it fetches again stops its ranges (docs/DOWNLOAD.md, takeover).
    long size = 64L << 20;
    long loss = LoopSimulation.cutLoss(100_000_000L, java.time.Duration.ofMillis(20));
    for (long seed = 1; seed <= 3; seed++) {
      LoopSimulation.Site site = flashCrowd(30, size, 100_000_000L, 1_000_000_000L, 50_000_000L, seed, 0)
          .withStalls(1_000_000_000L, 8_000_000_000L);
      Counts c = new Counts(30);
      LoopSimulation sim = new LoopSimulation(site, c);
      sim.run();
      assertEquals(30, c.downloads);
      long origin = c.origin.values().stream().mapToLong(Long::longValue).sum();
      assertEquals(c.wan, origin + sim.contentInformationWanBytes() + sim.cutBytes(),
          "WAN bytes are the blocks fetched, content information and what followed cuts");
      assertTrue(sim.cutBytes() <= sim.cuts() * loss, sim.cutBytes() + " bytes for " + sim.cuts() + " cuts");
    }
  }

  @Test
  void cutLossIsTwoBandwidthDelayProductsAndAtLeast256KiB() {
    assertEquals(500_000, LoopSimulation.cutLoss(100_000_000L, java.time.Duration.ofMillis(20)));
    assertEquals(256 << 10, LoopSimulation.cutLoss(10_000_000L, java.time.Duration.ofMillis(20)));
  }

  @Test
  void withWakeUpsEveryNodeFinishesWithFewerTicks() {
    LoopSimulation.Site site = flashCrowd(40, 32L << 20, 100_000_000L, 1_000_000_000L, 1_000_000_000L, 3, 0);
    Counts every = new Counts(40);
    LoopSimulation fixed = new LoopSimulation(site, every);
    fixed.run();
    Counts woken = new Counts(40);
    LoopSimulation wakes = new LoopSimulation(site, woken, true);
    wakes.run();
    assertEquals(40, every.downloads);
    assertEquals(40, woken.downloads, "a node that sleeps through what it waits for never finishes");
    long ticks = fixed.eventsByKind().get("tick");
    long fewer = wakes.eventsByKind().get("tick");
    assertTrue(fewer < ticks * 3 / 4, "ticks with wake-ups " + fewer + ", every 20 ms " + ticks);
    assertTrue(woken.wan < 1.3 * (32L << 20), "wan bytes " + woken.wan);
  }
}
