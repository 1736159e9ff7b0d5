package dev.peerdist.node.pccrr;

/**
 * A SEGMENT_RANGE of MSG_SEGLIST: {@code count} consecutive positions, starting at {@code index}, in
 * the segment-id array of the MSG_GETSEGLIST it answers (PROTOCOL.md §4.4).
 */
public record SegmentRange(int index, int count) {
  public SegmentRange {
    if (index < 0 || count < 1 || (long) index + count > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "SEGMENT_RANGE [" + Integer.toUnsignedString(index) + "," + Integer.toUnsignedString(count)
              + "] needs index >= 0 and count >= 1");
    }
  }

  /** One past the last position of the range. */
  public int end() {
    return index + count;
  }
}
