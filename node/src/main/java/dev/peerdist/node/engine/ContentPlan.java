package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import java.util.List;

/**
 * What a download must deliver, segment by segment, as the engine sees PeerDist content
 * information (PROTOCOL.md §2.3, §2.4): for each segment its verified record, where it starts in
 * the content, and which of its bytes the caller receives.
 *
 * @param segments in content order
 * @param length bytes the caller receives (the sum of {@code take})
 */
public record ContentPlan(List<Segment> segments, long length) implements SegmentPlan {
  /**
   * One segment of a plan.
   *
   * @param record the segment's record (block hashes, secret); its id is HoHoDk
   * @param offsetInContent where the segment's first byte is in the content (for origin ranges)
   * @param skip bytes of the segment before the first delivered byte (V1 dwOffsetInFirstSegment)
   * @param take bytes of the segment delivered from {@code skip} on
   */
  public record Segment(SegmentRecord record, long offsetInContent, int skip, int take) {
    public Segment {
      if (skip < 0 || take < 0 || (long) skip + take > record.segmentLength()) {
        throw new IllegalArgumentException("segment slice " + skip + "+" + take + " outside "
            + record.segmentLength() + " bytes");
      }
    }
  }

  public ContentPlan {
    segments = List.copyOf(segments);
    long sum = 0;
    for (Segment s : segments) {
      sum += s.take();
    }
    if (sum != length) {
      throw new IllegalArgumentException("plan delivers " + sum + " bytes, not " + length);
    }
  }

  @Override
  public int size() {
    return segments.size();
  }

  @Override
  public long offsetInContent(int i) {
    return segments.get(i).offsetInContent();
  }

  @Override
  public int skip(int i) {
    return segments.get(i).skip();
  }

  @Override
  public int take(int i) {
    return segments.get(i).take();
  }

  @Override
  public java.util.concurrent.CompletableFuture<SegmentRecord> record(int i) {
    return java.util.concurrent.CompletableFuture.completedFuture(segments.get(i).record());
  }

  /** A plan delivering every byte of every segment, laid end to end. */
  public static ContentPlan whole(List<SegmentRecord> records) {
    List<Segment> segs = new java.util.ArrayList<>();
    long off = 0;
    for (SegmentRecord r : records) {
      segs.add(new Segment(r, off, 0, r.segmentLength()));
      off += r.segmentLength();
    }
    return new ContentPlan(segs, off);
  }
}
