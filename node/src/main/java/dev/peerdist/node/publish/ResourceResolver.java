package dev.peerdist.node.publish;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Finds the file that answers a URL path: a file under the served root, or a local copy of an
 * upstream object ({@link UpstreamMirror}).
 */
interface ResourceResolver extends AutoCloseable {
  /**
   * Resolves a percent-decoded URL path.
   *
   * @return empty for "not found" (also for unsafe paths); a failed future for an upstream
   *     failure (answered 502)
   */
  CompletableFuture<Optional<ServedFile>> resolve(String decodedPath);

  @Override
  default void close() {}

  /** A resolver over a local directory; all work happens on the calling thread. */
  static ResourceResolver of(RootDirectory root) {
    return path -> {
      Optional<java.nio.file.Path> p = root.resolve(path);
      if (p.isEmpty()) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      try {
        String rel = root.realRoot().relativize(p.get()).toString().replace('\\', '/');
        return CompletableFuture.completedFuture(Optional.of(ServedFile.of(p.get(), "/" + rel)));
      } catch (java.io.IOException e) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
    };
  }
}
