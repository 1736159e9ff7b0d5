package dev.peerdist.discovery.transport;

import dev.peerdist.discovery.pccrd.PccrdTiming;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which (interface, address family) pairs discovery should use right now, read from the
 * operating system: the named interfaces, or every up, multicast-capable, non-loopback,
 * non-point-to-point one. An interface that is down, missing or has no address of a family
 * yields no candidate for it (yet); the directory asks again on every poll.
 */
final class LinkCandidates {
  /** Interfaces considered at most (a bound on work per poll and on sockets). */
  static final int MAX_INTERFACES = 64;

  private LinkCandidates() {}

  /**
   * One usable pair: the addresses to try for the prober socket (IPv6: link-local first, the
   * scope of ff02::c) and the subnets of the interface.
   */
  record Candidate(NetworkInterface nif, SocketProtocolFamily family, List<InetAddress> locals, List<Subnet> subnets) {
    String key() {
      return key(nif.getName(), family);
    }

    static String key(String name, SocketProtocolFamily family) {
      return name + "/" + (family == SocketProtocolFamily.INET ? "IPv4" : "IPv6");
    }
  }

  /**
   * Fails for named interfaces that do not exist: a configuration error, not a transient state.
   *
   * @throws IllegalArgumentException naming the key and the interface
   */
  static void checkNamesExist(List<String> names) {
    for (String n : names) {
      try {
        if (NetworkInterface.getByName(n) == null) {
          throw new IllegalArgumentException("discovery.interfaces: no network interface named '" + n + "'");
        }
      } catch (SocketException e) {
        throw new java.io.UncheckedIOException("discovery: cannot look up network interface " + n, e);
      }
    }
  }

  /** The current candidates by {@link Candidate#key()}, in interface order. */
  static Map<String, Candidate> current(WsDiscoveryConfig config) {
    Map<String, Candidate> out = new LinkedHashMap<>();
    for (NetworkInterface nif : interfaces(config.interfaces())) {
      if (config.ipv4()) {
        candidate(nif, SocketProtocolFamily.INET, config.localSubnets()).ifPresent(c -> out.put(c.key(), c));
      }
      if (config.ipv6()) {
        candidate(nif, SocketProtocolFamily.INET6, config.localSubnets()).ifPresent(c -> out.put(c.key(), c));
      }
    }
    return out;
  }

  private static List<NetworkInterface> interfaces(List<String> names) {
    List<NetworkInterface> out = new ArrayList<>();
    try {
      if (!names.isEmpty()) {
        for (String n : names) {
          NetworkInterface nif = NetworkInterface.getByName(n);
          if (nif != null && nif.isUp()) {
            out.add(nif);
          }
        }
        return out;
      }
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (out.size() < MAX_INTERFACES && nif.isUp() && !nif.isLoopback() && nif.supportsMulticast()
            && !nif.isPointToPoint()) {
          out.add(nif);
        }
      }
    } catch (SocketException e) {
      // An interface vanished while we looked: take what we have; the next poll looks again.
    }
    return out;
  }

  private static java.util.Optional<Candidate> candidate(NetworkInterface nif, SocketProtocolFamily family,
      List<Subnet> override) {
    List<InetAddress> locals = new ArrayList<>();
    List<Subnet> subnets = new ArrayList<>();
    for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
      InetAddress a = ia.getAddress();
      if (a == null) {
        continue;
      }
      subnets.add(Subnet.of(a.getAddress(), Math.max(0, Math.min(ia.getNetworkPrefixLength(), a.getAddress().length * 8))));
      boolean fits = family == SocketProtocolFamily.INET ? a instanceof Inet4Address : a instanceof Inet6Address;
      if (fits) {
        locals.add(a);
      }
    }
    if (locals.isEmpty()) {
      return java.util.Optional.empty();
    }
    // IPv6: the link-local address first, the scope of ff02::c.
    locals.sort((x, y) -> Boolean.compare(!x.isLinkLocalAddress(), !y.isLinkLocalAddress()));
    return java.util.Optional.of(new Candidate(nif, family, List.copyOf(locals),
        List.copyOf(override.isEmpty() ? subnets : override)));
  }

  /**
   * The group a responder of {@code family} binds and joins on {@code nif}: 239.255.255.250, or
   * ff02::c scoped to the interface (PROTOCOL.md §3.1).
   */
  static InetAddress group(SocketProtocolFamily family, NetworkInterface nif) {
    try {
      if (family == SocketProtocolFamily.INET) {
        return XAddr.parseLiteral(PccrdTiming.IPV4_GROUP);
      }
      return Inet6Address.getByAddress(null, XAddr.parseLiteral(PccrdTiming.IPV6_GROUP).getAddress(), nif);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
