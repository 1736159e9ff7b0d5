package dev.peerdist.chunkstore;

/**
 * A snapshot of a store's accounting. Byte figures count peerdist's own stored data (block
 * IVs and ciphertexts and encoded segment records, see {@link CapacityLedger#blockFootprint}
 * and {@link CapacityLedger#recordFootprint}), not the database's overhead files.
 *
 * @param usedBytes bytes held now
 * @param capacityBytes the limit; puts evict to stay at or under it
 * @param pinnedBytes bytes of pinned segments (never evicted)
 * @param segments segment records held
 * @param blocks blocks held
 * @param evictedSegments segments evicted to make room since the store was opened
 * @param droppedCorruptBlocks blocks found not to verify on read and dropped since open
 */
public record StoreStats(
    long usedBytes,
    long capacityBytes,
    long pinnedBytes,
    int segments,
    long blocks,
    long evictedSegments,
    long droppedCorruptBlocks) {

  /** The original six-figure form; {@code droppedCorruptBlocks} is 0. */
  public StoreStats(
      long usedBytes, long capacityBytes, long pinnedBytes, int segments, long blocks, long evictedSegments) {
    this(usedBytes, capacityBytes, pinnedBytes, segments, blocks, evictedSegments, 0);
  }
}
