package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.Objects;

/** One block: (segment id, block index) (PROTOCOL.md §2.1). A V2 segment is block 0. */
public record BlockRef(SegmentId segment, int index) {
  public BlockRef {
    Objects.requireNonNull(segment, "segment");
    if (index < 0) {
      throw new IllegalArgumentException("block index " + index + " is negative");
    }
  }

  @Override
  public String toString() {
    return segment.toHex().substring(0, 12) + "…#" + index;
  }
}
