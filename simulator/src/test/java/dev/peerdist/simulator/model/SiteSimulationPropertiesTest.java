package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.retrieval.SchedulerConfig;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Conservation and determinism over random small sites, seeds and fault mixes. */
class SiteSimulationPropertiesTest {
  @Property(tries = 15)
  void everyBlockIsAccountedAndRunsRepeat(
      @ForAll @IntRange(min = 1, max = 3) int subnets,
      @ForAll @IntRange(min = 1, max = 8) int nodesPerSubnet,
      @ForAll @IntRange(min = 1, max = 600) int blocks,
      @ForAll @IntRange(min = 0, max = 20) int windowSeconds,
      @ForAll @DoubleRange(min = 0, max = 0.5) double vanish,
      @ForAll @DoubleRange(min = 0, max = 0.5) double corrupt,
      @ForAll long seed,
      @ForAll boolean singleFlight) {
    SiteConfig c = SiteConfig.defaults().withNodes(subnets, nodesPerSubnet)
        .withSize((long) blocks * SiteConfig.BLOCK_SIZE).withLinks(200_000_000L, 1_000_000_000L)
        .withRollout(Duration.ofSeconds(windowSeconds)).withFaults(vanish, corrupt).withSeed(seed);
    SiteSimulation sim = new SiteSimulation(c).withSingleFlight(singleFlight);
    Report r = sim.run();
    int nodes = subnets * nodesPerSubnet;
    assertEquals(nodes, r.completed() + r.vanished(), r.toTable());
    long heldBlocks = 0;
    long complete = 0;
    for (int held : sim.heldCounts()) {
      assertTrue(held <= blocks);
      heldBlocks += held;
      complete += held == blocks ? 1 : 0;
    }
    assertTrue(complete >= r.completed(), r.toTable());
    long fetched = r.peerBytes() + r.wanBytes();
    if (vanish == 0) {
      // Each stored block came from exactly one source, and nothing else was fetched.
      assertEquals(heldBlocks * SiteConfig.BLOCK_SIZE, fetched, r.toTable());
    } else {
      // A vanished node's origin fetches in flight crossed the WAN but were never stored.
      assertTrue(heldBlocks * SiteConfig.BLOCK_SIZE <= fetched, r.toTable());
      assertTrue(r.peerBytes() <= heldBlocks * SiteConfig.BLOCK_SIZE, "peer bytes count only stored blocks");
    }
    assertTrue(r.badBlocks() <= (long) SchedulerConfig.defaults().maxInFlightPerPeer() * r.peersDropped(),
        r.toTable());
    assertEquals(r, new SiteSimulation(c).withSingleFlight(singleFlight).run(), "same seed, same report");
  }
}
