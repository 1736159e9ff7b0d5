package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.random.RandomGenerator;

/**
 * The semantics every {@link ChunkStore} shares — verification, at-rest encryption, the
 * in-memory index of held blocks, accounting, LRU eviction and pins — over a small persistence
 * SPI that subclasses implement ({@code InMemoryChunkStore}, {@code RocksChunkStore}). Putting
 * the rules in one place is what lets the twin stand in for the real store.
 *
 * <h2>Stored form</h2>
 *
 * A block is kept as {@code IV (16 bytes) || AES-256-CBC(Kp[0..32), IV, block) with PKCS#7},
 * the exact bytes a PCCRR MSG_BLK carries with CryptoAlgoId 3 (PROTOCOL.md §4.4, §4.5). It is
 * encrypted once, on put, so serving needs no per-request cipher work (LIMITS.md, "Network").
 *
 * <h2>Accounting</h2>
 *
 * A segment costs {@link #recordFootprint} for its record plus {@link #blockFootprint} for each
 * held block. Nothing else (keys, database overhead) is counted.
 *
 * <h2>Recency</h2>
 *
 * Each segment has a logical access tick (a store-wide counter, so ties cannot happen) and a
 * wall-clock time for display. Puts and reads ({@link #readBlock}, {@link #storedBlock}) touch
 * it; presence queries do not. Ticks are persisted lazily ({@link #persistAccess}), so after a
 * crash the order may be slightly stale; that only affects which segment is evicted first.
 *
 * <h2>Segments being written</h2>
 *
 * A segment that is not complete and received a put (record or block) within the write window
 * (default {@link #DEFAULT_WRITE_WINDOW}, by the injected clock) is being written: making room
 * for another put never evicts it. When room can only be made by evicting pinned segments or
 * segments being written, the put throws {@link StoreFullException} instead, so a cache smaller
 * than what one download has in flight refuses puts rather than evicting the download's own
 * segments from under it. An abandoned partial segment becomes evictable once the window passes.
 * Explicit eviction ({@link #evictTo}, {@link #setCapacity}) may evict any unpinned segment.
 *
 * <h2>Health</h2>
 *
 * {@link #health()} is OK until something is lost or limited: a capacity of 0 (pass-through
 * only), blocks dropped as corrupt, or a state a subclass reports ({@link #reportHealth}).
 *
 * <h2>Concurrency</h2>
 *
 * All mutations (records, blocks, pins, eviction) run under one mutex and call the SPI while
 * holding it; reads call {@link #loadBlock} without it. Every public call holds the read side of
 * a close guard, so {@link #close()} waits for calls in progress and the SPI never sees a closed
 * handle.
 */
public abstract class AbstractChunkStore implements ChunkStore {
  /** Persist recency after this many touched segments accumulate (and always on close). */
  private static final int ACCESS_FLUSH_THRESHOLD = 256;

  /** How long after its last put an incomplete segment counts as being written. */
  public static final java.time.Duration DEFAULT_WRITE_WINDOW = java.time.Duration.ofSeconds(60);

  /** Per-segment state; {@code present} is guarded by the state object itself. */
  protected static final class SegmentState {
    final SegmentRecord record;
    final int recordBytes;
    final BitSet present;
    volatile long storedBlockBytes; // written under the mutex only
    volatile boolean pinned;
    volatile long tick;
    volatile long lastAccessMillis;
    volatile boolean accessDirty;
    volatile long lastWriteMillis; // 0 for segments restored at open: not being written

    SegmentState(SegmentRecord record, int recordBytes, BitSet present) {
      this.record = record;
      this.recordBytes = recordBytes;
      this.present = present;
    }

    synchronized boolean has(int index) {
      return present.get(index);
    }

    synchronized BitSet presentCopy() {
      return (BitSet) present.clone();
    }

    synchronized int presentCount() {
      return present.cardinality();
    }

    synchronized boolean complete() {
      return present.cardinality() == record.blockCount();
    }

    long bytes() {
      return recordBytes + storedBlockBytes;
    }
  }

