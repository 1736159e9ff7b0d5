package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Instant;

/**
 * What a store can say about one segment without reading block data: for listings (the {@code
 * peerdist cache list} command), PCCRD holdings and eviction decisions.
 *
 * @param id the segment id (HoHoDk)
 * @param version content-information version of the segment
 * @param blockCount blocks the segment has
 * @param presentBlocks blocks of it the store holds
 * @param storedBytes bytes this segment accounts for: its record plus every held block's IV and
 *     ciphertext
 * @param pinned whether eviction must leave it alone
 * @param lastAccess when a block of it was last put or read (or the record put)
 */
public record SegmentInfo(
    SegmentId id,
    ContentVersion version,
    int blockCount,
    int presentBlocks,
    long storedBytes,
    boolean pinned,
    Instant lastAccess) {

  /** True when every block of the segment is held. */
  public boolean complete() {
    return presentBlocks == blockCount;
  }
}
