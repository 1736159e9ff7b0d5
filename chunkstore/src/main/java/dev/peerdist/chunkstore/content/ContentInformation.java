package dev.peerdist.chunkstore.content;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A decoded MS-PCCRC Content Information structure, version 1.0 or 2.0 (PROTOCOL.md §2.3, §2.4):
 * the hash algorithm, the range fields and the descriptions of the segments that intersect the
 * requested content range. {@link ContentInformationCodec} turns it into wire bytes and back;
 * {@link ContentInformationGenerator} makes it from content.
 *
 * <p>Range fields keep their wire meaning: for V1 {@code dwOffsetInFirstSegment} and
 * {@code dwReadBytesInLastSegment} (0 = the whole last segment); for V2 {@code ullStartInContent},
 * {@code ullIndexOfFirstSegment}, {@code dwOffsetInFirstSegment} and {@code ullLengthOfRange}
 * (0 = to the end of the listed segments). {@link #contentRange()} resolves them to absolute
 * offsets. A V2 structure also remembers how its segments were grouped into chunks, so that
 * re-encoding a decoded structure gives the same bytes.
 *
 * <p>Immutable and thread-safe. Every instance has at least one segment.
 */
public final class ContentInformation {
  private final HashAlgorithm algorithm;
  private final long offsetInFirstSegment;
  private final long readBytesInLastSegment;
  private final long indexOfFirstSegment;
  private final long lengthOfRange;
  private final List<SegmentDescription> segments;
  private final List<Integer> chunkSegmentCounts;

  private ContentInformation(HashAlgorithm algorithm, long offsetInFirstSegment, long readBytesInLastSegment,
      long indexOfFirstSegment, long lengthOfRange, List<SegmentDescription> segments,
      List<Integer> chunkSegmentCounts) {
    this.algorithm = algorithm;
    this.offsetInFirstSegment = offsetInFirstSegment;
    this.readBytesInLastSegment = readBytesInLastSegment;
    this.indexOfFirstSegment = indexOfFirstSegment;
    this.lengthOfRange = lengthOfRange;
    this.segments = segments;
    this.chunkSegmentCounts = chunkSegmentCounts;
  }

  /**
   * A V1 structure (PROTOCOL.md §2.3).
   *
   * @param dwOffsetInFirstSegment bytes of the first segment before the range
   * @param dwReadBytesInLastSegment bytes of the range in the last segment, 0 = the whole segment
   * @throws IllegalArgumentException naming the inconsistent field
   */
  public static ContentInformation v1(HashAlgorithm algorithm, long dwOffsetInFirstSegment,
      long dwReadBytesInLastSegment, List<SegmentDescription> segments) {
    if (algorithm.version() != ContentVersion.V1) {
      throw new IllegalArgumentException("V1 content information needs a V1 hash algorithm, got " + algorithm);
    }
    List<SegmentDescription> segs = List.copyOf(segments);
    checkSegments(algorithm, segs);
    checkUint32("dwOffsetInFirstSegment", dwOffsetInFirstSegment);
    checkUint32("dwReadBytesInLastSegment", dwReadBytesInLastSegment);
    SegmentDescription first = segs.get(0);
    SegmentDescription last = segs.get(segs.size() - 1);
    if (first.offsetInContent() % SegmentDescription.V1_SEGMENT_SIZE != 0) {
      throw new IllegalArgumentException("ullOffsetInContent " + first.offsetInContent()
          + " of the first segment is not a multiple of 32 MiB");
    }
    for (int i = 0; i < segs.size() - 1; i++) {
      if (segs.get(i).segmentLength() != SegmentDescription.V1_SEGMENT_SIZE) {
        throw new IllegalArgumentException("segment " + i + " cbSegment " + segs.get(i).segmentLength()
            + ": only the last V1 segment may be shorter than 32 MiB");
      }
    }
    if (dwOffsetInFirstSegment >= first.segmentLength()) {
      throw new IllegalArgumentException("dwOffsetInFirstSegment " + dwOffsetInFirstSegment
          + " is not inside the first segment (" + first.segmentLength() + " bytes)");
    }
    long limit = segs.size() == 1 ? last.segmentLength() - dwOffsetInFirstSegment : last.segmentLength();
    if (dwReadBytesInLastSegment > limit) {
      throw new IllegalArgumentException("dwReadBytesInLastSegment " + dwReadBytesInLastSegment
          + " runs past the end of the last segment (at most " + limit + ")");
    }
    return new ContentInformation(algorithm, dwOffsetInFirstSegment, dwReadBytesInLastSegment, 0, 0, segs,
        List.of());
  }

  /**
   * A V2 structure (PROTOCOL.md §2.4) with all segments in one chunk. {@code ullStartInContent}
   * is the offset of the first segment.
   *
   * @param ullIndexOfFirstSegment index of the first listed segment in the whole content
   * @param dwOffsetInFirstSegment range start inside the first segment
   * @param ullLengthOfRange range length, 0 = to the end of the listed segments
   * @throws IllegalArgumentException naming the inconsistent field
   */
  public static ContentInformation v2(long ullIndexOfFirstSegment, long dwOffsetInFirstSegment,
      long ullLengthOfRange, List<SegmentDescription> segments) {
    return v2(ullIndexOfFirstSegment, dwOffsetInFirstSegment, ullLengthOfRange, segments,
        List.of(segments.size()));
  }

  /**
   * A V2 structure whose segments are grouped into chunks of the given sizes, in order.
   *
   * @throws IllegalArgumentException naming the inconsistent field
   */
  public static ContentInformation v2(long ullIndexOfFirstSegment, long dwOffsetInFirstSegment,
      long ullLengthOfRange, List<SegmentDescription> segments, List<Integer> chunkSegmentCounts) {
    List<SegmentDescription> segs = List.copyOf(segments);
    checkSegments(HashAlgorithm.TRUNCATED_SHA_512, segs);
    List<Integer> chunks = List.copyOf(chunkSegmentCounts);
    long sum = 0;
    for (int c : chunks) {
      // A chunk's data length is a 32-bit count of 68-byte descriptions (PROTOCOL.md §2.4).
      if (c <= 0 || c > 0xFFFFFFFFL / 68) {
        throw new IllegalArgumentException("a chunk must hold 1.." + 0xFFFFFFFFL / 68 + " segments, got " + c);
      }
      sum += c;
    }
    if (sum != segs.size()) {
      throw new IllegalArgumentException("chunks hold " + sum + " segments but " + segs.size() + " are given");
    }
    checkUint32("dwOffsetInFirstSegment", dwOffsetInFirstSegment);
    if (ullIndexOfFirstSegment < 0 || ullLengthOfRange < 0) {
      throw new IllegalArgumentException("ullIndexOfFirstSegment and ullLengthOfRange must be non-negative");
    }
    SegmentDescription first = segs.get(0);
    SegmentDescription last = segs.get(segs.size() - 1);
    // Every earlier segment holds at least one byte and at most 128 KiB.
    if (ullIndexOfFirstSegment > first.offsetInContent()
        || first.offsetInContent() / SegmentDescription.V2_MAX_SEGMENT_SIZE > ullIndexOfFirstSegment) {
      throw new IllegalArgumentException("ullIndexOfFirstSegment " + ullIndexOfFirstSegment
          + " is impossible for ullStartInContent " + first.offsetInContent());
    }
    if (dwOffsetInFirstSegment >= first.segmentLength()) {
      throw new IllegalArgumentException("dwOffsetInFirstSegment " + dwOffsetInFirstSegment
          + " is not inside the first segment (" + first.segmentLength() + " bytes)");
    }
    long start = first.offsetInContent() + dwOffsetInFirstSegment;
    if (ullLengthOfRange > last.range().end() - start) {
      throw new IllegalArgumentException("ullLengthOfRange " + ullLengthOfRange
          + " runs past the end of the listed segments (at most " + (last.range().end() - start) + ")");
    }
    return new ContentInformation(HashAlgorithm.TRUNCATED_SHA_512, dwOffsetInFirstSegment, 0,
        ullIndexOfFirstSegment, ullLengthOfRange, segs, chunks);
  }

  private static void checkSegments(HashAlgorithm algorithm, List<SegmentDescription> segs) {
    if (segs.isEmpty()) {
      throw new IllegalArgumentException("content information lists at least one segment");
    }
    for (int i = 0; i < segs.size(); i++) {
      SegmentDescription s = Objects.requireNonNull(segs.get(i), "segment");
      if (s.algorithm() != algorithm) {
        throw new IllegalArgumentException("segment " + i + " uses " + s.algorithm() + ", not " + algorithm);
      }
      if (i > 0 && s.offsetInContent() != segs.get(i - 1).range().end()) {
        throw new IllegalArgumentException("segment " + i + " starts at " + s.offsetInContent()
            + " but segment " + (i - 1) + " ends at " + segs.get(i - 1).range().end());
      }
    }
  }

  private static void checkUint32(String field, long value) {
    if (value < 0 || value > 0xFFFFFFFFL) {
      throw new IllegalArgumentException(field + " " + value + " does not fit in 32 bits");
    }
  }

  /** Builds a structure from fields the decoder has checked already. */
  static ContentInformation trusted(HashAlgorithm algorithm, long offsetInFirstSegment,
      long readBytesInLastSegment, long indexOfFirstSegment, long lengthOfRange,
      List<SegmentDescription> segments, List<Integer> chunkSegmentCounts) {
    return new ContentInformation(algorithm, offsetInFirstSegment, readBytesInLastSegment,
        indexOfFirstSegment, lengthOfRange, List.copyOf(segments), List.copyOf(chunkSegmentCounts));
  }

  public ContentVersion version() {
    return algorithm.version();
  }

  public HashAlgorithm hashAlgorithm() {
    return algorithm;
  }

  /** {@code dwOffsetInFirstSegment} (both versions). */
  public long offsetInFirstSegment() {
    return offsetInFirstSegment;
  }

  /** V1 {@code dwReadBytesInLastSegment}; 0 for V2. */
  public long readBytesInLastSegment() {
    return readBytesInLastSegment;
  }

  /** V2 {@code ullStartInContent}: the offset of the first listed segment (also meaningful for V1). */
  public long startInContent() {
    return segments.get(0).offsetInContent();
  }

  /** V2 {@code ullIndexOfFirstSegment}; for V1 the index implied by the 32 MiB grid. */
  public long indexOfFirstSegment() {
    return version() == ContentVersion.V2
        ? indexOfFirstSegment
        : segments.get(0).offsetInContent() / SegmentDescription.V1_SEGMENT_SIZE;
  }

  /** V2 {@code ullLengthOfRange} (0 = to the end of the listed segments); 0 for V1. */
  public long lengthOfRange() {
    return lengthOfRange;
  }

  /** How many segments each V2 chunk holds, in order; empty for V1. */
  public List<Integer> chunkSegmentCounts() {
    return chunkSegmentCounts;
  }

  /** The listed segments, in content order. */
  public List<SegmentDescription> segments() {
    return segments;
  }

  public int segmentCount() {
    return segments.size();
  }

  public SegmentDescription segment(int index) {
    return segments.get(index);
  }

  /** The segment ID of listed segment {@code index}. */
  public SegmentId segmentId(int index) {
    return segments.get(index).segmentId();
  }

  /** Content bytes covered by listed segment {@code index} (the whole segment). */
  public ByteRange segmentRange(int index) {
    return segments.get(index).range();
  }

  /** Blocks in listed segment {@code index}: ceil(cbSegment / 64 KiB) for V1, 1 for V2. */
  public int blockCount(int index) {
    return segments.get(index).blockCount();
  }

  /** Content bytes of block {@code block} of listed segment {@code index}. */
  public ByteRange blockRange(int index, int block) {
    return segments.get(index).blockRange(block);
  }

  /** Bytes from the start of the first listed segment to the end of the last. */
  public ByteRange listedRange() {
    return new ByteRange(startInContent(), segments.get(segments.size() - 1).range().end());
  }

  /**
   * The content range this structure describes, resolved from the range fields.
   *
   * <p>V1 (PROTOCOL.md §2.3): start = first segment offset + dwOffsetInFirstSegment; end = the end
   * of the last segment when dwReadBytesInLastSegment is 0, else start + dwReadBytesInLastSegment
   * when only one segment is listed, else last segment offset + dwReadBytesInLastSegment (as iPXE
   * does). V2 (§2.4): start = ullStartInContent + dwOffsetInFirstSegment; end = start +
   * ullLengthOfRange, or the end of the last listed segment when that is 0.
   */
  public ByteRange contentRange() {
    SegmentDescription first = segments.get(0);
    SegmentDescription last = segments.get(segments.size() - 1);
    long start = first.offsetInContent() + offsetInFirstSegment;
    long end;
    if (version() == ContentVersion.V1) {
      if (readBytesInLastSegment == 0) {
        end = last.range().end();
      } else if (segments.size() == 1) {
        end = start + readBytesInLastSegment;
      } else {
        end = last.offsetInContent() + readBytesInLastSegment;
      }
    } else {
      end = lengthOfRange == 0 ? last.range().end() : start + lengthOfRange;
    }
    return new ByteRange(start, end);
  }

  /**
   * The structure a server returns for a range request (PROTOCOL.md §5.3): only the segments
   * that intersect {@code range}, with the range fields set as [MS-PCCRC] 3.3 and 3.7 show
   * (TEST-VECTORS.md TV-3f). For V1 the last listed segment keeps only the block hashes up to the
   * range end, and {@code dwReadBytesInLastSegment} is 0 when the range runs to that segment's
   * end. For V2 {@code ullLengthOfRange} is the range length.
   *
   * @throws IllegalArgumentException when the range is empty or not inside {@link #contentRange()}
   */
  public ContentInformation forRange(ByteRange range) {
    if (range.isEmpty() || !contentRange().contains(range)) {
      throw new IllegalArgumentException("range " + range + " is empty or outside " + contentRange());
    }
    int firstIdx = -1;
    int lastIdx = -1;
    for (int i = 0; i < segments.size(); i++) {
      if (segments.get(i).range().intersects(range)) {
        if (firstIdx < 0) {
          firstIdx = i;
        }
        lastIdx = i;
      }
    }
    List<SegmentDescription> picked = new ArrayList<>(segments.subList(firstIdx, lastIdx + 1));
    SegmentDescription first = picked.get(0);
    SegmentDescription last = picked.get(picked.size() - 1);
    long offsetInFirst = range.start() - first.offsetInContent();
    if (version() == ContentVersion.V1) {
      long inLast = range.end() - last.offsetInContent();
      int keep = (int) Math.min(last.listedBlockHashCount(),
          (inLast + SegmentDescription.V1_BLOCK_SIZE - 1) / SegmentDescription.V1_BLOCK_SIZE);
      picked.set(picked.size() - 1, last.withBlockHashPrefix(keep));
      long readBytes;
      if (range.end() == last.range().end()) {
        readBytes = 0;
      } else if (picked.size() == 1) {
        readBytes = range.length();
      } else {
        readBytes = inLast;
      }
      return v1(algorithm, offsetInFirst, readBytes, picked);
    }
    return v2(indexOfFirstSegment + firstIdx, offsetInFirst, range.length(), picked);
  }

  /** Sum of cbSegment over the listed segments. */
  public long listedBytes() {
    return listedRange().length();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContentInformation other && algorithm == other.algorithm
        && offsetInFirstSegment == other.offsetInFirstSegment
        && readBytesInLastSegment == other.readBytesInLastSegment
        && indexOfFirstSegment == other.indexOfFirstSegment && lengthOfRange == other.lengthOfRange
        && segments.equals(other.segments) && chunkSegmentCounts.equals(other.chunkSegmentCounts);
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, offsetInFirstSegment, readBytesInLastSegment, indexOfFirstSegment,
        lengthOfRange, segments);
  }

  @Override
  public String toString() {
    return "ContentInformation{" + version() + ", " + algorithm + ", range " + contentRange() + ", "
        + segments.size() + " segments}";
  }
}
