package dev.peerdist.discovery;

import java.net.InetSocketAddress;

/**
 * Where a peer serves PCCRR: the {@code host:port} of a ProbeMatch {@code wsd:XAddrs} entry
 * (PROTOCOL.md §3.4). Clients POST to {@code http://host:port/116B50EB-ECE2-41ac-8429-9F9E963361B7/}.
 */
public record PeerEndpoint(InetSocketAddress address) {
  public PeerEndpoint {
    if (address == null || address.isUnresolved()) {
      throw new IllegalArgumentException("peer endpoint needs a resolved address, got " + address);
    }
  }

  @Override
  public String toString() {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }
}
