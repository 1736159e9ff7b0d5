package dev.peerdist.chunkstore.memory;

import dev.peerdist.chunkstore.BlockSealer;
import dev.peerdist.chunkstore.CapacityLedger;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentInfo;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SideTable;
import dev.peerdist.chunkstore.StoreEngine;
import dev.peerdist.chunkstore.StoreHealth;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.VerifiedBlock;
import dev.peerdist.chunkstore.content.SegmentId;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The in-memory twin of the RocksDB store, for tests and the simulator: a {@link StoreEngine}
 * (the same sealer, ledger and rules as the RocksDB store) over a {@link MemoryBlockStorage}. It
 * passes the same conformance suite; only persistence across restarts is missing, since nothing
 * survives the object.
 */
public final class InMemoryChunkStore implements ChunkStore {
  private final MemoryBlockStorage storage = new MemoryBlockStorage();
  private final StoreEngine engine;
  private final MemorySideTable sideTable;

  /** A store of {@code capacityBytes} with the system clock and a {@link SecureRandom}. */
  public InMemoryChunkStore(long capacityBytes) {
    this(capacityBytes, Clock.systemUTC(), new SecureRandom());
  }

  /** A store with an injected clock (last-access times) and random source (IVs). */
  public InMemoryChunkStore(long capacityBytes, Clock clock, RandomGenerator random) {
    this.engine = new StoreEngine("in-memory chunk store", clock, new BlockSealer(random),
        new CapacityLedger(capacityBytes, CapacityLedger.DEFAULT_WRITE_WINDOW, clock), storage);
    this.sideTable = new MemorySideTable(engine);
  }

  /**
   * Replaces the stored value of a held block with {@code value}, as disk damage would. For
   * tests of the "a block that no longer verifies is dropped" rule.
   *
   * @return false when the block is not held
   */
  public boolean damageStoredBlock(SegmentId id, int index, byte[] value) {
    return engine.whileOpen(() -> storage.replace(id, index, value.clone()));
  }

  /** How messages name this store. */
  public String name() {
    return engine.name();
  }

  @Override
  public SideTable sideTable() {
    return sideTable;
  }

  @Override
  public boolean putSegment(SegmentRecord record) {
    return engine.putSegment(record);
  }

  @Override
  public Optional<SegmentRecord> segment(SegmentId id) {
    return engine.segment(id);
  }

  @Override
  public List<SegmentId> segments() {
    return engine.segments();
  }

  @Override
  public void putBlock(SegmentId id, int index, byte[] data, int offset, int length) {
    engine.putBlock(id, index, data, offset, length);
  }

  @Override
  public void putBlock(VerifiedBlock block) {
    engine.putBlock(block);
  }

  @Override
  public Optional<byte[]> readBlock(SegmentId id, int index) {
    return engine.readBlock(id, index);
  }

  @Override
  public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
    return engine.storedBlock(id, index);
  }

  @Override
  public boolean hasBlock(SegmentId id, int index) {
    return engine.hasBlock(id, index);
  }

  @Override
  public BitSet presentBlocks(SegmentId id) {
    return engine.presentBlocks(id);
  }

  @Override
  public void pin(SegmentId id) {
    engine.setPinned(id, true);
  }

  @Override
  public void unpin(SegmentId id) {
    engine.setPinned(id, false);
  }

  @Override
  public boolean isPinned(SegmentId id) {
    return engine.isPinned(id);
  }

  @Override
  public boolean removeSegment(SegmentId id) {
    return engine.removeSegment(id);
  }

  @Override
  public StoreStats stats() {
    return engine.stats();
  }

  @Override
  public StoreHealth health() {
    return engine.health();
  }

  @Override
  public Optional<SegmentInfo> segmentInfo(SegmentId id) {
    return engine.segmentInfo(id);
  }

  @Override
  public List<SegmentInfo> segmentsByLastAccess() {
    return engine.segmentsByLastAccess();
  }

  @Override
  public void setCapacity(long capacityBytes) {
    engine.setCapacity(capacityBytes);
  }

  @Override
  public int evictTo(long usedBytes) {
    return engine.evictTo(usedBytes);
  }

  @Override
  public void close() {
    engine.close();
    sideTable.clear();
  }
}
