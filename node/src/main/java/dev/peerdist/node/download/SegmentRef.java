package dev.peerdist.node.download;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.Objects;

/**
 * What the loop needs to know of a segment: its id, its block layout and where it lies in its
 * content (PROTOCOL.md §2.1). No hashes: verification is the driver's (the daemon verifies every
 * block before it reports it; the simulator models it).
 *
 * @param id the segment id (HoHoDk)
 * @param blocks number of blocks (V1: ceil(cbSegment / 64 KiB); V2: 1)
 * @param blockSize the nominal block size (V1: 65536; V2: the segment length)
 * @param lastBlockLength length of the last block
 * @param offsetInContent where the segment starts in its content (for origin ranges)
 */
public record SegmentRef(SegmentId id, int blocks, int blockSize, int lastBlockLength, long offsetInContent) {
  public SegmentRef {
    Objects.requireNonNull(id, "id");
    if (blocks < 1 || blockSize < 1 || lastBlockLength < 1 || lastBlockLength > blockSize || offsetInContent < 0) {
      throw new IllegalArgumentException("bad segment layout: " + blocks + " blocks of " + blockSize
          + ", last " + lastBlockLength + ", at " + offsetInContent);
    }
  }

  /** Length of block {@code i}. */
  public int blockLength(int i) {
    return i == blocks - 1 ? lastBlockLength : blockSize;
  }

  /** Length of the whole segment. */
  public long length() {
    return (long) (blocks - 1) * blockSize + lastBlockLength;
  }
}
