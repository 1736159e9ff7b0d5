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
    java.net.InetAddress a = address.getAddress();
    if (a instanceof java.net.Inet6Address) {
      // Without the zone: a scope id names an interface of this host and means nothing to a peer.
      try {
        a = java.net.InetAddress.getByAddress(a.getAddress());
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
      return "[" + a.getHostAddress() + "]:" + address.getPort();
    }
    return a.getHostAddress() + ":" + address.getPort();
  }

  @Override
  public String toString() {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }
}
