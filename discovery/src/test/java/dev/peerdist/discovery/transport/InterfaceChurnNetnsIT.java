package dev.peerdist.discovery.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * Interfaces and addresses that come and go (issue 10 item 4) and responders bound to their own
 * interface (issue 11), between two network namespaces joined by a veth pair. The responders run
 * in a child JVM inside the namespace; the prober runs here. Needs root and iproute2.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InterfaceChurnNetnsIT {
  private static DiscoveryKey key(byte[] b) {
    return DiscoveryKey.of(DiscoveryKey.Form.V1, b);
  }

  private static List<ProbeMatch> probe(WsDiscoveryPeerDirectory prober, DiscoveryKey k) throws Exception {
    return prober.probe(List.of(k), Duration.ofMillis(1000), 0).get(20, TimeUnit.SECONDS);
  }

  @Test
  void startUpUsesIpv4AtOnceAndAddsIpv6WhenDuplicateAddressDetectionEnds() throws Exception {
    int port = LoopbackMulticast.testPort();
    byte[] keyBytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(keyBytes);
    try (Netns n = Netns.create()) {
      String v4 = "10.213." + (Integer.parseInt(n.tag, 16) % 250) + ".";
      Netns.run("ip", "addr", "add", v4 + "1/24", "dev", n.here);
      Netns.run("ip", "addr", "add", "fd42:" + n.tag + "::1/64", "dev", n.here, "nodad");
      Netns.run("ip", "link", "set", n.here, "up");
      // Slow duplicate-address detection on the namespace's end: 10 probes 1 s apart.
      Netns.run("ip", "netns", "exec", n.ns, "sysctl", "-q", "-w", "net.ipv6.conf." + n.there + ".dad_transmits=10");
      Netns.run("ip", "netns", "exec", n.ns, "sysctl", "-q", "-w", "net.ipv6.neigh." + n.there + ".retrans_time_ms=1000");
      n.inside("addr", "add", v4 + "2/24", "dev", n.there);
      n.inside("link", "set", n.there, "up");
      n.inside("addr", "add", "fd42:" + n.tag + "::2/64", "dev", n.there);
      String addrs = n.inside("-6", "addr", "show", "dev", n.there);
      assertTrue(addrs.contains("tentative"), "the IPv6 address should still be in DAD: " + addrs);

      Netns.Child child = n.java(NetnsResponder.class, Integer.toString(port), HexFormat.of().formatHex(keyBytes),
          "7", "300", n.there + ":8080");
      String ready = child.await("READY", 30);
      assertTrue(ready != null, "the responder did not start (it must not die on a tentative address): " + child.lines);
      assertTrue(ready.contains(n.there + "/IPv4"), ready);
      boolean startedTentative = !ready.contains(n.there + "/IPv6");

      try (WsDiscoveryPeerDirectory v4Prober = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
              .interfaces(List.of(n.here)).ipv6(false).port(port).pccrrPort(8081).build());
          WsDiscoveryPeerDirectory v6Prober = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
              .interfaces(List.of(n.here)).ipv4(false).port(port).pccrrPort(8082)
              .interfacePollInterval(Duration.ofMillis(300)).build())) {
        // The child JVM is cold (its first decode loads the XML stack), so allow a few rounds; the
        // point is that IPv4 answers while IPv6 is still waiting for its address.
        List<ProbeMatch> m4 = List.of();
        for (int i = 0; i < 5 && m4.isEmpty(); i++) {
          m4 = probe(v4Prober, key(keyBytes));
        }
        assertEquals(1, m4.size(), "IPv4 answers at once; child " + child.lines);
        assertEquals(InetAddress.getByName(v4 + "2"), m4.get(0).peer().address().getAddress());
        boolean ipv4BeforeIpv6 = child.lines.stream().noneMatch(l -> l.equals("LINK up " + n.there + "/IPv6"));

        if (startedTentative) {
          String up = child.await("LINK up " + n.there + "/IPv6", 30);
          assertTrue(up != null, "IPv6 was never added: " + child.lines);
        }
        List<ProbeMatch> m6 = List.of();
        for (int i = 0; i < 20 && m6.isEmpty(); i++) {
          m6 = probe(v6Prober, key(keyBytes));
        }
        assertEquals(1, m6.size(), "IPv6 answers once the address is usable; child " + child.lines);
        assertEquals(7, m6.get(0).blocksHeld().get(key(keyBytes)));
        assertTrue(startedTentative, "the address was usable before the responder started, so this run did not "
            + "exercise start-up on a tentative address: " + ready);
        assertTrue(ipv4BeforeIpv6, "IPv4 should answer before the IPv6 address is usable: " + child.lines);

        // The interface goes away and comes back: the link follows.
        n.inside("link", "set", n.there, "down");
        assertTrue(child.await("LINK down " + n.there + "/IPv4", 30) != null, child.lines.toString());
        n.inside("link", "set", n.there, "up");
        assertTrue(child.await("LINK up " + n.there + "/IPv4", 30) != null, child.lines.toString());
        List<ProbeMatch> again = List.of();
        for (int i = 0; i < 10 && again.isEmpty(); i++) {
          again = probe(v4Prober, key(keyBytes));
        }
        assertEquals(1, again.size(), child.lines.toString());
      }
    }
  }

  @Test
  void aResponderOnOneInterfaceNeverHearsProbesOfAnother() throws Exception {
    int port = LoopbackMulticast.testPort();
    byte[] keyBytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(keyBytes);
    try (Netns n = Netns.create()) {
      String v4 = "10.214." + (Integer.parseInt(n.tag, 16) % 250) + ".";
      Netns.run("ip", "addr", "add", v4 + "1/24", "dev", n.here);
      Netns.run("ip", "link", "set", n.here, "up");
      n.inside("addr", "add", v4 + "2/24", "dev", n.there);
      n.inside("link", "set", n.there, "up");
      // Two directories in the namespace on the same port: one on "lo" only, one on the veth.
      Netns.Child child = n.java(NetnsResponder.class, Integer.toString(port), HexFormat.of().formatHex(keyBytes),
          "3", "5000", "lo:7001", n.there + ":7002");
      String ready = child.await("READY", 30);
      assertTrue(ready != null, "responders did not start: " + child.lines);
      try (WsDiscoveryPeerDirectory prober = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
          .interfaces(List.of(n.here)).ipv6(false).port(port).pccrrPort(8081).build())) {
        // A few rounds for a cold child JVM; every answer of every round counts.
        java.util.Set<Integer> ports = new java.util.TreeSet<>();
        for (int i = 0; i < 5 && ports.isEmpty(); i++) {
          probe(prober, key(keyBytes)).forEach(m -> ports.add(m.peer().address().getPort()));
        }
        probe(prober, key(keyBytes)).forEach(m -> ports.add(m.peer().address().getPort()));
        assertEquals(java.util.Set.of(7002), ports,
            "only the veth responder may answer a probe that came in on the veth; child " + child.lines);
        assertFalse(ready.contains(" nio"), "Linux CI must use the epoll transport: " + ready);
      }
    }
  }
}
