package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content-derived ETags for publisher replicas ({@code peerdist publish --etag content},
 * docs/SITES.md). The default ETag comes from size, mtime, inode and ctime: it notices an in-place
 * edit that restores the mtime, but differs between machines holding copies of the same file. This
 * ETag is {@code "c-" + the first 16 bytes of SHA-256 over the file's V1 content information}: the
 * same on every replica with the same bytes and server secret, and new whenever the bytes change,
 * because the local change key (size, times, identity) still keys the cached content information,
 * so an edit that restores the mtime is hashed again and gets a new ETag. The price: the first
 * request for a new file version waits until it is hashed. If hashing is refused (queue full) or
 * fails, the answer carries the local ETag (logged).
 */
final class ContentEtags {
  private static final Logger LOG = LoggerFactory.getLogger(ContentEtags.class);
  /** The ETag of an empty file (nothing to hash). */
  static final String EMPTY = "\"c-empty\"";

  private ContentEtags() {}

  static ResourceResolver wrap(ResourceResolver base, ContentInformationCache cache) {
    return new ResourceResolver() {
      @Override
      public CompletableFuture<Optional<ServedFile>> resolve(String decodedPath) {
        return base.resolve(decodedPath).thenCompose(o -> {
          if (o.isEmpty()) {
            return CompletableFuture.completedFuture(o);
          }
          ServedFile f = o.get();
          if (f.size() == 0) {
            return CompletableFuture.completedFuture(Optional.of(f.withEtag(EMPTY)));
          }
          return cache.request(f, ContentVersion.V1).handle((ci, err) -> {
            if (err != null) {
              LOG.warn("no content ETag for {} ({}); answering with the local ETag", f.cacheKey(), err.toString());
              return Optional.of(f);
            }
            return Optional.of(f.withEtag(of(ci)));
          });
        });
      }

      @Override
      public void close() {
        base.close();
      }
    };
  }

  /** The ETag for V1 content information {@code ci}. */
  static String of(byte[] ci) {
    return "\"c-" + HexFormat.of().formatHex(PublisherState.sha256(ci), 0, 16) + "\"";
  }
}
