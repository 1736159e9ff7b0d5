package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import java.util.ArrayList;
import java.util.List;

/** Turns decoded content information into the engine's {@link ContentPlan}. */
public final class ContentPlans {
  private ContentPlans() {}

  /**
   * The plan for {@code info}: every listed segment with the bytes of it inside
   * {@link ContentInformation#contentRange()} (PROTOCOL.md §2.3 / §2.4 range fields).
   *
   * @throws IllegalArgumentException when a segment cannot be verified (e.g. a V1 segment whose
   *     block-hash list is incomplete)
   */
  public static ContentPlan of(ContentInformation info) {
    ByteRange range = info.contentRange();
    List<ContentPlan.Segment> out = new ArrayList<>(info.segmentCount());
    long total = 0;
    for (int i = 0; i < info.segmentCount(); i++) {
      SegmentRecord r = SegmentRecords.from(info, i);
      ByteRange seg = info.segmentRange(i);
      long from = Math.max(range.start(), seg.start());
      long to = Math.min(range.end(), seg.end());
      if (to <= from) {
        continue;
      }
      out.add(new ContentPlan.Segment(r, seg.start(), (int) (from - seg.start()), (int) (to - from)));
      total += to - from;
    }
    return new ContentPlan(out, total);
  }
}
