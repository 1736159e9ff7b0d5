package dev.peerdist.node.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.StoreStats;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NodeMetersTest {
  private static void assertLine(String scrape, String regex) {
    assertTrue(Pattern.compile("(?m)^" + regex + "$").matcher(scrape).find(),
        "no line matching " + regex + " in\n" + scrape);
  }

  @Test
  void prometheusNamesCarryPrefixUnitsAndTotal() {
    try (NodeMeters m = NodeMeters.prometheus()) {
      m.downloaded(ByteSource.PEER, 65536);
      m.downloaded(ByteSource.ORIGIN, 100);
      m.bindServed(() -> 4096);
      m.cacheLookup(true);
      m.cacheLookup(false);
      m.cacheLookup(false);
      m.originFallback(FallbackReason.NO_PEER, 65536);
      m.originFallback(FallbackReason.HASH_MISMATCH, 10);
      m.malformed(InputSource.PCCRD);
      m.discovery(Duration.ofMillis(300), false);
      m.download(true, true);
      m.peerRequest("getblks", "ok");
      m.bindStore(() -> new StoreStats(1000, 2000, 500, 3, 7, 1));
      String s = m.scrape();
      assertLine(s, "peerdist_download_bytes_total\\{source=\"peer\"\\} 65536\\.0");
      assertLine(s, "peerdist_download_bytes_total\\{source=\"origin\"\\} 100\\.0");
      assertLine(s, "peerdist_served_bytes_total 4096\\.0");
      assertLine(s, "peerdist_cache_lookups_total\\{result=\"miss\"\\} 2\\.0");
      assertLine(s, "peerdist_origin_fallbacks_total\\{reason=\"no_peer\"\\} 1\\.0");
      assertLine(s, "peerdist_origin_fallback_bytes_total\\{reason=\"hash_mismatch\"\\} 10\\.0");
      assertLine(s, "peerdist_malformed_inputs_total\\{source=\"pccrd\"\\} 1\\.0");
      assertLine(s, "peerdist_discovery_latency_seconds_count\\{result=\"none\"\\} 1");
      assertLine(s, "peerdist_downloads_total\\{mode=\"peerdist\",result=\"ok\"\\} 1\\.0");
      assertLine(s, "peerdist_peer_requests_total\\{message_type=\"getblks\",result=\"ok\"\\} 1\\.0");
      assertLine(s, "peerdist_store_used_bytes 1000\\.0");
      assertLine(s, "peerdist_store_segments 3\\.0");
      assertLine(s, "peerdist_store_evicted_segments_total 1\\.0");
      // Every reason exists from the start, so dashboards see zeros rather than gaps.
      assertLine(s, "peerdist_origin_fallbacks_total\\{reason=\"peer_busy\"\\} 0\\.0");
    }
  }

  @Test
  void discoveryDropsAndPccrrServerRefusalsAreExported() {
    try (NodeMeters m = NodeMeters.prometheus()) {
      m.probeDropped(dev.peerdist.discovery.DiscoveryListener.ProbeDrop.SOURCE_RATE_LIMITED);
      m.probeDropped(dev.peerdist.discovery.DiscoveryListener.ProbeDrop.DUPLICATE);
      m.probeDropped(dev.peerdist.discovery.DiscoveryListener.ProbeDrop.DUPLICATE);
      m.replyIdsTrimmed(3);
      m.bindPccrrServer(java.util.Map.of("malformed", () -> 2, "busy", () -> 5), () -> 7);
      String s = m.scrape();
      assertLine(s, "peerdist_pccrd_probes_dropped_total\\{reason=\"source_rate_limited\"\\} 1\\.0");
      assertLine(s, "peerdist_pccrd_probes_dropped_total\\{reason=\"duplicate\"\\} 2\\.0");
      assertLine(s, "peerdist_pccrd_probes_dropped_total\\{reason=\"rate_limited\"\\} 0\\.0");
      assertLine(s, "peerdist_pccrd_probes_dropped_total\\{reason=\"off_subnet\"\\} 0\\.0");
      assertLine(s, "peerdist_pccrd_reply_ids_trimmed_total 3\\.0");
      assertLine(s, "peerdist_pccrr_server_dropped_total\\{reason=\"malformed\"\\} 2\\.0");
      assertLine(s, "peerdist_pccrr_server_dropped_total\\{reason=\"busy\"\\} 5\\.0");
      assertLine(s, "peerdist_pccrr_server_queued_total 7\\.0");
    }
  }

  @Test
  void labelsAreBounded() {
    try (NodeMeters m = NodeMeters.prometheus()) {
      for (int i = 0; i < 100; i++) {
        m.downloaded(ByteSource.PEER, i);
        m.originFallback(FallbackReason.values()[i % FallbackReason.values().length], i);
      }
      long series = m.registry().getMeters().size();
      assertTrue(series < 60, "meter count grew: " + series);
      assertFalse(m.scrape().contains("127.0.0.1"));
    }
  }
}
