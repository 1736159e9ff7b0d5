package dev.peerdist.simulator.scenario;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The seeded plan: roles, arrival patterns, exact fault counts, determinism. */
class SitePlanTest {
  private static Scenario scenario(String... extra) {
    List<String> lines = new java.util.ArrayList<>(List.of("[site]", "wan-rate = 100Mbit", "seed = 3",
        "[subnet.a]", "clients = 40", "seeded-clients = 2", "cache-servers = 1", "[subnet.b]", "clients = 60",
        "cache-servers = 1", "cache-prepopulated = false", "[package.p]", "size = 64MiB"));
    lines.addAll(List.of(extra));
    return ScenarioFile.parse(lines, "t", "t", List.of());
  }

  @Test
  void rolesAndHoldings() {
    SitePlan plan = SitePlan.of(scenario());
    assertEquals(102, plan.nodes().size());
    SitePlan.Node seeded = plan.nodes().get(0);
    assertEquals(SitePlan.Role.SEEDED_CLIENT, seeded.role());
    assertTrue(seeded.holds()[0] && !seeded.wants(0));
    SitePlan.Node cacheA = plan.nodes().get(40);
    assertEquals(SitePlan.Role.CACHE_SERVER, cacheA.role());
    assertTrue(cacheA.holds()[0] && !cacheA.wants(0));
    SitePlan.Node cacheB = plan.nodes().get(101);
    assertEquals(1, cacheB.subnet());
    assertEquals(0, cacheB.startNanos()[0], "a cache server that is not pre-populated fetches from time 0");
    long clients = plan.nodes().stream().filter(n -> n.role() == SitePlan.Role.CLIENT && n.wants(0)).count();
    assertEquals(98, clients);
  }

  @Test
  void arrivalPatterns() {
    long[] all = starts(scenario("[arrival]", "pattern = all-at-once"));
    assertTrue(Arrays.stream(all).allMatch(t -> t == 0));
    long[] uniform = starts(scenario("[arrival]", "pattern = uniform", "window = 30s"));
    assertTrue(Arrays.stream(uniform).allMatch(t -> t >= 0 && t < 30_000_000_000L));
    assertTrue(Arrays.stream(uniform).distinct().count() > 90);
    long[] waves = starts(scenario("[arrival]", "pattern = waves", "window = 50s", "waves = 5"));
    assertTrue(Arrays.stream(waves).allMatch(t -> t % 10_000_000_000L == 0 && t < 50_000_000_000L));
    assertEquals(5, Arrays.stream(waves).distinct().count());
    long[] poisson = starts(scenario("[arrival]", "pattern = poisson", "rate = 10"));
    long[] sorted = poisson.clone();
    Arrays.sort(sorted);
    // 98 arrivals at 10/s: the last near 9.8 s (a Poisson sum; generous bounds, fixed seed).
    assertTrue(sorted[sorted.length - 1] > 5_000_000_000L && sorted[sorted.length - 1] < 15_000_000_000L,
        Arrays.toString(sorted));
    assertEquals(98, Arrays.stream(poisson).distinct().count());
  }

  @Test
  void faultCountsAreExactAndLeaveTimesFollowTheRule() {
    SitePlan plan = SitePlan.of(scenario("[faults]", "leave-fraction = 0.1", "leave-after = 2s",
        "corrupt-fraction = 0.25", "[arrival]", "pattern = uniform", "window = 10s"));
    List<SitePlan.Node> leavers = plan.nodes().stream().filter(n -> n.leaveAtNanos() >= 0).toList();
    assertEquals(10, leavers.size(), "round(0.1 × 98 downloading clients)");
    for (SitePlan.Node n : leavers) {
      assertEquals(n.firstStartNanos() + 2_000_000_000L, n.leaveAtNanos());
    }
    assertEquals(25, plan.nodes().stream().filter(SitePlan.Node::corrupt).count(), "round(0.25 × 100 clients)");
  }

  @Test
  void packagesPartialAudienceAndOffset() {
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 100Mbit", "[subnet.a]", "clients = 10",
        "[subnet.b]", "clients = 10", "[package.p]", "size = 1MiB", "[package.q]", "size = 1MiB", "subnets = b",
        "fraction = 0.5", "start = 3s"), "t", "t", List.of());
    SitePlan plan = SitePlan.of(s);
    assertEquals(20, plan.nodes().stream().filter(n -> n.wants(0)).count());
    List<SitePlan.Node> q = plan.nodes().stream().filter(n -> n.wants(1)).toList();
    assertEquals(5, q.size());
    for (SitePlan.Node n : q) {
      assertEquals(1, n.subnet());
      assertEquals(n.startNanos()[0] + 3_000_000_000L, n.startNanos()[1]);
    }
  }

  @Test
  void sameSeedSamePlanOtherSeedOtherPlan() {
    Scenario s = scenario("[arrival]", "pattern = uniform", "window = 30s", "[faults]", "leave-fraction = 0.2");
    assertArrayEquals(starts(s), starts(s));
    assertNotEquals(Arrays.toString(starts(s)), Arrays.toString(starts(s.withSeed(4))));
  }

  private static long[] starts(Scenario s) {
    return SitePlan.of(s).nodes().stream().filter(n -> n.role() == SitePlan.Role.CLIENT)
        .mapToLong(n -> n.startNanos()[0]).toArray();
  }
}
