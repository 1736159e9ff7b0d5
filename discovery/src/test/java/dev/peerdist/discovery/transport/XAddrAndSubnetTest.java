package dev.peerdist.discovery.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.PeerEndpoint;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class XAddrAndSubnetTest {
  @Test
  void xaddrsAreIpLiteralsWithAPort() throws Exception {
    assertEquals(new PeerEndpoint(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 80)), XAddr.parse("192.0.2.10:80"));
    assertEquals(new PeerEndpoint(new InetSocketAddress(InetAddress.getByName("::1"), 8080)), XAddr.parse("[::1]:8080"));
    for (String bad : new String[] {"host.example:80", "192.0.2.10", "192.0.2.256:80", "192.0.2.10:0", "192.0.2.10:65536",
        ":80", "[::1]80", "::1:80", "1.2.3:80", "1.2.3.4.5:80", "[fe80::1%eth0]:80", "١٢.0.0.1:80", "[]:80"}) {
      assertNull(XAddr.parse(bad), bad);
    }
  }

  @Test
  void linkLocalXAddrsGetTheArrivalInterfaceAsScopeAndWeAdvertiseWithoutZone() throws Exception {
    java.net.NetworkInterface lo = java.net.NetworkInterface.getByName("lo");
    org.junit.jupiter.api.Assumptions.assumeTrue(lo != null, "no interface named lo");
    PeerEndpoint p = XAddr.parse("[fe80::1]:80", lo);
    assertEquals(lo.getIndex(), ((Inet6Address) p.address().getAddress()).getScopeId());
    assertEquals("[fe80:0:0:0:0:0:0:1]:80", p.toXAddr());
    assertEquals("192.0.2.10:80", XAddr.parse("192.0.2.10:80").toXAddr());
  }

  @Test
  void subnetsContainWhatTheirPrefixSays() throws Exception {
    Subnet s = Subnet.parse("10.1.0.0/15");
    assertTrue(s.contains(InetAddress.getByName("10.1.255.255")));
    assertTrue(s.contains(InetAddress.getByName("10.0.0.1")));
    assertFalse(s.contains(InetAddress.getByName("10.2.0.0")));
    assertTrue(Subnet.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9")));
    assertFalse(Subnet.parse("fd00::/8").contains(InetAddress.getByName("10.0.0.1")));
    assertTrue(Subnet.parse("fd00::/8").contains(InetAddress.getByName("fd12::1")));
    assertThrows(IllegalArgumentException.class, () -> Subnet.parse("10.0.0.0"));
    assertThrows(IllegalArgumentException.class, () -> Subnet.parse("10.0.0.0/33"));
    assertThrows(IllegalArgumentException.class, () -> Subnet.parse("example.org/8"));
  }
}
