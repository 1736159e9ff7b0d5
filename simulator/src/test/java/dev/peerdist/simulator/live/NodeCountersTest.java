package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A live run's figures are what each node's counters gained during the run, not since the node started. */
class NodeCountersTest {
  private static LiveSite.NodeCounters counters(long served, String metrics) {
    return LiveSite.NodeCounters.of(JsonText.parse("{\"totals\":{\"served\":" + served + "}}"), metrics);
  }

  @Test
  void theRunCountsOnlyWhatGrewAfterItsStart() {
    LiveSite.NodeCounters atStart = counters(1000, """
        peerdist_loop_decisions_total{decision="probe"} 40.0
        peerdist_loop_decisions_total{decision="origin_request"} 8.0
        peerdist_origin_fallbacks_total{reason="no_peer"} 8.0
        """);
    LiveSite.NodeCounters atEnd = counters(5096, """
        peerdist_loop_decisions_total{decision="probe"} 47.0
        peerdist_loop_decisions_total{decision="origin_request"} 8.0
        peerdist_loop_decisions_total{decision="block_request"} 30.0
        peerdist_origin_fallbacks_total{reason="no_peer"} 9.0
        peerdist_origin_fallbacks_total{reason="timeout"} 2.0
        peerdist_corrupt_blocks_total 1.0
        """);
    LiveSite.NodeCounters run = atEnd.since(atStart);
    assertEquals(4096, run.served());
    assertEquals(Map.of("probe", 7L, "block_request", 30L), run.decisions());
    assertEquals(Map.of("no_peer", 1L, "timeout", 2L), run.originFetches());
    assertEquals(Map.of("", 1L), run.corruptBlocks());
  }

  @Test
  void ownProbeReturnsCountOnlyDuringTheRun() {
    LiveSite.NodeCounters atStart = counters(0, """
        peerdist_discovery_own_probe_return_seconds_count 10.0
        peerdist_discovery_own_probe_return_seconds_sum 0.02
        peerdist_discovery_own_probe_return_seconds_max 0.005
        """);
    LiveSite.NodeCounters atEnd = counters(0, """
        peerdist_discovery_own_probe_return_seconds_count 30.0
        peerdist_discovery_own_probe_return_seconds_sum 25.02
        peerdist_discovery_own_probe_return_seconds_max 2.5
        """);
    LiveSite.NodeCounters run = atEnd.since(atStart);
    assertEquals(20, run.ownProbeReturns());
    assertEquals(25.0, run.ownProbeReturnSeconds(), 1e-9, "1.25 s a probe during the run, not 0.83 s since the start");
    assertEquals(0, counters(0, "").ownProbeReturns(), "a node without the timer (older, or no multicast)");
  }

  @Test
  void aNodeWithoutAStartSnapshotCountsFromZero() {
    LiveSite.NodeCounters atEnd = counters(7, "peerdist_origin_fallbacks_total{reason=\"no_peer\"} 3.0\n");
    assertEquals(atEnd, atEnd.since(null));
  }
}
