package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.PeerEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Reads a {@code wsd:XAddrs} item, {@code ip:port} without scheme (PROTOCOL.md §3.4), into a
 * {@link PeerEndpoint}. Only IP literals are accepted: a name would make the prober query DNS on
 * behalf of whoever sent the datagram. IPv6 literals are accepted in brackets, {@code [::1]:80}.
 */
final class XAddr {
  private XAddr() {}

  /** The endpoint, or null when {@code item} is not an IP literal with a port in 1..65535. */
  static PeerEndpoint parse(String item) {
    return parse(item, null);
  }

  /**
   * As {@link #parse(String)}, giving an IPv6 link-local address the scope of {@code scope} (the
   * interface the answer arrived on), without which it could not be connected to.
   */
  static PeerEndpoint parse(String item, java.net.NetworkInterface scope) {
    String host;
    String port;
    if (item.startsWith("[")) {
      int close = item.indexOf("]:");
      if (close < 0) {
        return null;
      }
      host = item.substring(1, close);
      port = item.substring(close + 2);
    } else {
      int colon = item.lastIndexOf(':');
      if (colon < 0 || item.indexOf(':') != colon) {
        return null;
      }
      host = item.substring(0, colon);
      port = item.substring(colon + 1);
    }
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    int p = Integer.parseInt(port);
    InetAddress a = parseLiteral(host);
    if (a == null || p < 1 || p > 65535) {
      return null;
    }
    if (scope != null && a instanceof java.net.Inet6Address && a.isLinkLocalAddress()) {
      try {
        a = java.net.Inet6Address.getByAddress(null, a.getAddress(), scope.getIndex());
      } catch (UnknownHostException e) {
        return null;
      }
    }
    return new PeerEndpoint(new InetSocketAddress(a, p));
  }

  /** An IPv4 dotted quad or an IPv6 literal, never looked up; null otherwise. */
  static InetAddress parseLiteral(String host) {
    if (host.isEmpty() || host.length() > 45) {
      return null;
    }
    if (host.indexOf(':') < 0) {
      String[] parts = host.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        String s = parts[i];
        if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return null;
        }
        int v = Integer.parseInt(s);
        if (v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      try {
        return InetAddress.getByAddress(b);
      } catch (UnknownHostException e) {
        return null;
      }
    }
    // Hex digits, colons and dots only (no zone ids): InetAddress parses such text as a literal
    // without any lookup.
    if (!host.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128 || c == ':' || c == '.')) {
      return null;
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
