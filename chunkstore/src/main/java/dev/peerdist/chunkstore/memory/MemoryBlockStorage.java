package dev.peerdist.chunkstore.memory;

import dev.peerdist.chunkstore.BlockStorage;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link BlockStorage} in a concurrent map of stored values: what the in-memory twin keeps. The
 * ledger already holds records, pins, recency and the limit, and nothing outlives the object, so
 * only block values are kept here.
 */
final class MemoryBlockStorage implements BlockStorage {
  private record BlockKey(SegmentId id, int index) {}

  private final Map<BlockKey, byte[]> blocks = new ConcurrentHashMap<>();

  @Override
  public void writeRecord(SegmentRecord record, byte[] encoded, Recency first) {
    // The ledger holds the record.
  }

  @Override
  public void writeBlock(SegmentId id, int index, byte[] storedValue) {
    blocks.put(new BlockKey(id, index), storedValue);
  }

  @Override
  public byte[] readBlock(SegmentId id, int index) {
    // Values are never modified in place (damage replaces the array), so sharing is safe.
    return blocks.get(new BlockKey(id, index));
  }

  @Override
  public void deleteBlock(SegmentId id, int index) {
    blocks.remove(new BlockKey(id, index));
  }

  @Override
  public void deleteSegment(SegmentId id, BitSet present) {
    for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
      blocks.remove(new BlockKey(id, i));
    }
  }

  @Override
  public void writePin(SegmentId id, boolean pinned) {}

  @Override
  public void writeCapacity(long capacityBytes) {}

  @Override
  public void writeRecency(List<Recency> updates) {}

  /** Replaces a kept value, as disk damage would; false when there is none. */
  boolean replace(SegmentId id, int index, byte[] value) {
    return blocks.replace(new BlockKey(id, index), value) != null;
  }

  /** How many values are kept (tests: nothing is kept beside what the ledger holds). */
  int size() {
    return blocks.size();
  }

  @Override
  public void close() {
    blocks.clear();
  }
}
