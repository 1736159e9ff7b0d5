package dev.peerdist.node;

import dev.peerdist.node.admin.DownloadScope;
import dev.peerdist.node.engine.OriginSource;
import java.io.IOException;
import java.net.URI;

/**
 * Sends each request through the origin client that carries the bearer token only when the URL
 * is under a configured publisher, and through a token-less client otherwise (issue 11, SEVERE
 * 1): whatever URL reaches the engine — {@code download-allow}, a prepopulate entry, an embedded
 * {@code get} — the token never leaves for another host.
 */
final class ScopedOrigin implements OriginSource {
  private final DownloadScope scope;
  private final OriginSource withToken;
  private final OriginSource withoutToken;

  ScopedOrigin(DownloadScope scope, OriginSource withToken, OriginSource withoutToken) {
    this.scope = scope;
    this.withToken = withToken;
    this.withoutToken = withoutToken;
  }

  private OriginSource forUrl(URI url) {
    return scope.isPublisher(url) ? withToken : withoutToken;
  }

  @Override
  public Answer open(URI url) throws IOException {
    return forUrl(url).open(url);
  }

  @Override
  public byte[] range(URI url, long start, long endExclusive) throws IOException {
    return forUrl(url).range(url, start, endExclusive);
  }
}
