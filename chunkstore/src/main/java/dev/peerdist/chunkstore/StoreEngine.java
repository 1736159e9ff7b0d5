package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The rules every {@link ChunkStore} keeps, wired from three parts with one job each: a {@link
 * BlockSealer} (encryption at rest), a {@link CapacityLedger} (index, accounts, recency, what
 * to evict) and a {@link BlockStorage} (where bytes live). A store class ({@code
 * RocksChunkStore}, {@code InMemoryChunkStore}) owns one engine and its storage and answers the
 * {@link ChunkStore} calls through it; nothing here is overridden.
 *
 * <h2>A put</h2>
 *
 * <ol>
 *   <li>No lock: the length and hash are checked (unless the block is a {@link VerifiedBlock})
 *       and the block is sealed ({@link BlockSealer#storedForm}). Concurrent puts do this part
 *       in parallel.
 *   <li>Under the mutex, briefly: a put of the same block in progress is waited for (then the
 *       block is usually held, and this put is done); the ledger makes room (evicting whole
 *       segments; eviction never takes a segment with a put in progress) and reserves the block's
 *       bytes, counting the put as in progress on its segment and marking the block as being
 *       written.
 *   <li>Without the mutex: the storage writes the value and its held mark in one atomic write, so
 *       reads, pins, stats, eviction and removal of other segments go on, and so do puts of other
 *       blocks: puts of different blocks write concurrently ({@link BlockStorage} takes that).
 *   <li>Under the mutex, briefly: the ledger commits the block (it is now held, readable and
 *       served) or, when the write failed, returns the reservation; a removal waiting for the
 *       segment's puts, and a put waiting for this block, are woken.
 * </ol>
 *
 * So a block is never marked held before its value is in storage, the accounts never exceed the
 * capacity (reservations count), no unverified byte is kept, and two values of one block (the same
 * block from two peers, each under its own IV) are never written into its place at once. Until
 * issue 12 the storage writes went one at a time (a put lock); with value files they need no lock
 * between different blocks, and the receiving node's two store writers now overlap
 * (docs/PERFORMANCE.md, "Concurrent puts").
 *
 * <h2>Reads</h2>
 *
 * Lookups, {@link #readBlock} and {@link #storedBlock} take no mutex (a read only takes it to
 * drop a block found damaged). A block the ledger holds but the storage
 * lacks or reports damaged is dropped from both, counted, and reported absent.
 *
 * <h2>Closing</h2>
 *
 * Every call holds the read side of a close guard, so {@link #close()} waits for calls in
 * progress and the storage never sees a call after its close.
 */
public final class StoreEngine {
  /** Persist recency after this many touched segments accumulate (and always on close). */
  private static final int RECENCY_FLUSH_THRESHOLD = 256;

  private final String name;
  private final Clock clock;
  private final BlockSealer sealer;
  private final CapacityLedger ledger;
  private final BlockStorage storage;
  private final ReentrantLock mutex = new ReentrantLock();
  /** Signalled when a segment's last put in progress ends (a removal may be waiting). */
  private final Condition putsEnded = mutex.newCondition();
  /** Blocks whose value is being written now (guarded by the mutex; class docs, "A put"). */
  private final Set<BlockKey> writing = new HashSet<>();
  /** Signalled when a put of a block ends (a put of the same block may be waiting). */
  private final Condition blockPutEnded = mutex.newCondition();
  private final ReentrantReadWriteLock closeGuard = new ReentrantReadWriteLock();
  private final AtomicLong evictedSegments = new AtomicLong();
  private final AtomicLong droppedCorruptBlocks = new AtomicLong();
  private volatile boolean open = true;
  private volatile StoreHealth reported = StoreHealth.OK;

  /**
   * @param name how messages name the store, e.g. {@code "chunk store /var/lib/peerdist"}
   * @param clock source of put and access times (the ledger's clock too)
   */
  public StoreEngine(String name, Clock clock, BlockSealer sealer, CapacityLedger ledger, BlockStorage storage) {
    this.name = Objects.requireNonNull(name, "name");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sealer = Objects.requireNonNull(sealer, "sealer");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
    this.storage = Objects.requireNonNull(storage, "storage");
  }

  /** How messages name the store. */
  public String name() {
    return name;
  }

  // ---------------------------------------------------------------- for the store classes

  /**
   * Adds a segment found in storage while opening (before the store is used).
   *
   * @param tick persisted access tick, 0 when unknown
   */
  public void restoreSegment(SegmentRecord record, BitSet present, boolean pinned, long tick, long lastAccessMillis) {
    locked(() -> ledger.restore(record, present, pinned, tick, lastAccessMillis));
  }

  /** Sets the limit found in storage without persisting it again. */
  public void restoreCapacity(long capacity) {
    CapacityLedger.checkCapacity(capacity);
    locked(() -> {
      ledger.setCapacity(capacity);
      return null;
    });
  }

  /** The ids in the index (for a store repairing itself under {@link #exclusively}). */
  public List<SegmentId> segmentIdsUnguarded() {
    return ledger.ids();
  }

  /** The held blocks of {@code id} (empty when unknown), as {@link #segmentIdsUnguarded}. */
  public BitSet presentUnguarded(SegmentId id) {
    CapacityLedger.Segment s = ledger.find(id);
    return s == null ? new BitSet() : s.presentCopy();
  }

  /**
   * Reports a state of the storage beneath (damage repaired at open, a full disk, writes
   * failing); {@link StoreHealth#OK} clears it. {@link #health()} combines it with what the
   * engine knows.
   */
  public void reportHealth(StoreHealth h) {
    this.reported = Objects.requireNonNull(h, "health");
  }

  /**
   * Forgets blocks the storage lost (a quarantined file held them): takes them out of the
   * ledger and counts them as dropped. Call with no other call in progress ({@link #exclusively}).
   */
  public void forgetLostBlocks(SegmentId id, BitSet lost) {
    locked(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      if (s != null) {
        for (int i = lost.nextSetBit(0); i >= 0; i = lost.nextSetBit(i + 1)) {
          if (ledger.dropBlock(s, i)) {
            droppedCorruptBlocks.incrementAndGet();
          }
        }
      }
      return null;
    });
  }

  /**
   * Runs {@code body} while no other call is in progress and none can start (the close guard's
   * write side): for a store that must swap its storage, e.g. to repair it.
   *
   * @return false when the store is already closed (the body did not run)
   */
  public boolean exclusively(Runnable body) {
    closeGuard.writeLock().lock();
    try {
      if (!open) {
        return false;
      }
      body.run();
      return true;
    } finally {
      closeGuard.writeLock().unlock();
    }
  }

  /** Runs {@code body} while the store cannot close; throws {@link StoreClosedException} when it has. */
  public <T> T whileOpen(Supplier<T> body) {
    closeGuard.readLock().lock();
    try {
      if (!open) {
        throw new StoreClosedException(name + " is closed");
      }
      return body.get();
    } finally {
      closeGuard.readLock().unlock();
    }
  }

  /** True until {@link #close()}. */
  public boolean isOpen() {
    return open;
  }

  // ---------------------------------------------------------------- ChunkStore

  /** See {@link ChunkStore#health()}. */
  public StoreHealth health() {
    StoreHealth r = reported;
    List<String> notes = new ArrayList<>();
    if (r.state() != StoreHealth.State.OK) {
      notes.add(r.detail());
    }
    if (locked(ledger::capacityBytes) == 0) {
      notes.add("pass-through only (capacity 0): nothing is cached");
    }
    long dropped = droppedCorruptBlocks.get();
    if (dropped > 0) {
      notes.add(dropped + " corrupt or lost block" + (dropped == 1 ? "" : "s") + " dropped since open");
    }
    if (notes.isEmpty()) {
      return StoreHealth.OK;
    }
    String detail = String.join("; ", notes);
    return r.state() == StoreHealth.State.FAILED ? StoreHealth.failed(detail) : StoreHealth.degraded(detail);
  }

  /** See {@link ChunkStore#putSegment}. */
  public boolean putSegment(SegmentRecord record) {
    Objects.requireNonNull(record, "record");
    byte[] encoded = SegmentRecordCodec.encode(record);
    return whileOpen(() -> locked(() -> {
      if (ledger.find(record.id()) != null) {
        return false;
      }
      evict(ledger.roomFor(encoded.length, null, name, "the record of segment " + record.id()));
      // Written before the ledger knows it: no block can be put for a record storage lacks.
      CapacityLedger.Segment s = ledger.add(record);
      try {
        storage.writeRecord(record, encoded, ledger.recency(s));
      } catch (RuntimeException e) {
        ledger.remove(s);
        throw e;
      }
      return true;
    }));
  }

  /** See {@link ChunkStore#segment}. */
  public Optional<SegmentRecord> segment(SegmentId id) {
    return whileOpen(() -> Optional.ofNullable(ledger.find(id)).map(CapacityLedger.Segment::record));
  }

  /** See {@link ChunkStore#segments()}. */
  public List<SegmentId> segments() {
    return whileOpen(() -> {
      List<SegmentId> ids = ledger.ids();
      ids.sort(Comparator.naturalOrder());
      return ids;
    });
  }

  /** See {@link ChunkStore#putBlock(SegmentId, int, byte[], int, int)}. */
  public void putBlock(SegmentId id, int index, byte[] data, int offset, int length) {
    Objects.requireNonNull(data, "data");
    Objects.checkFromIndexSize(offset, length, data.length);
    whileOpen(() -> put(id, index, data, offset, length, null));
  }

  /**
   * See {@link ChunkStore#putBlock(VerifiedBlock)}. Skips the hash (and, with the stored form,
   * the encryption): a record's id pins its block hashes and Kp (the factory checks the chain,
   * {@link SegmentRecord}), so a block verified against the block's record verifies against the
   * stored one.
   */
  public void putBlock(VerifiedBlock block) {
    Objects.requireNonNull(block, "block");
    whileOpen(() -> put(block.record().id(), block.index(), block.data(), block.offset(), block.length(), block));
  }

  /** A put; {@code verified} is null when the bytes are still to be checked. */
  private Void put(SegmentId id, int index, byte[] data, int offset, int length, VerifiedBlock verified) {
    CapacityLedger.Segment first = ledger.find(id);
    if (first == null) {
      throw new UnknownSegmentException("no record for segment " + id + " in " + name);
    }
    SegmentRecord r = first.record();
    if (index < 0 || index >= r.blockCount()) {
      throw new BlockVerificationException("block index " + index + " outside 0.."
          + (r.blockCount() - 1) + " of segment " + id);
    }
    if (first.has(index)) {
      ledger.touch(first);
      return null; // Already held: the stored copy verified when it was put.
    }
    if (length != r.blockLength(index)) {
      throw new BlockVerificationException("block " + index + " of segment " + id + " must be "
          + r.blockLength(index) + " bytes, got " + length + "; nothing stored");
    }
    if (verified == null && !r.verifies(index, data, offset, length)) {
      throw new BlockVerificationException(
          "block " + index + " of segment " + id + " does not match its hash; nothing stored");
    }
    byte[] value = verified != null ? sealer.storedForm(verified) : sealer.seal(r, data, offset, length);
    return store(id, index, value, value.length);
  }

  /** Steps 2–4 of a put (class docs). */
  private Void store(SegmentId id, int index, byte[] value, long bytes) {
    BlockKey key = new BlockKey(id, index);
    CapacityLedger.Segment s = locked(() -> {
      while (true) {
        CapacityLedger.Segment current = ledger.find(id);
        if (current == null || current.removing()) {
          // Evicted or removed while we hashed: its record is gone, so the block has no home.
          throw new UnknownSegmentException("segment " + id + " was removed from " + name
              + " while block " + index + " was being put");
        }
        // Removed and put again meanwhile: same id, hence same Kp and hashes; use the new entry.
        if (current.has(index)) {
          return null;
        }
        if (!writing.contains(key)) {
          evict(ledger.roomFor(bytes, id, name, "block " + index + " of segment " + id));
          ledger.reserve(current, bytes);
          writing.add(key);
          return current;
        }
        // The same block is being written (e.g. from two peers, under two IVs): one value at a
        // time in its place; usually it is held when that put ends, and this one is done.
        blockPutEnded.awaitUninterruptibly();
      }
    });
    if (s == null) {
      return null;
    }
    boolean written = false;
    try {
      storage.writeBlock(id, index, value);
      written = true;
    } finally {
      boolean ok = written;
      locked(() -> {
        // First, so that nothing below (a recency flush that fails) can leave the block marked.
        writing.remove(key);
        blockPutEnded.signalAll();
        try {
          if (ok) {
            ledger.commit(s, index, bytes);
            ledger.touch(s);
            if (ledger.dirtyRecencyCount() >= RECENCY_FLUSH_THRESHOLD) {
              flushRecency();
            }
          } else {
            ledger.release(s, bytes);
          }
        } finally {
          if (s.writers() == 0) {
            putsEnded.signalAll();
          }
        }
        return null;
      });
    }
    return null;
  }

  /** See {@link ChunkStore#readBlock}. */
  public Optional<byte[]> readBlock(SegmentId id, int index) {
    return whileOpen(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      byte[] value = held(s, index);
      if (value == null) {
        return Optional.empty();
      }
      byte[] plain = sealer.open(s.record(), index, value);
      if (plain == null) {
        dropCorrupt(s, index);
        return Optional.empty();
      }
      ledger.touch(s);
      return Optional.of(plain);
    });
  }

  /** See {@link ChunkStore#storedBlock}. */
  public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
    return whileOpen(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      byte[] value = held(s, index);
      if (value == null) {
        return Optional.empty();
      }
      StoredBlock b = sealer.servable(s.record(), index, value);
      if (b == null) {
        dropCorrupt(s, index);
        return Optional.empty();
      }
      ledger.touch(s);
      return Optional.of(b);
    });
  }

  /** See {@link ChunkStore#hasBlock}. */
  public boolean hasBlock(SegmentId id, int index) {
    return whileOpen(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      return s != null && s.has(index);
    });
  }

  /** See {@link ChunkStore#presentBlocks}. */
  public BitSet presentBlocks(SegmentId id) {
    return whileOpen(() -> presentUnguarded(id));
  }

  /** See {@link ChunkStore#pin} and {@link ChunkStore#unpin}. */
  public void setPinned(SegmentId id, boolean pinned) {
    whileOpen(() -> locked(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      if (s == null || s.removing()) {
        throw new UnknownSegmentException("cannot " + (pinned ? "pin" : "unpin")
            + " segment " + id + ": it is not in " + name);
      }
      if (s.pinned() != pinned) {
        storage.writePin(id, pinned);
        ledger.setPinned(s, pinned);
      }
      return null;
    }));
  }

  /** See {@link ChunkStore#isPinned}. */
  public boolean isPinned(SegmentId id) {
    return whileOpen(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      return s != null && s.pinned();
    });
  }

  /** See {@link ChunkStore#removeSegment}; waits for puts of the segment in progress. */
  public boolean removeSegment(SegmentId id) {
    return whileOpen(() -> locked(() -> {
      CapacityLedger.Segment s = ledger.find(id);
      if (s == null || s.removing()) {
        return false;
      }
      ledger.markRemoving(s);
      while (s.writers() > 0) {
        putsEnded.awaitUninterruptibly();
      }
      remove(s);
      return true;
    }));
  }

  /** See {@link ChunkStore#stats()}. */
  public StoreStats stats() {
    return whileOpen(() -> locked(() -> ledger.stats(evictedSegments.get(), droppedCorruptBlocks.get())));
  }

  /** See {@link ChunkStore#segmentInfo}; no mutex: PCCRD responders call it per probed segment. */
  public Optional<SegmentInfo> segmentInfo(SegmentId id) {
    return whileOpen(() -> Optional.ofNullable(ledger.find(id)).map(ledger::info));
  }

  /** See {@link ChunkStore#segmentsByLastAccess()}. */
  public List<SegmentInfo> segmentsByLastAccess() {
    return whileOpen(() -> locked(() -> ledger.byRecency().stream().map(ledger::info).toList()));
  }

  /** See {@link ChunkStore#setCapacity}. */
  public void setCapacity(long capacity) {
    CapacityLedger.checkCapacity(capacity);
    whileOpen(() -> locked(() -> {
      storage.writeCapacity(capacity);
      ledger.setCapacity(capacity);
      evict(ledger.evictionPlan(capacity, null, Long.MIN_VALUE));
      return null;
    }));
  }

  /** Persists the current limit (a store created without one). */
  public void persistCapacity() {
    locked(() -> {
      storage.writeCapacity(ledger.capacityBytes());
      return null;
    });
  }

  /** See {@link ChunkStore#evictTo}. */
  public int evictTo(long target) {
    if (target < 0) {
      throw new IllegalArgumentException("eviction target " + target + " is negative");
    }
    return whileOpen(() -> locked(() -> evict(ledger.evictionPlan(target, null, Long.MIN_VALUE))));
  }

  /** Flushes recency and closes the storage; idempotent. */
  public void close() {
    closeGuard.writeLock().lock();
    try {
      if (!open) {
        return;
      }
      open = false;
      try {
        locked(() -> {
          flushRecency();
          return null;
        });
      } finally {
        storage.close();
      }
    } finally {
      closeGuard.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- internals

  private <T> T locked(Supplier<T> body) {
    mutex.lock();
    try {
      return body.get();
    } finally {
      mutex.unlock();
    }
  }

  /** Removes the planned segments, in order; under the mutex. */
  private int evict(List<CapacityLedger.Segment> plan) {
    for (CapacityLedger.Segment s : plan) {
      remove(s);
      evictedSegments.incrementAndGet();
    }
    return plan.size();
  }

  /** Removes a segment with no put in progress from storage, then from the ledger; under the mutex. */
  private void remove(CapacityLedger.Segment s) {
    storage.deleteSegment(s.record().id(), s.presentCopy());
    ledger.remove(s);
  }

  /** Writes pending recency; under the mutex. */
  private void flushRecency() {
    List<BlockStorage.Recency> updates = ledger.takeDirtyRecency();
    if (!updates.isEmpty()) {
      storage.writeRecency(updates);
    }
  }

  /**
   * The stored value of a held block. A block the ledger holds but the storage lacks, or whose
   * stored form the storage reports damaged ({@link CorruptBlockException}), is dropped and
   * reported absent, so the caller fetches it again.
   */
  private byte[] held(CapacityLedger.Segment s, int index) {
    if (s == null || index >= s.record().blockCount() || !s.has(index)) {
      return null;
    }
    byte[] v;
    try {
      v = storage.readBlock(s.record().id(), index);
    } catch (CorruptBlockException e) {
      v = null;
    }
    if (v == null) {
      dropCorrupt(s, index);
    }
    return v;
  }

  /** A block of a segment, as {@link #writing} knows it. */
  private record BlockKey(SegmentId id, int index) {}

  private void dropCorrupt(CapacityLedger.Segment s, int index) {
    locked(() -> {
      if (!ledger.isLive(s) || !s.has(index)) {
        return null; // Removed meanwhile.
      }
      try {
        storage.deleteBlock(s.record().id(), index);
      } catch (ChunkStoreException e) {
        // The storage refuses writes (it is damaged and repairing): the block leaves the ledger
        // all the same, so it is never served; the repair reconciles the storage.
      }
      if (ledger.dropBlock(s, index)) {
        droppedCorruptBlocks.incrementAndGet();
      }
      return null;
    });
  }
}
