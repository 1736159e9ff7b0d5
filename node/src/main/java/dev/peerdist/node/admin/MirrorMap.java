package dev.peerdist.node.admin;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Maps a local mirror path to a publisher URL: the first publisher (in configured order) whose
 * URL path is a prefix of the requested path wins, and the whole requested path is kept. A
 * publisher {@code http://p:8080/} therefore matches every path, and {@code http://p/pub/}
 * matches {@code /pub/...} only. Paths with {@code ..} segments are refused.
 */
public final class MirrorMap {
  private final List<URI> publishers;

  public MirrorMap(List<URI> publishers) {
    this.publishers = List.copyOf(publishers);
  }

  /** The publisher URL for {@code rawPathAndQuery} (as received, percent-encoded), if any. */
  public Optional<URI> resolve(String rawPathAndQuery) {
    if (!rawPathAndQuery.startsWith("/")) {
      return Optional.empty();
    }
    String path = rawPathAndQuery;
    int q = path.indexOf('?');
    if (q >= 0) {
      path = path.substring(0, q);
    }
    for (String seg : path.split("/")) {
      if (seg.equals("..") || seg.equalsIgnoreCase("%2e%2e")) {
        return Optional.empty();
      }
    }
    for (URI p : publishers) {
      String prefix = p.getRawPath() == null || p.getRawPath().isEmpty() ? "/" : p.getRawPath();
      if (!prefix.endsWith("/")) {
        prefix = prefix + "/";
      }
      if (path.startsWith(prefix)) {
        String authority = p.getRawAuthority();
        return Optional.of(URI.create(p.getScheme() + "://" + authority + rawPathAndQuery));
      }
    }
    return Optional.empty();
  }
}
