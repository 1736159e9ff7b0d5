package dev.peerdist.node.origin;

import java.io.IOException;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP proxy a node reaches its publishers through (config {@code proxy}, or the usual {@code
 * HTTPS_PROXY} / {@code HTTP_PROXY} / {@code NO_PROXY} environment). Plain {@code http://} URLs are
 * sent to the proxy as absolute-form requests; {@code https://} URLs go through a {@code CONNECT}
 * tunnel, so the proxy sees neither the request nor the PeerDist headers. Proxy credentials
 * ({@code http://user:password@host:port}) are answered with Basic authentication when the proxy
 * asks (407).
 *
 * <p>Only publisher traffic uses this: PCCRR, PCCRD, block-hash lists from LAN peers and hosted-cache
 * offers are on the branch's own network and never go through a proxy.
 *
 * @param http proxy for {@code http://} URLs, or null
 * @param https proxy for {@code https://} URLs, or null
 * @param noProxy host suffixes, addresses or {@code *} that are reached directly
 * @param user proxy user name, or null
 * @param password proxy password, or null
 */
public record ProxySettings(InetSocketAddress http, InetSocketAddress https, List<String> noProxy, String user,
    String password) {
  /** No proxy at all. */
  public static final ProxySettings NONE = new ProxySettings(null, null, List.of(), null, null);

  /** Checks the combination. */
  public ProxySettings {
    noProxy = List.copyOf(noProxy);
    if ((user == null) != (password == null)) {
      throw new IllegalArgumentException("proxy user and password go together");
    }
  }

  /** True when no URL goes through a proxy. */
  public boolean none() {
    return http == null && https == null;
  }

  /**
   * Why a {@code proxy} value cannot be used, or null (empty and {@code none} are fine).
   */
  public static String problem(String value) {
    try {
      parseProxy(value == null ? "" : value.trim());
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * The settings from the {@code proxy} config value, falling back to the environment when it is
   * empty: {@code https_proxy}/{@code HTTPS_PROXY} for https URLs, {@code http_proxy}/{@code
   * HTTP_PROXY} for http URLs, {@code no_proxy}/{@code NO_PROXY} (comma-separated hosts, domain
   * suffixes, addresses or {@code *}) for exceptions. {@code none} turns every proxy off.
   *
   * @throws IllegalArgumentException naming the variable when a value is not a proxy URL
   */
  public static ProxySettings resolve(String configValue, Map<String, String> env) {
    String v = configValue == null ? "" : configValue.trim();
    List<String> noProxy = splitNoProxy(firstOf(env, "no_proxy", "NO_PROXY"));
    if (v.equalsIgnoreCase("none")) {
      return NONE;
    }
    if (!v.isEmpty()) {
      Parsed p = parseProxy(v);
      return new ProxySettings(p.address, p.address, noProxy, p.user, p.password);
    }
    String hs = firstOf(env, "https_proxy", "HTTPS_PROXY");
    String h = firstOf(env, "http_proxy", "HTTP_PROXY");
    Parsed ps = hs.isEmpty() ? null : parseEnv("HTTPS_PROXY", hs);
    Parsed pp = h.isEmpty() ? null : parseEnv("HTTP_PROXY", h);
    Parsed creds = ps != null && ps.user != null ? ps : pp != null && pp.user != null ? pp : null;
    return new ProxySettings(pp == null ? null : pp.address, ps == null ? null : ps.address, noProxy,
        creds == null ? null : creds.user, creds == null ? null : creds.password);
  }

  private static Parsed parseEnv(String name, String value) {
    try {
      return parseProxy(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": " + e.getMessage());
    }
  }

  private static String firstOf(Map<String, String> env, String a, String b) {
    String v = env.get(a);
    if (v == null || v.isBlank()) {
      v = env.get(b);
    }
    return v == null ? "" : v.trim();
  }

  private static List<String> splitNoProxy(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      String t = s.trim().toLowerCase(Locale.ROOT);
      if (!t.isEmpty()) {
        out.add(t.startsWith("*.") ? t.substring(1) : t);
      }
    }
    return out;
  }

  private record Parsed(InetSocketAddress address, String user, String password) {}

  private static Parsed parseProxy(String v) {
    if (v.isEmpty() || v.equalsIgnoreCase("none")) {
      return new Parsed(null, null, null);
    }
    String s = v.contains("://") ? v : "http://" + v;
    URI u;
    try {
      u = new URI(s);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + v + "' is not a proxy URL: " + e.getReason());
    }
    if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
      throw new IllegalArgumentException("'" + v + "' is not a proxy URL http://[user:password@]host:port");
    }
    if (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/")) {
      throw new IllegalArgumentException("'" + v + "': a proxy URL has no path");
    }
    int port = u.getPort() < 0 ? 80 : u.getPort();
    String user = null;
    String password = null;
    if (u.getRawUserInfo() != null) {
      String ui = u.getRawUserInfo();
      int colon = ui.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("'" + hideCredentials(v) + "': give user:password");
      }
      user = URLDecoder.decode(ui.substring(0, colon), StandardCharsets.UTF_8);
      password = URLDecoder.decode(ui.substring(colon + 1), StandardCharsets.UTF_8);
    }
    return new Parsed(InetSocketAddress.createUnresolved(u.getHost(), port), user, password);
  }

  /** {@code value} with any password replaced by {@code ***}, for messages and logs. */
  public static String hideCredentials(String value) {
    return value.replaceAll("(://[^:/@]*:)[^@]*@", "$1***@");
  }

  /** True when {@code host} is reached directly (NO_PROXY). */
  public boolean bypass(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    for (String n : noProxy) {
      if (n.equals("*") || h.equals(n) || (n.startsWith(".") && (h.endsWith(n) || h.equals(n.substring(1))))
          || (!n.startsWith(".") && h.endsWith("." + n))) {
        return true;
      }
    }
    return false;
  }

  /** The proxy for {@code uri}: {@link Proxy#NO_PROXY} when none applies. */
  public Proxy proxyFor(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    InetSocketAddress a = scheme.equals("https") ? https : scheme.equals("http") ? http : null;
    if (a == null || uri.getHost() == null || bypass(uri.getHost())) {
      return Proxy.NO_PROXY;
    }
    return new Proxy(Proxy.Type.HTTP, resolved(a));
  }

  private static InetSocketAddress resolved(InetSocketAddress a) {
    // Resolve at use: a proxy's DNS name may change over a long-running node's life.
    return a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
  }

  /** A selector for the JDK's HttpClient choosing as {@link #proxyFor} does. */
  public ProxySelector selector() {
    return new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return List.of(proxyFor(uri));
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // The request fails and is reported by the caller; nothing to remember.
      }
    };
  }

  /**
   * Answers proxy authentication challenges (407) with the configured credentials, and nothing
   * else (a publisher's own 401 is not answered with the proxy's password); null without credentials.
   */
  public Authenticator authenticator() {
    if (user == null) {
      return null;
    }
    char[] pw = password.toCharArray();
    return new Authenticator() {
      @Override
      protected PasswordAuthentication getPasswordAuthentication() {
        return getRequestorType() == RequestorType.PROXY ? new PasswordAuthentication(user, pw.clone()) : null;
      }
    };
  }

  /**
   * Lets Basic authentication answer a proxy's challenge to a CONNECT tunnel: the JDK refuses it
   * by default ({@code jdk.http.auth.tunneling.disabledSchemes=Basic}) and reads that property
   * once, when its HTTP classes load, so this must run before any HTTP client is used (the CLI
   * does it first thing when a proxy with credentials is configured). Leaves an explicit setting
   * alone.
   */
  public static void allowBasicForTunnels() {
    if (System.getProperty("jdk.http.auth.tunneling.disabledSchemes") == null) {
      System.setProperty("jdk.http.auth.tunneling.disabledSchemes", "");
    }
  }

  @Override
  public String toString() {
    return "ProxySettings[http=" + http + ", https=" + https + ", noProxy=" + noProxy + ", user="
        + (user == null ? "none" : user + ":***") + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProxySettings p && Objects.equals(http, p.http) && Objects.equals(https, p.https)
        && noProxy.equals(p.noProxy) && Objects.equals(user, p.user) && Objects.equals(password, p.password);
  }

  @Override
  public int hashCode() {
    return Objects.hash(http, https, noProxy, user);
  }
}
