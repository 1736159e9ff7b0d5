package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peerdist.discovery.PeerEndpoint;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ResponderAddressesTest {
  static final PeerEndpoint V4 = new PeerEndpoint(new InetSocketAddress("10.64.0.2", 8780));
  static final PeerEndpoint V6 = new PeerEndpoint(new InetSocketAddress("fe80::1c1b:d2ff:fe15:d718", 8780));
  static final long MINUTE = 60_000_000_000L;

  @Test
  void anIpv6AnswerOfAResponderHeardOnIpv4IsTakenAtItsIpv4Endpoint() {
    ResponderAddresses a = new ResponderAddresses(16, MINUTE);
    assertEquals(V6, a.endpoint("urn:uuid:a", V6, 0), "nothing heard on IPv4 yet");
    assertEquals(V4, a.endpoint("urn:uuid:a", V4, 1));
    assertEquals(V4, a.endpoint("urn:uuid:a", V6, 2));
    assertEquals(V6, a.endpoint("urn:uuid:b", V6, 3), "another responder");
    assertEquals(V6, a.endpoint("", V6, 4), "no EndpointReference: as named");
    assertEquals(V6, a.endpoint(null, V6, 5));
  }

  @Test
  void anIpv4EndpointNotHeardForAMinuteNoLongerStandsForItsResponder() {
    ResponderAddresses a = new ResponderAddresses(16, MINUTE);
    a.endpoint("urn:uuid:a", V4, 0);
    assertEquals(V4, a.endpoint("urn:uuid:a", V6, MINUTE - 1));
    assertEquals(V6, a.endpoint("urn:uuid:a", V6, MINUTE));
    a.endpoint("urn:uuid:a", V4, MINUTE + 1); // heard on IPv4 again
    assertEquals(V4, a.endpoint("urn:uuid:a", V6, MINUTE + 2));
  }

  @Test
  void theResponderHeardLeastRecentlyIsForgottenBeyondTheBound() {
    ResponderAddresses a = new ResponderAddresses(2, MINUTE);
    a.endpoint("urn:uuid:a", V4, 0);
    a.endpoint("urn:uuid:b", V4, 1);
    a.endpoint("urn:uuid:a", V6, 2); // a is used: b is now the eldest
    a.endpoint("urn:uuid:c", V4, 3);
    assertEquals(V4, a.endpoint("urn:uuid:a", V6, 4));
    assertEquals(V6, a.endpoint("urn:uuid:b", V6, 5));
  }

  @Test
  void badBoundsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ResponderAddresses(0, MINUTE));
    assertThrows(IllegalArgumentException.class, () -> new ResponderAddresses(1, -1));
  }
}
