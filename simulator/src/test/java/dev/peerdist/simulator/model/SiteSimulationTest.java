package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.retrieval.SchedulerConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SiteSimulationTest {
  /** A small site: 16 MiB (256 blocks, one segment), 1 subnet of 20, 100 Mbit WAN. */
  private static SiteConfig small() {
    return SiteConfig.defaults().withNodes(1, 20).withSize(16L << 20).withLinks(100_000_000L, 1_000_000_000L)
        .withRollout(Duration.ofSeconds(30));
  }

  private static long total(SiteConfig c, int nodes) {
    return c.sizeBytes() * nodes;
  }

  @Test
  void sameSeedSameReportOtherSeedOtherStarts() {
    SiteConfig c = small().withFaults(0.1, 0.1);
    Report a = new SiteSimulation(c).run();
    Report b = new SiteSimulation(c).run();
    assertEquals(a, b);
    Report other = new SiteSimulation(c.withSeed(2)).run();
    assertTrue(!a.equals(other), "a different seed should change something: " + a);
  }

  @Test
  void oneNodeFetchesEverythingOverTheWan() {
    SiteConfig c = small().withNodes(1, 1);
    Report r = new SiteSimulation(c).run();
    assertEquals(1, r.completed());
    assertEquals(c.sizeBytes(), r.wanBytes());
    assertEquals(0, r.peerBytes());
    assertEquals(c.blocks(), r.fallbackNoPeer());
  }

  @Test
  void everyNodeCompletesAndEveryBlockHasExactlyOneSource() {
    SiteConfig c = small().withNodes(2, 15).withSize(40L << 20); // 640 blocks: two segments, short last block
    SiteSimulation sim = new SiteSimulation(c);
    Report r = sim.run();
    assertEquals(30, r.completed());
    for (int held : sim.heldCounts()) {
      assertEquals(c.blocks(), held);
    }
    // First copies from peers plus WAN fetches are exactly every node's package, no more, no less.
    assertEquals(total(c, 30), r.peerBytes() + r.wanBytes());
    assertEquals(r.wanBytes() / SiteConfig.BLOCK_SIZE, r.fallbackNoPeer() + r.fallbackPeersFailed(),
        "every WAN block is a fallback");
  }

  @Test
  void staggeredStartsCrossTheWanFarLessThanOncePerNode() {
    SiteConfig c = small().withNodes(1, 40);
    Report r = new SiteSimulation(c).run();
    assertEquals(40, r.completed());
    assertTrue(r.wanRatio() < 4, "WAN ÷ size should be far below 40 with staggered starts: " + r.toTable());
    assertTrue(r.peerShare() > 0.9, r.toTable());
  }

  @Test
  void corruptPeersAreDroppedAndTheirBlocksNeverCount() {
    SiteConfig c = small().withNodes(1, 30).withFaults(0, 0.3);
    SiteSimulation sim = new SiteSimulation(c);
    Report r = sim.run();
    int corrupt = sim.corruptNodes();
    assertTrue(corrupt > 0, "the seed should give some corrupt nodes");
    assertEquals(30, r.completed());
    assertTrue(r.badBlocks() > 0, "some bad blocks should be received: " + r.toTable());
    // The scheduler drops a peer at its first bad block; at most the peer's in-flight limit of
    // requests (hedges included) was outstanding then, so no more bad blocks arrive per drop.
    int limit = SchedulerConfig.defaults().maxInFlightPerPeer();
    assertTrue(r.badBlocks() <= (long) limit * r.peersDropped(), r.toTable());
    assertTrue(r.peersDropped() <= 30L * corrupt, r.toTable());
    assertEquals(total(c, 30), r.peerBytes() + r.wanBytes(), "bad blocks are never stored");
  }

  @Test
  void vanishingPeersDoNotStopTheOthers() {
    SiteConfig c = small().withNodes(1, 30).withFaults(0.3, 0);
    SiteSimulation sim = new SiteSimulation(c);
    Report r = sim.run();
    assertTrue(r.vanished() > 0, r.toTable());
    assertEquals(30, r.completed() + r.vanished(), r.toTable());
    List<Integer> held = sim.heldCounts();
    assertEquals(r.completed(), held.stream().filter(h -> h == c.blocks()).count());
  }

  @Test
  void refusesOversizedSitesAndRunawayRuns() {
    assertThrows(IllegalArgumentException.class, () -> SiteConfig.defaults().withNodes(100, 51));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new SiteSimulation(small().withMaxEvents(1000)).run());
    assertTrue(e.getMessage().contains("1000 events"), e.getMessage());
  }

  @Test
  void simultaneousStartsStampedeTheOriginUnlessSingleFlightIsModelled() {
    // FIELD.md §3 item 12: 20 nodes start within 1 s over a 20 Mbit WAN.
    SiteConfig c = small().withLinks(20_000_000L, 1_000_000_000L).withRollout(Duration.ofSeconds(1));
    Report plain = new SiteSimulation(c).run();
    Report shared = new SiteSimulation(c).withSingleFlight(true).run();
    assertEquals(20, plain.completed());
    assertEquals(20, shared.completed());
    assertTrue(plain.wanRatio() > 10, "the scheduler alone fetches per node: " + plain.toTable());
    assertTrue(shared.wanRatio() < 1.5, "single-flight fetches about once: " + shared.toTable());
    assertEquals(c.sizeBytes() * 20, shared.peerBytes() + shared.wanBytes());
  }

  @Test
  void wavesAfterTheFirstFetchFromPeers() {
    // Five waves 30 s apart: only the first wave's nodes find no holder; later waves find the first.
    SiteConfig c = small().withNodes(1, 25).withRollout(Duration.ofSeconds(150));
    Report r = new SiteSimulation(c).withWaves(5).run();
    assertEquals(25, r.completed());
    assertTrue(r.wanRatio() <= 7, "at most the first wave crosses the WAN: " + r.toTable());
    assertTrue(r.peerShare() > 0.7, r.toTable());
  }

  /**
   * Found by {@code SiteSimulationPropertiesTest} (shrunk sample: 2 subnets x 2 nodes, 297 blocks,
   * window 0, vanish 0.04, corrupt 0, seed -3, single-flight): a node waiting on a subnet-mate's
   * origin fetch hung when that mate vanished with the fetch still queued.
   */
  @Test
  void singleFlightWaitersOutliveAVanishedFetcher() {
    SiteConfig c = SiteConfig.defaults().withNodes(2, 2)
        .withSize(297L * SiteConfig.BLOCK_SIZE).withLinks(200_000_000L, 1_000_000_000L)
        .withRollout(Duration.ZERO).withFaults(0.04, 0.0).withSeed(-3);
    Report r = new SiteSimulation(c).withSingleFlight(true).run();
    assertEquals(4, r.completed() + r.vanished(), r.toTable());
  }
}
