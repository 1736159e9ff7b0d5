package dev.peerdist.simulator.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The ideal, computed by hand for shipped and small scenarios. */
class IdealTest {
  @Test
  void live16IsTheWanBoundPlusTwoRoundTrips() {
    Ideal i = Scenarios.shipped("live-16", List.of()).ideal();
    // 100 MiB = 838,860,800 bit over 100 Mbit/s = 8.388608 s; LAN 0.8388608 s; + 2 × 20 ms.
    assertEquals(8.388608 + 0.04, i.seconds(), 1e-12);
    assertEquals(0.04, i.rttSeconds(), 1e-12);
    assertEquals(8.388608, i.packages().get(0).wanSeconds(), 1e-12);
    assertEquals(0.8388608, i.packages().get(0).lanSeconds(), 1e-12);
  }

  @Test
  void lanBoundWinsWhenTheLanIsSlower() {
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 1Gbit", "lan-rate = 100Mbit", "[subnet.a]",
        "clients = 3", "[package.p]", "size = 10000000"), "t", "t", List.of());
    // 80,000,000 bit: WAN 0.08 s, LAN 0.8 s, no RTT.
    assertEquals(0.8, s.ideal().seconds(), 1e-12);
  }

  @Test
  void subnetsShareTheWanAndPrepopulatedOnesAreLanBound() {
    Scenario s = Scenarios.shipped("multi-subnet-cache-servers", List.of());
    Ideal i = s.ideal();
    double bits = 8.0 * (512L << 20);
    double rtt = 0.08;
    // Only "shop" (cache server not pre-populated) needs the WAN: k = 1.
    assertEquals(1, i.packages().get(0).subnetsNeedingWan());
    // shop: max(bits / 50 Mbit, bits / 100 Mbit) + 2 RTT.
    assertEquals(bits / 50e6 + rtt, i.subnetSeconds()[2], 1e-9);
    // hq: pre-populated, LAN bound at 1 Gbit; lab at 10 Gbit.
    assertEquals(bits / 1e9 + rtt, i.subnetSeconds()[0], 1e-9);
    assertEquals(bits / 10e9 + rtt, i.subnetSeconds()[1], 1e-9);
    assertEquals(bits / 50e6 + rtt, i.seconds(), 1e-9);
    // Two subnets needing the package double the WAN term of the site.
    Scenario two = Scenarios.shipped("multi-subnet-cache-servers",
        List.of(new ScenarioFile.Override("subnet.hq.cache-prepopulated", "false", "test")));
    assertEquals(2 * bits / 50e6 + rtt, two.ideal().seconds(), 1e-9);
  }

  @Test
  void wanBudgetAndPublisherCapBoundTheWanTerm() {
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 100Mbit", "wan-budget = 10Mbit", "[subnet.a]",
        "clients = 3", "[package.p]", "size = 10000000"), "t", "t", List.of());
    assertEquals(8.0, s.ideal().seconds(), 1e-12);
    Scenario p = ScenarioFile.parse(List.of("[site]", "wan-rate = 100Mbit", "[publisher]", "upload-rate = 20Mbit",
        "[subnet.a]", "clients = 3", "[package.p]", "size = 10000000"), "t", "t", List.of());
    assertEquals(4.0, p.ideal().seconds(), 1e-12);
  }
}
