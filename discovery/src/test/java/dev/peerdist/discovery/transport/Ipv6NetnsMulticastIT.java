package dev.peerdist.discovery.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.ProbeMatch;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 PCCRD over [ff02::c] between two network namespaces joined by a veth pair (LIMITS.md:
 * IPv6 multicast is not delivered on loopback). The responder runs in a child JVM inside a new
 * namespace; the prober runs here on the root-namespace end of the pair. Needs root and
 * iproute2; everything created is removed afterwards.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Ipv6NetnsMulticastIT {
  @Test
  void aPeerInAnotherNamespaceAnswersAnIpv6Probe() throws Exception {
    int port = LoopbackMulticast.testPort();
    byte[] keyBytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(keyBytes);
    try (Netns n = Netns.create()) {
      // No automatic link-local addresses: fixed addresses without DAD are usable at once.
      Netns.run("ip", "link", "set", n.here, "addrgenmode", "none");
      n.inside("link", "set", n.there, "addrgenmode", "none");
      Netns.run("ip", "addr", "add", "fd42:" + n.tag + "::1/64", "dev", n.here, "nodad");
      n.inside("addr", "add", "fd42:" + n.tag + "::2/64", "dev", n.there, "nodad");
      Netns.run("ip", "link", "set", n.here, "up");
      n.inside("link", "set", n.there, "up");
      Netns.Child child = n.java(NetnsResponder.class, Integer.toString(port), HexFormat.of().formatHex(keyBytes),
          "9", "5000", n.there + ":8080");
      String ready = child.await("READY", 30);
      assertTrue(ready != null, "responder did not start: " + child.lines);

      try (WsDiscoveryPeerDirectory prober = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
          .interfaces(List.of(n.here)).ipv4(false).port(port).pccrrPort(8081).build())) {
        DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, keyBytes);
        List<ProbeMatch> matches = prober.probe(List.of(key), Duration.ofMillis(2000), 1).get(20, TimeUnit.SECONDS);
        assertEquals(1, matches.size(), "stats " + prober.stats() + ", child " + child.lines);
        ProbeMatch m = matches.get(0);
        assertEquals(InetAddress.getByName("fd42:" + n.tag + "::2"), m.peer().address().getAddress());
        assertEquals(8080, m.peer().address().getPort());
        assertEquals(9, m.blocksHeld().get(key));
        assertEquals(0, prober.stats().offSubnet());
      }
    }
  }
}