  /** A recency update handed to {@link #persistAccess}. */
  protected record AccessUpdate(SegmentId id, long tick, long lastAccessMillis) {}

  private final String name;
  private final Clock clock;
  private final RandomGenerator random;
  private final Map<SegmentId, SegmentState> segments = new ConcurrentHashMap<>();
  private final ReentrantLock mutex = new ReentrantLock();
  private final ReentrantReadWriteLock closeGuard = new ReentrantReadWriteLock();
  private final AtomicLong ticks = new AtomicLong();
  private final AtomicLong dirtyAccess = new AtomicLong();
  private final AtomicLong evictedSegments = new AtomicLong();
  private final AtomicLong droppedCorruptBlocks = new AtomicLong();
  private volatile boolean open = true;
  private volatile long writeWindowMillis = DEFAULT_WRITE_WINDOW.toMillis();
  private volatile StoreHealth reported = StoreHealth.OK;
  // The figures below are guarded by mutex.
  private long capacityBytes;
  private long usedBytes;
  private long pinnedBytes;
  private long blockCount;

  /**
   * @param name how messages name this store, e.g. {@code "chunk store /var/lib/peerdist"}
   * @param capacityBytes initial size limit (a subclass may restore another before first use)
   * @param clock source of last-access times
   * @param random source of IVs; a {@link java.security.SecureRandom} outside tests
   */
  protected AbstractChunkStore(String name, long capacityBytes, Clock clock, RandomGenerator random) {
    this.name = Objects.requireNonNull(name, "name");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    checkCapacity(capacityBytes);
    this.capacityBytes = capacityBytes;
  }

  /** Bytes a held block of {@code blockLength} plaintext bytes accounts for: IV + padded ciphertext. */
  public static long blockFootprint(int blockLength) {
    return BlockCipher.IV_LENGTH + BlockCipher.paddedLength(blockLength);
  }

  /** Bytes a segment record accounts for: its encoded length ({@link SegmentRecordCodec}). */
  public static long recordFootprint(SegmentRecord record) {
    return SegmentRecordCodec.encodedLength(record);
  }

  /** How messages name this store. */
  public final String name() {
    return name;
  }

  // ---------------------------------------------------------------- persistence SPI

  /** Persists a new record with its first access tick and an empty presence set. */
  protected abstract void persistSegment(SegmentRecord record, byte[] encoded, long tick, long millis);

  /** Persists one stored block together with the segment's presence set after the put. */
  protected abstract void persistBlock(SegmentId id, int index, byte[] storedValue, BitSet presentAfter);

  /** The stored value ({@code IV || ciphertext}) of a block, or null when it is not there. */
  protected abstract byte[] loadBlock(SegmentId id, int index);

  /** Removes one block and persists the presence set after the removal. */
  protected abstract void persistBlockRemoval(SegmentId id, int index, BitSet presentAfter);

  /** Removes a segment: record, pin, recency and the blocks listed in {@code present}. */
  protected abstract void persistSegmentRemoval(SegmentId id, BitSet present);

  /** Persists a pin or its removal. */
  protected abstract void persistPin(SegmentId id, boolean pinned);

  /** Persists the size limit. */
  protected abstract void persistCapacity(long capacityBytes);

  /** Persists recency updates; losing them in a crash is harmless. */
  protected abstract void persistAccess(List<AccessUpdate> updates);

  /** Releases the storage; called once, by {@link #close()}, after recency is flushed. */
  protected abstract void closeStorage();

  // ---------------------------------------------------------------- restore (subclass constructors)

