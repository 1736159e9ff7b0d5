package dev.peerdist.chunkstore.content;

/**
 * A half-open byte range {@code [start, end)} of a content resource.
 *
 * @param start first byte, inclusive, {@code >= 0}
 * @param end first byte after the range, {@code >= start}
 */
public record ByteRange(long start, long end) {
  /** Checks {@code 0 <= start <= end}. */
  public ByteRange {
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("invalid byte range [" + start + ", " + end + ")");
    }
  }

  /** The range {@code [offset, offset + length)}; rejects overflow. */
  public static ByteRange ofLength(long offset, long length) {
    if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
      throw new IllegalArgumentException("invalid byte range offset " + offset + " length " + length);
    }
    return new ByteRange(offset, offset + length);
  }

  /** {@code end - start}. */
  public long length() {
    return end - start;
  }

  /** True when the range holds no byte. */
  public boolean isEmpty() {
    return end == start;
  }

  /** True when the two ranges share at least one byte. */
  public boolean intersects(ByteRange other) {
    return start < other.end && other.start < end;
  }

  /** True when {@code other} lies wholly inside this range. */
  public boolean contains(ByteRange other) {
    return start <= other.start && other.end <= end;
  }

  @Override
  public String toString() {
    return "[" + start + ", " + end + ")";
  }
}
