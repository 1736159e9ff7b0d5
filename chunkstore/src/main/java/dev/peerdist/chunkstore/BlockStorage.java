package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.BitSet;
import java.util.List;

/**
 * Where a store's records and stored block values live ({@code RocksChunkStore} on RocksDB,
 * {@code InMemoryChunkStore} in maps). It keeps what it is told and answers what it keeps; the
 * rules (verification, sealing, accounting, eviction) are {@link StoreEngine}'s.
 *
 * <p>What the engine relies on:
 *
 * <ul>
 *   <li>{@link #writeBlock} keeps the value and the fact that the block is held in one atomic
 *       write, and writes nothing that another block of the segment also writes: puts of
 *       different blocks, even of one segment, run at the same time and in any order. Two
 *       writes of the same block never overlap (the engine waits for the first).
 *   <li>The engine never calls {@link #deleteSegment} while a {@link #writeBlock} of that segment
 *       is in progress, and never writes a block of a segment before {@link #writeRecord}
 *       returned.
 *   <li>Failures are {@link ChunkStoreException}s (a full disk {@link DiskFullException}); a
 *       failed write keeps nothing of itself.
 * </ul>
 */
public interface BlockStorage {
  /** A segment's access tick and wall-clock time, persisted lazily. */
  record Recency(SegmentId id, long tick, long millis) {}

  /** Keeps a new record with its first recency and no blocks. */
  void writeRecord(SegmentRecord record, byte[] encoded, Recency first);

  /** Keeps the stored value of block {@code index} and marks it held, atomically. */
  void writeBlock(SegmentId id, int index, byte[] storedValue);

  /**
   * The stored value of a block, or null when it is not there.
   *
   * @throws CorruptBlockException when the storage reports the value damaged
   */
  byte[] readBlock(SegmentId id, int index);

  /** Removes one block (value and held mark). */
  void deleteBlock(SegmentId id, int index);

  /** Removes a segment: record, pin, recency and the blocks listed in {@code present}. */
  void deleteSegment(SegmentId id, BitSet present);

  /** Keeps a pin or its removal. */
  void writePin(SegmentId id, boolean pinned);

  /** Keeps the size limit. */
  void writeCapacity(long capacityBytes);

  /** Keeps recency updates; losing them in a crash only makes the eviction order stale. */
  void writeRecency(List<Recency> updates);

  /** Releases the storage; called once, after the last other call. */
  void close();
}
