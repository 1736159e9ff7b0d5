package dev.peerdist.discovery.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP network in CIDR form, for the "replies must come from the local subnet" rule
 * ([PCCRD-24] 3.1.4.1, PROTOCOL.md §3.1).
 */
public record Subnet(InetAddress network, int prefixLength) {
  public Subnet {
    int bits = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " outside 0.." + bits);
    }
  }

  /**
   * Parses {@code a.b.c.d/n} or {@code v6-literal/n}; the address must be a literal (no name
   * lookups).
   */
  public static Subnet parse(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("subnet '" + cidr + "' is not in address/prefix form");
    }
    InetAddress addr = XAddr.parseLiteral(cidr.substring(0, slash));
    if (addr == null) {
      throw new IllegalArgumentException("subnet '" + cidr + "' does not start with an IP literal");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("subnet '" + cidr + "' has a bad prefix length", e);
    }
    return new Subnet(addr, prefix);
  }

  /** Whether {@code a} lies in this network (addresses of the other family never do). */
  public boolean contains(InetAddress a) {
    byte[] x = a.getAddress();
    byte[] n = network.getAddress();
    if (x.length != n.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (x[i] != n[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (x[full] & mask) == (n[full] & mask);
  }

  static Subnet of(byte[] addr, int prefix) {
    try {
      return new Subnet(InetAddress.getByAddress(addr), prefix);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefixLength;
  }
}
