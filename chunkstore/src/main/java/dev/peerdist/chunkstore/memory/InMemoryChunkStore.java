package dev.peerdist.chunkstore.memory;

import dev.peerdist.chunkstore.AbstractChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SideTable;
import dev.peerdist.chunkstore.content.SegmentId;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * The in-memory twin of the RocksDB store, for tests and the simulator. It shares every rule
 * with the real store through {@link AbstractChunkStore} (verification, encryption at rest with
 * the same stored bytes, accounting, LRU eviction, pins) and passes the same conformance suite;
 * only persistence across restarts is missing, since nothing survives the object.
 */
public final class InMemoryChunkStore extends AbstractChunkStore {
  private final Map<BlockKey, byte[]> blocks = new ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentSkipListMap<byte[], byte[]> side =
      new java.util.concurrent.ConcurrentSkipListMap<>(java.util.Arrays::compareUnsigned);
  private final SideTable sideTable = new MemorySideTable();

  private record BlockKey(SegmentId id, int index) {}

  /** A store of {@code capacityBytes} with the system clock and a {@link SecureRandom}. */
  public InMemoryChunkStore(long capacityBytes) {
    this(capacityBytes, Clock.systemUTC(), new SecureRandom());
  }

  /** A store with an injected clock (last-access times) and random source (IVs). */
  public InMemoryChunkStore(long capacityBytes, Clock clock, RandomGenerator random) {
    super("in-memory chunk store", capacityBytes, clock, random);
  }

  /**
   * Replaces the stored value of a held block with {@code value}, as disk damage would. For
   * tests of the "a block that no longer verifies is dropped" rule.
   *
   * @return false when the block is not held
   */
  public boolean damageStoredBlock(SegmentId id, int index, byte[] value) {
    return guarded(() -> blocks.replace(new BlockKey(id, index), value.clone()) != null);
  }

  @Override
  public SideTable sideTable() {
    return sideTable;
  }

  /** The side table in a sorted map; a batch is applied under the map's lock, so it is atomic. */
  private final class MemorySideTable implements SideTable {
    @Override
    public java.util.Optional<byte[]> get(byte[] key) {
      SideTable.check(key, null);
      return guarded(() -> java.util.Optional.ofNullable(side.get(key)).map(byte[]::clone));
    }

    @Override
    public void put(byte[] key, byte[] value) {
      write(new Batch().put(key, value));
    }

    @Override
    public void delete(byte[] key) {
      write(new Batch().delete(key));
    }

    @Override
    public void write(Batch batch) {
      guarded(() -> {
        synchronized (side) {
          for (Entry e : batch.operations()) {
            if (e.value() == null) {
              side.remove(e.key());
            } else {
              side.put(e.key(), e.value());
            }
          }
        }
        return null;
      });
    }

    @Override
    public List<Entry> scan(byte[] prefix, byte[] after, int limit) {
      int max = SideTable.scanLimit(prefix, limit);
      return guarded(() -> {
        java.util.List<Entry> out = new java.util.ArrayList<>();
        synchronized (side) {
          // Keys with the prefix are contiguous in unsigned order, starting at the prefix itself.
          boolean fromAfter = after != null && java.util.Arrays.compareUnsigned(after, prefix) >= 0;
          var tail = fromAfter ? side.tailMap(after, false) : side.tailMap(prefix, true);
          for (var e : tail.entrySet()) {
            if (out.size() >= max || !SideTable.startsWith(e.getKey(), prefix)) {
              break;
            }
            out.add(new Entry(e.getKey().clone(), e.getValue().clone()));
          }
        }
        return out;
      });
    }
  }

  @Override
  protected void persistSegment(SegmentRecord record, byte[] encoded, long tick, long millis) {
    // Records live in the base class's index; nothing else to keep.
  }

  @Override
  protected void persistBlock(SegmentId id, int index, byte[] storedValue, BitSet presentAfter) {
    blocks.put(new BlockKey(id, index), storedValue);
  }

  @Override
  protected byte[] loadBlock(SegmentId id, int index) {
    // Values are never modified in place (damage replaces the array), so sharing is safe.
    return blocks.get(new BlockKey(id, index));
  }

  @Override
  protected void persistBlockRemoval(SegmentId id, int index, BitSet presentAfter) {
    blocks.remove(new BlockKey(id, index));
  }

  @Override
  protected void persistSegmentRemoval(SegmentId id, BitSet present) {
    for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
      blocks.remove(new BlockKey(id, i));
    }
  }

  @Override
  protected void persistPin(SegmentId id, boolean pinned) {}

  @Override
  protected void persistCapacity(long capacityBytes) {}

  @Override
  protected void persistAccess(List<AccessUpdate> updates) {}

  @Override
  protected void closeStorage() {
    blocks.clear();
    side.clear();
  }
}
