package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.PeerDirectoryConformanceTest;
import dev.peerdist.discovery.PeerEndpoint;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The PCCRD directory passes the conformance suite over real IPv4 multicast on loopback. */
class WsDiscoveryPeerDirectoryMulticastIT extends PeerDirectoryConformanceTest {
  private static final int PORT = LoopbackMulticast.testPort();

  @BeforeAll
  static void needMulticast() {
    Assumptions.assumeTrue(LoopbackMulticast.available(),
        "IPv4 multicast to 239.255.255.250 is not delivered on lo here (LIMITS.md \"Multicast\")");
    LoopbackMulticast.warmUpCodec();
  }

  /** Generous, so that a cold JVM on a busy 2-core CI machine still hears every answer. */
  @Override
  protected Duration probeWait() {
    return Duration.ofMillis(1000);
  }

  @Override
  protected PeerDirectory newDirectory(PeerEndpoint advertised) {
    return WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
        .interfaces(List.of("lo"))
        .ipv6(false)
        .port(PORT)
        .advertisedAddress(advertised.address().getAddress())
        .pccrrPort(advertised.address().getPort())
        .build());
  }
}
