package dev.peerdist.node.hostedcache;

import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pchc.PchcCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * A hosted cache as a client sees it: where offers go and where it serves MS-PCCRR.
 *
 * <p>Configured as a URL ({@code hosted-cache}): {@code https://HOST[:PORT]/} sends version 1.0
 * offers (INITIAL_OFFER, then SEGMENT_INFO, PROTOCOL.md §6.1; port 443 by default), {@code
 * http://HOST[:PORT]/} version 2.0 batches (port 80 by default). The PCCRR port defaults to 80
 * (Windows' default) and is set with {@code ?pccrr=PORT}: {@code https://hc.branch:8443/?pccrr=8081}.
 *
 * @param offerUri the full offer URL including the version's path
 * @param pccrr where the hosted cache answers MS-PCCRR (asked for every segment)
 */
public record HostedCacheTarget(URI offerUri, PeerEndpoint pccrr) {
  /** Windows' PCCRR port on a hosted cache. */
  public static final int DEFAULT_PCCRR_PORT = 80;

  /** True when offers go over HTTPS as version 1.0. */
  public boolean v1() {
    return offerUri.getScheme().equalsIgnoreCase("https");
  }

  /**
   * Checks the form of a {@code hosted-cache} value without resolving the host.
   *
   * @return why it is not usable, or null
   */
  public static String problem(String value) {
    try {
      parts(value);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * Parses a {@code hosted-cache} value and resolves its host.
   *
   * @throws IllegalArgumentException naming the value when it is not usable
   */
  public static HostedCacheTarget parse(String value) {
    Object[] p = parts(value);
    URI u = (URI) p[0];
    try {
      InetAddress host = InetAddress.getByName(u.getHost());
      return of(host, u.getScheme().equalsIgnoreCase("https"), (Integer) p[1], (Integer) p[2]);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + value + "': unknown host " + u.getHost());
    }
  }

  /** A target at {@code host} with offers on {@code offerPort} (v1.0 over HTTPS when {@code v1}). */
  public static HostedCacheTarget of(InetAddress host, boolean v1, int offerPort, int pccrrPort) {
    String h = host.getHostAddress();
    if (h.contains(":")) {
      h = "[" + h + "]";
    }
    URI offer = URI.create((v1 ? "https" : "http") + "://" + h + ":" + offerPort + (v1 ? PchcCodec.V1_PATH
        : PchcCodec.V2_PATH));
    return new HostedCacheTarget(offer, new PeerEndpoint(new InetSocketAddress(host, pccrrPort)));
  }

  /** {uri, offer port, pccrr port}. */
  private static Object[] parts(String value) {
    URI u;
    try {
      u = new URI(value.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + value + "' is not a URL: " + e.getReason());
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
      throw new IllegalArgumentException("'" + value + "' is not an http:// (v2.0 offers) or https:// (v1.0 offers) URL"
          + " with a host");
    }
    int offerPort = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
    int pccrr = DEFAULT_PCCRR_PORT;
    if (u.getQuery() != null && !u.getQuery().isEmpty()) {
      String q = u.getQuery();
      if (!q.matches("pccrr=\\d{1,5}") || Integer.parseInt(q.substring(6)) < 1 || Integer.parseInt(q.substring(6)) > 65535) {
        throw new IllegalArgumentException("'" + value + "': the only query is pccrr=PORT (1..65535), got '" + q + "'");
      }
      pccrr = Integer.parseInt(q.substring(6));
    }
    String path = u.getPath() == null ? "" : u.getPath();
    if (!path.isEmpty() && !path.equals("/")) {
      throw new IllegalArgumentException("'" + value + "': give the hosted cache's base URL (no path; the offer path"
          + " follows from http/https)");
    }
    return new Object[] {u, offerPort, pccrr};
  }
}
