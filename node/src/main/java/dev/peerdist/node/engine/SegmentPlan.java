package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import java.util.concurrent.CompletableFuture;

/**
 * What a PeerDist download delivers, segment by segment, in content order: where each segment
 * lies and which of its bytes the caller receives, and the segment's verified record — known at
 * once ({@link ContentPlan}: the publisher sent the whole content information) or resolved on
 * demand ({@link LazyPlan}: descriptions from the publisher, block-hash lists from subnet-mates).
 */
public interface SegmentPlan {
  /** Segments in the plan. */
  int size();

  /** Bytes the caller receives in all. */
  long length();

  /** Where segment {@code i} starts in the content. */
  long offsetInContent(int i);

  /** Bytes of segment {@code i} before the first delivered byte. */
  int skip(int i);

  /** Bytes of segment {@code i} delivered from {@code skip(i)} on. */
  int take(int i);

  /**
   * The verified record of segment {@code i} (block hashes, secret, id). The first call starts
   * resolving it; it fails with an {@code IOException} naming what went wrong.
   */
  CompletableFuture<SegmentRecord> record(int i);
}