  /**
   * Adds a segment found in storage while opening. Call before the store is used.
   *
   * @param tick persisted access tick, 0 when unknown
   */
  protected final void restoreSegment(
      SegmentRecord record, BitSet present, boolean pinned, long tick, long lastAccessMillis) {
    SegmentState s = new SegmentState(record, (int) recordFootprint(record), (BitSet) present.clone());
    long blockBytes = 0;
    for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
      blockBytes += blockFootprint(record.blockLength(i));
    }
    s.storedBlockBytes = blockBytes;
    s.pinned = pinned;
    s.tick = tick;
    s.lastAccessMillis = lastAccessMillis;
    mutex.lock();
    try {
      SegmentState old = segments.put(record.id(), s);
      if (old != null) {
        throw new IllegalStateException("segment " + record.id() + " restored twice in " + name);
      }
      usedBytes += s.bytes();
      blockCount += present.cardinality();
      if (pinned) {
        pinnedBytes += s.bytes();
      }
      ticks.accumulateAndGet(tick, Math::max);
    } finally {
      mutex.unlock();
    }
  }

  /** Sets the limit found in storage without persisting it again. */
  protected final void restoreCapacity(long capacity) {
    checkCapacity(capacity);
    mutex.lock();
    try {
      this.capacityBytes = capacity;
    } finally {
      mutex.unlock();
    }
  }

  /** The injected clock. */
  protected final Clock clock() {
    return clock;
  }

  /** The ids in the index, for a subclass repairing itself under {@link #exclusively}. */
  protected final List<SegmentId> segmentIdsUnguarded() {
    return new ArrayList<>(segments.keySet());
  }

  /** The held blocks of {@code id} in the index (empty when unknown), as {@link #segmentIdsUnguarded}. */
  protected final BitSet presentUnguarded(SegmentId id) {
    SegmentState s = segments.get(id);
    return s == null ? new BitSet() : s.presentCopy();
  }

  /** Sets the write window (see the class docs); zero turns the protection off. */
  protected final void setWriteWindow(java.time.Duration window) {
    if (window.isNegative()) {
      throw new IllegalArgumentException("write window " + window + " is negative");
    }
    this.writeWindowMillis = window.toMillis();
  }

  /**
   * Reports a state of the storage beneath (damage repaired at open, a full disk, writes
   * failing); {@link StoreHealth#OK} clears it. {@link #health()} combines it with what this
   * class knows.
   */
  protected final void reportHealth(StoreHealth h) {
    this.reported = Objects.requireNonNull(h, "health");
  }

  /**
   * Forgets blocks the storage lost (a quarantined file held them): clears them from the index
   * and the accounts and counts them as dropped. For subclasses repairing themselves; call with
   * no other call in progress ({@link #exclusively}).
   */
  protected final void forgetLostBlocks(SegmentId id, BitSet lost) {
    mutex.lock();
    try {
      SegmentState s = segments.get(id);
      if (s == null) {
        return;
      }
      for (int i = lost.nextSetBit(0); i >= 0; i = lost.nextSetBit(i + 1)) {
        if (s.has(i)) {
          forgetDropped(s, i);
        }
      }
    } finally {
      mutex.unlock();
    }
  }

  /**
   * Runs {@code body} while no other call is in progress and none can start (the close guard's
   * write side). For a subclass that must swap its storage, e.g. to repair it.
   *
   * @return false when the store is already closed (the body did not run)
   */
  protected final boolean exclusively(Runnable body) {
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

  // ---------------------------------------------------------------- ChunkStore

  @Override
  public StoreHealth health() {
    StoreHealth r = reported;
    List<String> notes = new ArrayList<>();
    if (r.state() != StoreHealth.State.OK) {
      notes.add(r.detail());
    }
    long cap;
    mutex.lock();
    try {
      cap = capacityBytes;
    } finally {
      mutex.unlock();
    }
    if (cap == 0) {
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

  @Override
  public boolean putSegment(SegmentRecord record) {
    Objects.requireNonNull(record, "record");
    byte[] encoded = SegmentRecordCodec.encode(record);
    return guarded(() -> {
      mutex.lock();
      try {
        if (segments.containsKey(record.id())) {
          return false;
        }
        makeRoom(encoded.length, null, "the record of segment " + record.id());
        long tick = ticks.incrementAndGet();
        long millis = clock.millis();
        persistSegment(record, encoded, tick, millis);
        SegmentState s = new SegmentState(record, encoded.length, new BitSet(record.blockCount()));
        s.tick = tick;
        s.lastAccessMillis = millis;
        s.lastWriteMillis = Math.max(1, millis);
        segments.put(record.id(), s);
        usedBytes += encoded.length;
        return true;
      } finally {
        mutex.unlock();
      }
    });
  }

  @Override
  public Optional<SegmentRecord> segment(SegmentId id) {
    return guarded(() -> Optional.ofNullable(segments.get(id)).map(s -> s.record));
  }

  @Override
  public List<SegmentId> segments() {
    return guarded(() -> {
      List<SegmentId> ids = new ArrayList<>(segments.keySet());
      ids.sort(Comparator.naturalOrder());
      return ids;
    });
  }

  @Override
  public void putBlock(SegmentId id, int index, byte[] data, int offset, int length) {
    Objects.requireNonNull(data, "data");
    Objects.checkFromIndexSize(offset, length, data.length);
    guarded(() -> put(id, index, data, offset, length, null));
  }

  /**
   * Skips the hash (and, with the stored form, the encryption): the block's record has the block's
   * segment id, and a record's id pins its block hashes and Kp (the factory checks the chain,
   * {@link SegmentRecord}), so a block verified against it verifies against the stored record.
   */
  @Override
  public void putBlock(VerifiedBlock block) {
    Objects.requireNonNull(block, "block");
    guarded(() -> put(block.record().id(), block.index(), block.data(), block.offset(), block.length(), block));
  }

  /** A put; {@code verified} is null when the bytes are still to be checked. */
  private Void put(SegmentId id, int index, byte[] data, int offset, int length, VerifiedBlock verified) {
    SegmentState first = segments.get(id);
    if (first == null) {
      throw new UnknownSegmentException("no record for segment " + id + " in " + name);
    }
    SegmentState s = first;
    SegmentRecord r = s.record;
    if (index < 0 || index >= r.blockCount()) {
      throw new BlockVerificationException("block index " + index + " outside 0.."
          + (r.blockCount() - 1) + " of segment " + id);
    }
    if (first.has(index)) {
      touch(first);
      return null; // Already held: the stored copy verified when it was put.
    }
    // Verify, then encrypt, before taking any lock: both are the expensive part of a put.
    if (length != r.blockLength(index)) {
      throw new BlockVerificationException("block " + index + " of segment " + id + " must be "
          + r.blockLength(index) + " bytes, got " + length + "; nothing stored");
    }
    if (verified == null && !r.verifies(index, data, offset, length)) {
      throw new BlockVerificationException(
          "block " + index + " of segment " + id + " does not match its hash; nothing stored");
    }
    byte[] value = verified != null && verified.hasSealedForm() ? verified.sealed() : seal(r, data, offset, length);
    mutex.lock();
    try {
      SegmentState current = segments.get(id);
      if (current == null) {
        // Evicted or removed while we hashed: its record is gone, so the block has no home.
        throw new UnknownSegmentException("segment " + id + " was removed from " + name
            + " while block " + index + " was being put");
      }
      // Removed and put again meanwhile: same id, hence same Kp and hashes; use the new state.
      s = current;
      if (s.has(index)) {
        return null;
      }
      // Mark it written now, before making room: a put in progress is part of the write.
      s.lastWriteMillis = Math.max(1, clock.millis());
      makeRoom(value.length, id, "block " + index + " of segment " + id);
      BitSet after;
      synchronized (s) {
        after = (BitSet) s.present.clone();
      }
      after.set(index);
      persistBlock(id, index, value, after);
      synchronized (s) {
        s.present.set(index);
      }
      s.storedBlockBytes += value.length;
      usedBytes += value.length;
      blockCount++;
      if (s.pinned) {
        pinnedBytes += value.length;
      }
      touch(s);
      if (dirtyAccess.get() >= ACCESS_FLUSH_THRESHOLD) {
        flushAccess();
      }
    } finally {
      mutex.unlock();
    }
    return null;
  }

  @Override
  public Optional<byte[]> readBlock(SegmentId id, int index) {
    return guarded(() -> {
      SegmentState s = segments.get(id);
      byte[] value = held(s, index);
      if (value == null) {
        return Optional.empty();
      }
      SegmentRecord r = s.record;
      int len = r.blockLength(index);
      byte[] plain = null;
      if (value.length == blockFootprint(len)) {
        byte[] iv = java.util.Arrays.copyOf(value, BlockCipher.IV_LENGTH);
        // Decrypted straight into an array of the block's length; the pad must be the one seal wrote.
        BlockCipher.Opened o = BlockCipher.open(BlockCipher.SERVE_ALGORITHM, r.segmentSecret(), iv, value,
            iv.length, value.length - iv.length, len);
        plain = o.padded() ? o.plaintext() : null;
      }
      if (plain == null || !r.verifies(index, plain, 0, len)) {
        dropCorrupt(s, index);
        return Optional.empty();
      }
      touch(s);
      return Optional.of(plain);
    });
  }

  @Override
  public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
    return guarded(() -> {
      SegmentState s = segments.get(id);
      byte[] value = held(s, index);
      if (value == null) {
        return Optional.empty();
      }
      // The receiving peer verifies the plaintext (PROTOCOL.md §4.5); here only the shape is
      // checked, so that a truncated value is never served.
      if (value.length != blockFootprint(s.record.blockLength(index))) {
        dropCorrupt(s, index);
        return Optional.empty();
      }
      touch(s);
      byte[] iv = java.util.Arrays.copyOfRange(value, 0, BlockCipher.IV_LENGTH);
      byte[] ct = java.util.Arrays.copyOfRange(value, BlockCipher.IV_LENGTH, value.length);
      return Optional.of(new StoredBlock(BlockCipher.SERVE_ALGORITHM, iv, ct));
    });
  }

  @Override
  public boolean hasBlock(SegmentId id, int index) {
    return guarded(() -> {
      SegmentState s = segments.get(id);
      return s != null && index >= 0 && s.has(index);
    });
  }

  @Override
  public BitSet presentBlocks(SegmentId id) {
    return guarded(() -> {
      SegmentState s = segments.get(id);
      return s == null ? new BitSet() : s.presentCopy();
    });
  }

  @Override
  public void pin(SegmentId id) {
    setPinned(id, true);
  }

  @Override
  public void unpin(SegmentId id) {
    setPinned(id, false);
  }

  private void setPinned(SegmentId id, boolean pinned) {
    guarded(() -> {
      mutex.lock();
      try {
        SegmentState s = segments.get(id);
        if (s == null) {
          throw new UnknownSegmentException("cannot " + (pinned ? "pin" : "unpin")
              + " segment " + id + ": it is not in " + name);
        }
        if (s.pinned != pinned) {
          persistPin(id, pinned);
          s.pinned = pinned;
          pinnedBytes += pinned ? s.bytes() : -s.bytes();
        }
      } finally {
        mutex.unlock();
      }
      return null;
    });
  }

  @Override
  public boolean isPinned(SegmentId id) {
    return guarded(() -> {
      SegmentState s = segments.get(id);
      return s != null && s.pinned;
    });
  }

  @Override
  public boolean removeSegment(SegmentId id) {
    return guarded(() -> {
      mutex.lock();
      try {
        SegmentState s = segments.get(id);
        if (s == null) {
          return false;
        }
        remove(s);
        return true;
      } finally {
        mutex.unlock();
      }
    });
  }

  @Override
  public StoreStats stats() {
    return guarded(() -> {
      mutex.lock();
      try {
        return new StoreStats(usedBytes, capacityBytes, pinnedBytes, segments.size(), blockCount,
            evictedSegments.get(), droppedCorruptBlocks.get());
      } finally {
        mutex.unlock();
      }
    });
  }

  @Override
  public Optional<SegmentInfo> segmentInfo(SegmentId id) {
    // No mutex: PCCRD responders call this per probed segment and must not wait for a put.
    return guarded(() -> Optional.ofNullable(segments.get(id)).map(this::info));
  }

  @Override
  public List<SegmentInfo> segmentsByLastAccess() {
    return guarded(() -> {
      mutex.lock();
      try {
        List<SegmentState> states = byRecency();
        List<SegmentInfo> out = new ArrayList<>(states.size());
        for (SegmentState s : states) {
          out.add(info(s));
        }
        return out;
      } finally {
        mutex.unlock();
      }
    });
  }

  @Override
  public void setCapacity(long capacity) {
    checkCapacity(capacity);
    guarded(() -> {
      mutex.lock();
      try {
        persistCapacity(capacity);
        capacityBytes = capacity;
        evictDownTo(capacity, null);
      } finally {
        mutex.unlock();
      }
      return null;
    });
  }

  @Override
  public int evictTo(long target) {
    if (target < 0) {
      throw new IllegalArgumentException("eviction target " + target + " is negative");
    }
    return guarded(() -> {
      mutex.lock();
      try {
        return evictDownTo(target, null);
      } finally {
        mutex.unlock();
      }
    });
  }

  @Override
  public void close() {
    closeGuard.writeLock().lock();
    try {
      if (!open) {
        return; // Idempotent.
      }
      open = false;
      try {
        flushAccess();
      } finally {
        closeStorage();
      }
    } finally {
      closeGuard.writeLock().unlock();
    }
  }

  /** True until {@link #close()}. */
  public final boolean isOpen() {
    return open;
  }

  // ---------------------------------------------------------------- internals

  /** Runs {@code body} while the store cannot close; throws when it already has. */
  protected final <T> T guarded(java.util.function.Supplier<T> body) {
    closeGuard.readLock().lock();
    try {
      ensureOpen();
      return body.get();
    } finally {
      closeGuard.readLock().unlock();
    }
  }

  /** Throws {@link StoreClosedException} after {@link #close()}. */
  protected final void ensureOpen() {
    if (!open) {
      throw new StoreClosedException(name + " is closed");
    }
  }

  /**
   * The stored value of a held block. A block the index claims but the storage lacks, or whose
   * stored form the storage reports damaged ({@link CorruptBlockException}), is dropped from the
   * index, counted, and reported absent, so the caller fetches it again.
   */
  private byte[] held(SegmentState s, int index) {
    if (s == null || index < 0 || index >= s.record.blockCount() || !s.has(index)) {
      return null;
    }
    byte[] v;
    try {
      v = loadBlock(s.record.id(), index);
    } catch (CorruptBlockException e) {
      v = null;
    }
    if (v == null) {
      dropCorrupt(s, index);
    }
    return v;
  }

  private byte[] seal(SegmentRecord r, byte[] data, int offset, int length) {
    byte[] iv = new byte[BlockCipher.IV_LENGTH];
    synchronized (random) {
      random.nextBytes(iv);
    }
    // One array, encrypted in place of a copy: IV || ciphertext, the stored and served form.
    return BlockCipher.seal(BlockCipher.SERVE_ALGORITHM, r.segmentSecret(), iv, data, offset, length);
  }

  private void touch(SegmentState s) {
    s.tick = ticks.incrementAndGet();
    s.lastAccessMillis = clock.millis();
    if (!s.accessDirty) {
      s.accessDirty = true;
      dirtyAccess.incrementAndGet();
    }
  }

  /** Writes pending recency updates; called under the mutex or the close write lock. */
  private void flushAccess() {
    if (dirtyAccess.get() == 0) {
      return;
    }
    List<AccessUpdate> updates = new ArrayList<>();
    for (SegmentState s : segments.values()) {
      if (s.accessDirty) {
        s.accessDirty = false;
        updates.add(new AccessUpdate(s.record.id(), s.tick, s.lastAccessMillis));
      }
    }
    dirtyAccess.set(0);
    if (!updates.isEmpty()) {
      persistAccess(updates);
    }
  }

  private void dropCorrupt(SegmentState s, int index) {
    mutex.lock();
    try {
      if (segments.get(s.record.id()) != s || !s.has(index)) {
        return; // Removed meanwhile.
      }
      BitSet after;
      synchronized (s) {
        after = (BitSet) s.present.clone();
      }
      after.clear(index);
      try {
        persistBlockRemoval(s.record.id(), index, after);
      } catch (ChunkStoreException e) {
        // The storage refuses writes (it is damaged and repairing): the block is gone from the
        // index all the same, so it is never served; the repair reconciles the storage.
      }
      forgetDropped(s, index);
    } finally {
      mutex.unlock();
    }
  }

  /** Takes a dropped block out of the index and the accounts; under the mutex. */
  private void forgetDropped(SegmentState s, int index) {
    synchronized (s) {
      s.present.clear(index);
    }
    long bytes = blockFootprint(s.record.blockLength(index));
    s.storedBlockBytes -= bytes;
    usedBytes -= bytes;
    blockCount--;
    if (s.pinned) {
      pinnedBytes -= bytes;
    }
    droppedCorruptBlocks.incrementAndGet();
  }

  /**
   * Evicts LRU unpinned segments that are not being written (never {@code keep}) so that
   * {@code bytes} more fit; throws {@link StoreFullException} when they cannot.
   */
  private void makeRoom(long bytes, SegmentId keep, String what) {
    if (usedBytes + bytes <= capacityBytes) {
      return;
    }
    if (capacityBytes == 0) {
      throw new StoreFullException(name + " is pass-through only (capacity 0): it stores nothing, so "
          + what + " was not stored");
    }
    long now = clock.millis();
    evictDownTo(capacityBytes - bytes, keep, now);
    if (usedBytes + bytes > capacityBytes) {
      long writing = 0;
      for (SegmentState s : segments.values()) {
        if (!s.pinned && (s.record.id().equals(keep) || beingWritten(s, now))) {
          writing += s.bytes();
        }
      }
      throw new StoreFullException(name + " is full: " + what + " needs " + bytes + " bytes; " + usedBytes
          + " of " + capacityBytes + " are used, " + pinnedBytes + " by pinned segments and " + writing
          + " by segments being written, which are not evicted");
    }
  }

  private boolean beingWritten(SegmentState s, long now) {
    long w = writeWindowMillis;
    return w > 0 && s.lastWriteMillis > 0 && now - s.lastWriteMillis < w && !s.complete();
  }

  /** Explicit eviction: any unpinned segment but {@code keep}, LRU first. */
  private int evictDownTo(long target, SegmentId keep) {
    return evictDownTo(target, keep, Long.MIN_VALUE);
  }

  /**
   * Evicts LRU unpinned segments other than {@code keep} down to {@code target}; with {@code now}
   * other than {@code Long.MIN_VALUE}, segments being written at {@code now} are kept too.
   */
  private int evictDownTo(long target, SegmentId keep, long now) {
    if (usedBytes <= target) {
      return 0;
    }
    int evicted = 0;
    for (SegmentState s : byRecency()) {
      if (usedBytes <= target) {
        break;
      }
      if (s.pinned || s.record.id().equals(keep) || (now != Long.MIN_VALUE && beingWritten(s, now))) {
        continue;
      }
      remove(s);
      evicted++;
      evictedSegments.incrementAndGet();
    }
    return evicted;
  }

  private List<SegmentState> byRecency() {
    List<SegmentState> states = new ArrayList<>(segments.values());
    states.sort(Comparator.comparingLong(s -> s.tick));
    return states;
  }

  private void remove(SegmentState s) {
    persistSegmentRemoval(s.record.id(), s.presentCopy());
    segments.remove(s.record.id());
    usedBytes -= s.bytes();
    blockCount -= s.presentCount();
    if (s.pinned) {
      pinnedBytes -= s.bytes();
    }
    if (s.accessDirty) {
      s.accessDirty = false;
      dirtyAccess.decrementAndGet();
    }
  }

  private SegmentInfo info(SegmentState s) {
    SegmentRecord r = s.record;
    return new SegmentInfo(r.id(), r.version(), r.blockCount(), s.presentCount(), s.bytes(), s.pinned,
        Instant.ofEpochMilli(s.lastAccessMillis));
  }

  private static void checkCapacity(long capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity " + capacity + " bytes is negative");
    }
  }
}
