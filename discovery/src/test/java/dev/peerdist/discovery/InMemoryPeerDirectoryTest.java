package dev.peerdist.discovery;

/** The in-memory twin passes the conformance suite. */
class InMemoryPeerDirectoryTest extends PeerDirectoryConformanceTest {
  private final InMemoryDiscoveryNetwork network = new InMemoryDiscoveryNetwork();

  @Override
  protected PeerDirectory newDirectory(PeerEndpoint advertised) {
    return network.join(advertised);
  }
}
