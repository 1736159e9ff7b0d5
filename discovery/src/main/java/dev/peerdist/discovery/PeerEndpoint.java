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

  /**
   * The {@code wsd:XAddrs} item for this endpoint: {@code ip:port}, with an IPv6 literal in
   * brackets ({@code [::1]:80}; the IPv6 form is UNCONFIRMED, PROTOCOL.md §8 item 8).
   */
  public String toXAddr() {
    String host = address.getAddress().getHostAddress();
    return (address.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  @Override
  public String toString() {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }
}
