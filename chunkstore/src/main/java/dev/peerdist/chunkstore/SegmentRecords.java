package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentDescription;

/** Builds the store's {@link SegmentRecord} from a segment of decoded content information. */
public final class SegmentRecords {
  private SegmentRecords() {}

  /**
   * The record for listed segment {@code segmentIndex} of {@code info}. The record's factory
   * re-checks the hash chain (block hashes → HoD for V1, HoHoDk from Kp and HoD).
   *
   * @throws IllegalArgumentException when a V1 segment lists only part of its block hashes (a range
   *     response: fetch the whole content information first) or when its hashes are inconsistent
   * @throws IndexOutOfBoundsException when {@code segmentIndex} is not a listed segment
   */
  public static SegmentRecord from(ContentInformation info, int segmentIndex) {
    SegmentDescription s = info.segment(segmentIndex);
    if (s.version() == ContentVersion.V2) {
      return SegmentRecord.v2(s.hashOfData(), s.segmentSecret(), s.segmentLength());
    }
    if (!s.hasAllBlockHashes()) {
      throw new IllegalArgumentException("segment " + segmentIndex + " lists " + s.listedBlockHashCount()
          + " of its " + s.blockCount() + " block hashes (a range response); a segment record needs all of them");
    }
    return SegmentRecord.v1(s.algorithm(), s.hashOfData(), s.segmentSecret(), s.segmentLength(),
        s.blockHashes());
  }
}
