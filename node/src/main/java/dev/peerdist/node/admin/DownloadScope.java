package dev.peerdist.node.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which URLs the node fetches for someone else ({@code /download?url=}, the mirror) and which
 * URLs may receive the publisher bearer token (issue 11, SEVERE 1).
 *
 * <p>A URL is <em>under</em> a prefix when scheme, host and port are equal (default ports
 * filled in, host compared without case) and its path starts with the prefix's path on a
 * segment boundary ({@code http://p/pub/} covers {@code /pub/a} but not {@code /public}). URLs
 * with user information ({@code http://p@evil/}) or {@code ..} path segments, plain or
 * percent-encoded, are under nothing.
 *
 * <ul>
 *   <li>{@link #isPublisher}: under a configured publisher. Only these URLs get the token.
 *   <li>{@link #permits}: under a publisher or under an extra prefix of {@code download-allow};
 *       the single entry {@code *} permits every http(s) URL (the token still goes to publishers
 *       only).
 * </ul>
 */
public final class DownloadScope {
  private final List<URI> publishers;
  private final List<URI> extra;
  private final boolean any;

  /**
   * @param publishers the configured publishers
   * @param allowed extra URL prefixes, or {@code *}
   * @throws IllegalArgumentException naming an entry that is not an http(s) URL or {@code *}
   */
  public DownloadScope(List<URI> publishers, List<String> allowed) {
    this.publishers = List.copyOf(publishers);
    boolean star = false;
    List<URI> e = new ArrayList<>();
    for (String a : allowed) {
      if (a.equals("*")) {
        star = true;
        continue;
      }
      URI u = parse(a);
      if (u == null) {
        throw new IllegalArgumentException("'" + a + "' is not an http(s) URL prefix or *");
      }
      e.add(u);
    }
    this.extra = List.copyOf(e);
    this.any = star;
  }

  /** True when {@code url} is under a configured publisher (may receive the token). */
  public boolean isPublisher(URI url) {
    return under(url, publishers);
  }

  /** True when the node may fetch {@code url} on a local client's behalf. */
  public boolean permits(URI url) {
    if (clean(url) == null) {
      return false;
    }
    return any || isPublisher(url) || under(url, extra);
  }

  /** What a refusal says. */
  public String explain(URI url) {
    return url + " is not under a configured publisher" + (extra.isEmpty() ? "" : " or a download-allow prefix")
        + " (set --publisher, or --download-allow for other origins)";
  }

  private static boolean under(URI url, List<URI> prefixes) {
    URI u = clean(url);
    if (u == null) {
      return false;
    }
    for (URI p : prefixes) {
      URI c = clean(p);
      if (c == null || !c.getScheme().equals(u.getScheme()) || !c.getHost().equals(u.getHost())
          || c.getPort() != u.getPort()) {
        continue;
      }
      String prefix = c.getRawPath().endsWith("/") ? c.getRawPath() : c.getRawPath() + "/";
      String path = u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      if ((path.endsWith("/") ? path : path + "/").startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Scheme and host lower-cased, port filled in; null for anything we refuse outright. */
  private static URI clean(URI u) {
    Objects.requireNonNull(u, "url");
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawUserInfo() != null) {
      return null;
    }
    String raw = u.getRawPath() == null ? "" : u.getRawPath();
    for (String seg : raw.split("/", -1)) {
      String s = seg.toLowerCase(Locale.ROOT);
      if (s.equals("..") || s.equals("%2e%2e") || s.equals(".%2e") || s.equals("%2e.") || s.contains("%2f")
          || s.contains("%5c")) {
        return null;
      }
    }
    int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("http") ? 80 : 443;
    try {
      return new URI(scheme, null, u.getHost().toLowerCase(Locale.ROOT), port, null, null, null)
          .resolve(raw.isEmpty() ? "/" : raw);
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }

  private static URI parse(String s) {
    try {
      URI u = new URI(s);
      return clean(u) == null ? null : u;
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
