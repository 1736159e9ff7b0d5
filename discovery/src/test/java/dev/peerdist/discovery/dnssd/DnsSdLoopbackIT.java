package dev.peerdist.discovery.dnssd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A cache server and a publisher announce themselves over mDNS on loopback; a browser lists them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsSdLoopbackIT {
  @Test
  void announcedServicesAreListedByRole() throws Exception {
    InetAddress lo = InetAddress.getByName("127.0.0.1");
    String suffix = Long.toHexString(System.nanoTime());
    try (ServiceAnnouncer cache = ServiceAnnouncer.start(lo, "cache-" + suffix, ServiceRole.CACHE_SERVER, 8081,
            Map.of("pccrr", "8081"));
        ServiceAnnouncer pub = ServiceAnnouncer.start(lo, "pub-" + suffix, ServiceRole.PUBLISHER, 8080,
            Map.of("https", "8443"));
        ServiceBrowser browser = ServiceBrowser.start(lo)) {
      // jmdns probes for name conflicts before it announces (about 1-2 s): poll, bounded.
      List<PeerdistService> all = List.of();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (all.size() < 2 && System.nanoTime() < deadline) {
        all = browser.list(Duration.ofSeconds(1)).stream().filter(s -> s.instanceName().endsWith(suffix)).toList();
      }
      Assumptions.assumeFalse(all.isEmpty(), "mDNS (224.0.0.251:5353) is not delivered on lo here");
      List<PeerdistService> caches = browser.list(ServiceRole.CACHE_SERVER, Duration.ofSeconds(2)).stream()
          .filter(s -> s.instanceName().endsWith(suffix)).toList();
      assertEquals(1, caches.size(), all.toString());
      PeerdistService c = caches.get(0);
      assertEquals(cache.instanceName(), c.instanceName());
      assertEquals(8081, c.port());
      assertEquals(OptionalInt.of(8081), c.pccrrPort());
      assertEquals("cache-server", c.txt().get("role"));
      assertTrue(c.addresses().contains(lo), c.addresses().toString());
      List<PeerdistService> pubs = browser.list(ServiceRole.PUBLISHER, Duration.ofSeconds(2)).stream()
          .filter(s -> s.instanceName().endsWith(suffix)).toList();
      assertEquals(1, pubs.size(), all.toString());
      assertEquals(8080, pubs.get(0).port());
      assertEquals(OptionalInt.of(8443), pubs.get(0).httpsPort());
    }
  }
}
