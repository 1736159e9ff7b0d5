package dev.peerdist.node.hostedcache;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * Finds hosted caches by unicast DNS-SD (RFC 6763 over ordinary DNS) in a configured domain, so
 * discovery crosses subnets where multicast DNS (jmdns) cannot: {@code PTR _peerdist._tcp.DOMAIN}
 * lists instances; each instance's {@code SRV} gives host and PCCRR port, its {@code TXT} the
 * offer port ({@code pchc-tls=PORT}), the host's {@code A}/{@code AAAA} its address. Uses the JDK's
 * DNS provider (JNDI); a domain written {@code DOMAIN@HOST:PORT} asks that server, otherwise the
 * system's resolvers. Bounded: {@value #MAX_INSTANCES} instances, 1 s per query, 2 retries.
 */
public final class UnicastDnsSd {
  /** Most instances taken from one browse. */
  static final int MAX_INSTANCES = 8;
  /** The service type, as cache servers announce it by mDNS too. */
  static final String SERVICE = "_peerdist._tcp";

  private UnicastDnsSd() {}

  /** Why a {@code hosted-cache-domain} value is unusable, or null. */
  public static String problem(String spec) {
    if (spec.isEmpty()) {
      return null;
    }
    String[] p = spec.split("@", 2);
    if (!p[0].matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")) {
      return "'" + spec + "' is not a DNS domain (optionally DOMAIN@SERVER[:PORT])";
    }
    if (p.length == 2 && !p[1].matches("[A-Za-z0-9.:\\[\\]-]{1,255}")) {
      return "'" + spec + "': bad DNS server '" + p[1] + "'";
    }
    return null;
  }

  /**
   * Browses {@code spec} ({@code DOMAIN} or {@code DOMAIN@SERVER[:PORT]}) for hosted caches: every
   * instance whose TXT has {@code pchc-tls}.
   *
   * @throws NamingException when the DNS queries fail (no such domain, no server answered)
   */
  public static List<HostedCacheTarget> browse(String spec) throws NamingException {
    String[] p = spec.split("@", 2);
    String domain = p[0].toLowerCase(Locale.ROOT);
    Hashtable<String, String> env = new Hashtable<>();
    env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
    env.put("java.naming.provider.url", "dns://" + (p.length == 2 ? p[1] : "") + "/" + domain);
    env.put("com.sun.jndi.dns.timeout.initial", "1000");
    env.put("com.sun.jndi.dns.timeout.retries", "2");
    DirContext ctx = new InitialDirContext(env);
    try {
      List<HostedCacheTarget> out = new ArrayList<>();
      Attribute ptr = ctx.getAttributes(SERVICE, new String[] {"PTR"}).get("PTR");
      if (ptr == null) {
        return out;
      }
      NamingEnumeration<?> names = ptr.getAll();
      while (names.hasMore() && out.size() < MAX_INSTANCES) {
        String instance = relative(String.valueOf(names.next()), domain);
        try {
          HostedCacheTarget t = instance(ctx, instance, domain);
          if (t != null) {
            out.add(t);
          }
        } catch (NamingException | UnknownHostException | RuntimeException e) {
          // One broken instance does not hide the others.
        }
      }
      return out;
    } finally {
      ctx.close();
    }
  }

  private static HostedCacheTarget instance(DirContext ctx, String instance, String domain)
      throws NamingException, UnknownHostException {
    Attributes a = ctx.getAttributes(instance, new String[] {"SRV", "TXT"});
    Attribute srv = a.get("SRV");
    if (srv == null) {
      return null;
    }
    String[] s = String.valueOf(srv.get()).trim().split("\\s+");
    if (s.length != 4) {
      return null;
    }
    int pccrr = Integer.parseInt(s[2]);
    Map<String, String> txt = new HashMap<>();
    Attribute t = a.get("TXT");
    if (t != null) {
      NamingEnumeration<?> records = t.getAll();
      while (records.hasMore()) {
        for (String kv : String.valueOf(records.next()).split("\\s+")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            txt.putIfAbsent(kv.substring(0, eq).replace("\"", "").toLowerCase(Locale.ROOT),
                kv.substring(eq + 1).replace("\"", ""));
          }
        }
      }
    }
    String tls = txt.get("pchc-tls");
    if (tls == null || !tls.matches("\\d{1,5}") || Integer.parseInt(tls) < 1 || Integer.parseInt(tls) > 65535
        || pccrr < 1 || pccrr > 65535) {
      return null;
    }
    InetAddress host = address(ctx, relative(s[3], domain));
    return HostedCacheTarget.of(host, true, Integer.parseInt(tls), pccrr);
  }

  private static InetAddress address(DirContext ctx, String host) throws NamingException, UnknownHostException {
    Attributes a = ctx.getAttributes(host, new String[] {"A", "AAAA"});
    for (String type : new String[] {"A", "AAAA"}) {
      Attribute x = a.get(type);
      if (x != null) {
        return InetAddress.getByName(String.valueOf(x.get()));
      }
    }
    throw new UnknownHostException(host);
  }

  /** {@code name.} made relative to the context's domain when it lies inside it. */
  static String relative(String name, String domain) {
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    String suffix = "." + domain;
    return n.toLowerCase(Locale.ROOT).endsWith(suffix) ? n.substring(0, n.length() - suffix.length()) : n + ".";
  }
}
