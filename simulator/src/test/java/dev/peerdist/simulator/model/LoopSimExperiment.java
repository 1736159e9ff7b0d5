package dev.peerdist.simulator.model;

import dev.peerdist.node.download.LoopSettings;
import java.time.Duration;
import java.util.Arrays;

/** A command-line experiment over {@link LoopSimulation} for tuning (not a test). */
public final class LoopSimExperiment {
  private LoopSimExperiment() {
  }

  public static void main(String[] args) {
    int nodes = Integer.getInteger("sim.nodes", 50);
    long size = Long.getLong("sim.mib", 64L) << 20;
    long window = (long) (Double.parseDouble(System.getProperty("sim.window", "1")) * 1e9);
    long wan = Long.getLong("sim.wanMbit", 100L) * 1_000_000L;
    long lan = Long.getLong("sim.lanMbit", 1000L) * 1_000_000L;
    int seeded = Integer.getInteger("sim.seeded", 0);
    LoopSettings d = LoopSettings.defaults();
    LoopSimulationTest.settings = new LoopSettings(Integer.getInteger("sim.perPeer", d.requestsPerPeer()),
        Integer.getInteger("sim.inFlight", d.requestsInFlight()), Integer.getInteger("sim.neighbors", d.neighbors()),
        d.hedgeAfter(), d.busyBackoff(), d.failureBackoff(), d.maxBackoff(), d.peerGoneAfter(), d.banFor(),
        Duration.ofMillis(Long.getLong("sim.list", d.blockListInterval().toMillis())), d.discoveryWait(),
        Duration.ofMillis(Long.getLong("sim.probeMin", d.probeMin().toMillis())), d.probeMax(), d.probePerWanter(),
        d.membershipWindow(), d.takeoverAfter(), d.suspectFor(), Integer.getInteger("sim.answers", d.answerTarget()),
        d.lanPatience(), Integer.getInteger("sim.range", d.originRangeBlocks()),
        Integer.getInteger("sim.flows", d.originFlows()), d.originRetry(), d.originGiveUp(), d.wanBudget(),
        d.readAheadBytes(), Duration.ofMillis(Long.getLong("sim.tick", d.tick().toMillis())));
    LoopSimulation.Site site = LoopSimulationTest.flashCrowd(nodes, size, wan, lan, window, 1, seeded);
    LoopSimulationTest.Counts c = new LoopSimulationTest.Counts(nodes);
    long t0 = System.nanoTime();
    long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    LoopSimulation sim = new LoopSimulation(site, c);
    c.sim = sim;
    long end = sim.run();
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpu = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e9;
    System.out.printf("cpu %.1f s: %.0f events per cpu-second%n", cpu, sim.events() / cpu);
    long ci = (long) (nodes - seeded) * LoopSimulation.contentInformationBytes(size);
    double ideal = Math.max(size * 8.0 / wan, size * 8.0 / lan);
    long[] sorted = Arrays.stream(c.done).filter(x -> x > 0).sorted().toArray();
    long up = Arrays.stream(c.uploaded).max().orElse(0);
    double mean = Arrays.stream(c.uploaded).average().orElse(1);
    System.out.printf("nodes %d, %d MiB: wan/package %.3f (full ci would be %.3f), p50 %.2f s p99 %.2f max %.2f (ideal %.2f: p99/ideal %.2f),"
        + " upload max/mean %.2f, events %d in %.1f s = %.0f/s, origin %s, bad %d%n", nodes, size >> 20,
        (double) c.wan / size, (double) ci / size, sorted[sorted.length / 2] / 1e9,
        sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e9,
        sorted[sorted.length - 1] / 1e9, ideal, sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)] / 1e9 / ideal,
        up / mean, sim.events(), secs, sim.events() / secs, c.origin, c.bad);
    Integer[] order = new Integer[nodes];
    for (int i = 0; i < nodes; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(c.uploaded[b], c.uploaded[a]));
    StringBuilder top = new StringBuilder("top uploaders (node: MB up / MB origin / done s):");
    for (int i = 0; i < Math.min(12, nodes); i++) {
      int n = order[i];
      top.append(String.format(" %d:%d/%d/%.1f", n, c.uploaded[n] / 1_000_000, c.received[1][n] / 1_000_000,
          c.done[n] / 1e9));
    }
    System.out.println(top);
    System.out.println("events: " + sim.eventsByKind() + " results: " + sim.resultsByOutcome());
    System.out.println("node 1 MB per 100 ms: " + Arrays.toString(Arrays.stream(Arrays.copyOf(c.trace[1], (int) (end / 1e8) + 1)).map(x -> x / 1_000_000).toArray()));
    System.out.println("wan per second (MB): " + Arrays.toString(Arrays.stream(Arrays.copyOf(c.wanPerSecond, (int) (end / 1e9) + 1)).map(x -> x / 1_000_000).toArray()));
  }
}
