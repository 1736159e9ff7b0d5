package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.SegmentRecord;
import java.util.concurrent.CompletableFuture;

/**
 * Where blocks come from when no peer can supply them: the origin server, by HTTP range request
 * with {@code X-P2P-PeerDist: ...MissingDataRequest=true} (PROTOCOL.md §1, §5). The daemon
 * provides the implementation. The returned bytes are verified before they are stored.
 */
@FunctionalInterface
public interface Fallback {
  /** The plaintext of block {@code index} of {@code segment}; fails when the origin cannot supply it. */
  CompletableFuture<byte[]> fetch(SegmentRecord segment, int index);

  /** A fallback that always fails (peer-only downloads, tests). */
  static Fallback none() {
    return (segment, index) -> CompletableFuture.failedFuture(
        new IllegalStateException("no fallback configured for block " + index + " of " + segment.id()));
  }
}
