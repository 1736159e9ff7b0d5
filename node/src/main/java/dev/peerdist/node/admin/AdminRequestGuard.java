package dev.peerdist.node.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses requests to the admin endpoint and the local mirror that a web page could have made
 * the browser send (issue 11, SEVERE 1):
 *
 * <ul>
 *   <li><b>DNS rebinding.</b> A page on {@code evil.example} whose name is re-pointed at
 *       127.0.0.1 reaches this port as "same origin", but its requests carry {@code Host:
 *       evil.example}. Only a Host naming this server is accepted: the bind address, a loopback
 *       literal, {@code localhost}, and — when bound to the wildcard — the machine's own
 *       addresses and host name. A request without Host (HTTP/1.0 tools) is accepted: browsers
 *       always send one.
 *   <li><b>Cross-site requests (CSRF).</b> A page may make the browser send a GET to
 *       {@code http://127.0.0.1:7780/download?url=…} (an image tag will do). Browsers mark such
 *       requests with {@code Origin} (on every cross-origin fetch and on most no-cors ones) and
 *       {@code Sec-Fetch-Site}. A request whose {@code Origin} is not this server, or whose
 *       {@code Sec-Fetch-Site} is {@code cross-site} or {@code same-site}, is refused.
 * </ul>
 *
 * Pure decision: headers in, a reason out. The port in Host/Origin is not compared: a rebinding
 * page already uses our port, and its host name is what gives it away.
 */
final class AdminRequestGuard {
  private final Set<String> hosts;

  /** Accepts the names of {@code bind} (all local addresses when it is the wildcard). */
  AdminRequestGuard(InetAddress bind) {
    Set<String> h = new HashSet<>();
    h.add("localhost");
    h.add("localhost.");
    h.add("127.0.0.1");
    h.add(compress("::1"));
    add(h, bind);
    if (bind.isAnyLocalAddress()) {
      try {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
          for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            add(h, a);
          }
        }
      } catch (SocketException e) {
        // Only the loopback names then.
      }
      try {
        h.add(InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT));
      } catch (java.net.UnknownHostException e) {
        // No host name: addresses only.
      }
    }
    this.hosts = Set.copyOf(h);
  }

  private static void add(Set<String> h, InetAddress a) {
    String s = a.getHostAddress();
    if (a instanceof Inet6Address) {
      int pct = s.indexOf('%');
      s = pct >= 0 ? s.substring(0, pct) : s;
      // Also the compressed form a browser writes ("::1" rather than "0:0:0:0:0:0:0:1").
      s = compress(s);
    }
    h.add(s.toLowerCase(Locale.ROOT));
  }

  /** One spelling per IPv6 address (the JDK's full form); anything else lower-cased as it is. */
  private static String compress(String v6) {
    String s = v6.toLowerCase(Locale.ROOT);
    // Only a literal is parsed, so this never looks a name up.
    if (s.contains(":") && s.matches("[0-9a-f:.]+")) {
      try {
        return InetAddress.getByName(s).getHostAddress();
      } catch (java.net.UnknownHostException e) {
        return s;
      }
    }
    return s;
  }

  /** Empty when the request may be served, else why it is refused (answered 403). */
  Optional<String> refusal(HttpHeaders headers) {
    String host = headers.get(HttpHeaderNames.HOST);
    if (host != null && !hostAllowed(hostPart(host))) {
      return Optional.of("Host '" + printable(host) + "' is not this node (DNS rebinding?)");
    }
    for (String origin : headers.getAll(HttpHeaderNames.ORIGIN)) {
      Optional<String> o = originHost(origin);
      if (o.isEmpty() || !hostAllowed(o.get())) {
        return Optional.of("cross-site request from Origin '" + printable(origin) + "'");
      }
    }
    String site = headers.get("Sec-Fetch-Site");
    if (site != null) {
      String s = site.trim().toLowerCase(Locale.ROOT);
      if (s.equals("cross-site") || s.equals("same-site")) {
        return Optional.of("cross-site request (Sec-Fetch-Site: " + printable(site) + ")");
      }
    }
    return Optional.empty();
  }

  private boolean hostAllowed(String host) {
    return host != null && hosts.contains(host.toLowerCase(Locale.ROOT));
  }

  /** {@code name[:port]} or {@code [v6][:port]} → the name or address, or null when malformed. */
  static String hostPart(String hostHeader) {
    String h = hostHeader.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      if (end < 0) {
        return null;
      }
      String rest = h.substring(end + 1);
      if (!rest.isEmpty() && !rest.matches(":\\d{1,5}")) {
        return null;
      }
      return compress(h.substring(1, end));
    }
    int colon = h.indexOf(':');
    if (colon >= 0) {
      if (!h.substring(colon).matches(":\\d{1,5}")) {
        return null;
      }
      h = h.substring(0, colon);
    }
    return h.isEmpty() ? null : h;
  }

  private static Optional<String> originHost(String origin) {
    try {
      URI u = new URI(origin.trim());
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
        return Optional.empty(); // "null" (sandboxed frames, file:) and anything odd
      }
      String host = u.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = compress(host.substring(1, host.length() - 1));
      }
      return Optional.of(host);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  private static String printable(String s) {
    String t = s.length() > 100 ? s.substring(0, 100) + "…" : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
