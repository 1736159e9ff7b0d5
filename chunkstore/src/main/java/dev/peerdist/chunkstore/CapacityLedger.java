package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-memory index of a chunk store and its books: which segments and blocks are held, what
 * they cost, how recently each segment was used, which are pinned or being written, and which
 * segments to evict when a put needs room. It decides; it never touches storage. The store that
 * owns it ({@link StoreEngine}) writes storage first and then records the outcome here.
 *
 * <h2>Accounting</h2>
 *
 * A segment costs {@link #recordFootprint} for its record plus {@link #blockFootprint} for each
 * held block. A put in progress has {@linkplain #reserve reserved} its block's bytes: they count
 * in {@link #usedBytes()} from the reservation until the put is {@linkplain #commit committed}
 * or {@linkplain #release released}, so concurrent puts cannot together overshoot the capacity.
 *
 * <h2>Recency</h2>
 *
 * A store-wide tick (no ties) orders segments for eviction; the wall-clock time is for display.
 * Changes are collected for lazy persistence ({@link #takeDirtyRecency}).
 *
 * <h2>What is never evicted to make room</h2>
 *
 * Pinned segments; segments with a put in progress ({@link Segment#writers}); and segments being
 * written: incomplete, with a put within the write window (default {@link #DEFAULT_WRITE_WINDOW}).
 * Explicit eviction ({@link #evictionPlan} without {@code now}) ignores the write window but not
 * pins or puts in progress.
 *
 * <h2>Threads</h2>
 *
 * One owner serialises every mutation (the store's mutex), except {@link #touch}. Lookups
 * ({@link #find}, {@link Segment#has}, {@link Segment#presentCopy}, {@link #info}) and {@link
 * #touch} are safe from any thread without it: the map is concurrent, a segment's presence set is
 * guarded by the segment itself, and recency fields are volatile with an atomic tick.
 */
public final class CapacityLedger {
  /** How long after its last put an incomplete segment counts as being written. */
  public static final Duration DEFAULT_WRITE_WINDOW = Duration.ofSeconds(60);

  /** One segment's entry; mutable fields are written by the ledger's owner only. */
  public static final class Segment {
    private final SegmentRecord record;
    private final int recordBytes;
    private final BitSet present;
    private volatile long storedBlockBytes;
    private volatile boolean pinned;
    private volatile long tick;
    private volatile long lastAccessMillis;
    private volatile boolean recencyDirty;
    private long lastWriteMillis; // 0 for segments restored at open: not being written
    private int writers;
    private boolean removing;

    private Segment(SegmentRecord record, int recordBytes, BitSet present) {
      this.record = record;
      this.recordBytes = recordBytes;
      this.present = present;
    }

    /** The segment's record. */
    public SegmentRecord record() {
      return record;
    }

    /** True when block {@code index} is held. */
    public synchronized boolean has(int index) {
      return index >= 0 && present.get(index);
    }

    /** The held blocks, as a copy. */
    public synchronized BitSet presentCopy() {
      return (BitSet) present.clone();
    }

    synchronized int presentCount() {
      return present.cardinality();
    }

    synchronized boolean complete() {
      return present.cardinality() == record.blockCount();
    }

    /** True when pinned. */
    public boolean pinned() {
      return pinned;
    }

    /** Puts of this segment in progress (between {@link #reserve} and commit or release). */
    public int writers() {
      return writers;
    }

    /** True once its removal started: no new put may join. */
    public boolean removing() {
      return removing;
    }

    /** Bytes held: the record and the committed blocks. */
    public long bytes() {
      return recordBytes + storedBlockBytes;
    }
  }

  private final Map<SegmentId, Segment> segments = new ConcurrentHashMap<>();
  private final Clock clock;
  private long writeWindowMillis;
  private long capacityBytes;
  private long usedBytes;
  private long pinnedBytes;
  private long blockCount;
  private final AtomicLong ticks = new AtomicLong();
  /** Segments with recency not yet persisted; a hint for when to persist, not an exact count. */
  private final AtomicInteger dirtyRecency = new AtomicInteger();

  /**
   * @param capacityBytes the initial limit
   * @param writeWindow how long an incomplete segment counts as being written after a put; zero
   *     turns that protection off
   * @param clock source of put and access times
   */
  public CapacityLedger(long capacityBytes, Duration writeWindow, Clock clock) {
    this.capacityBytes = checkCapacity(capacityBytes);
    if (writeWindow.isNegative()) {
      throw new IllegalArgumentException("write window " + writeWindow + " is negative");
    }
    this.writeWindowMillis = writeWindow.toMillis();
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Bytes a held block of {@code blockLength} plaintext bytes accounts for: IV + padded ciphertext. */
  public static long blockFootprint(int blockLength) {
    return BlockCipher.IV_LENGTH + BlockCipher.paddedLength(blockLength);
  }

  /** Bytes a segment record accounts for: its encoded length ({@link SegmentRecordCodec}). */
  public static long recordFootprint(SegmentRecord record) {
    return SegmentRecordCodec.encodedLength(record);
  }

  /** The limit must not be negative; returns it. */
  public static long checkCapacity(long capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity " + capacity + " bytes is negative");
    }
    return capacity;
  }

  // ---------------------------------------------------------------- lookups (any thread)

  /** The entry of {@code id}, or null. */
  public Segment find(SegmentId id) {
    return segments.get(id);
  }

  /** Every known id, unordered. */
  public List<SegmentId> ids() {
    return new ArrayList<>(segments.keySet());
  }

  /** The summary of an entry. */
  public SegmentInfo info(Segment s) {
    SegmentRecord r = s.record;
    return new SegmentInfo(r.id(), r.version(), r.blockCount(), s.presentCount(), s.bytes(), s.pinned,
        Instant.ofEpochMilli(s.lastAccessMillis));
  }

  // ---------------------------------------------------------------- books (owner only)

  /** The limit. */
  public long capacityBytes() {
    return capacityBytes;
  }

  /** Sets the limit (nothing is evicted here: see {@link #evictionPlan}). */
  public void setCapacity(long capacity) {
    this.capacityBytes = checkCapacity(capacity);
  }

  /** Bytes held plus bytes reserved by puts in progress. */
  public long usedBytes() {
    return usedBytes;
  }

  /** The accounts as a snapshot. */
  public StoreStats stats(long evictedSegments, long droppedCorruptBlocks) {
    return new StoreStats(usedBytes, capacityBytes, pinnedBytes, segments.size(), blockCount, evictedSegments,
        droppedCorruptBlocks);
  }

  /** Every entry, least recently used first. */
  public List<Segment> byRecency() {
    List<Segment> all = new ArrayList<>(segments.values());
    all.sort(Comparator.comparingLong(s -> s.tick));
    return all;
  }

  /** Adds a new segment that is being written now. */
  public Segment add(SegmentRecord record) {
    Segment s = new Segment(record, (int) recordFootprint(record), new BitSet(record.blockCount()));
    if (segments.putIfAbsent(record.id(), s) != null) {
      throw new IllegalStateException("segment " + record.id() + " is already in the ledger");
    }
    usedBytes += s.recordBytes;
    s.lastWriteMillis = Math.max(1, clock.millis());
    s.tick = ticks.incrementAndGet();
    s.lastAccessMillis = clock.millis();
    return s;
  }

  /**
   * Adds a segment found in storage while opening: not being written.
   *
   * @param tick its persisted access tick, 0 when unknown
   */
  public Segment restore(SegmentRecord record, BitSet present, boolean pinned, long tick, long lastAccessMillis) {
    Segment s = new Segment(record, (int) recordFootprint(record), (BitSet) present.clone());
    if (segments.putIfAbsent(record.id(), s) != null) {
      throw new IllegalStateException("segment " + record.id() + " restored twice");
    }
    long blockBytes = 0;
    for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
      blockBytes += blockFootprint(record.blockLength(i));
    }
    s.storedBlockBytes = blockBytes;
    s.pinned = pinned;
    s.tick = tick;
    s.lastAccessMillis = lastAccessMillis;
    usedBytes += s.bytes();
    blockCount += present.cardinality();
    if (pinned) {
      pinnedBytes += s.bytes();
    }
    ticks.accumulateAndGet(tick, Math::max);
    return s;
  }

  /** The tick and time {@code s} was just created with (for persisting a new record). */
  public BlockStorage.Recency recency(Segment s) {
    return new BlockStorage.Recency(s.record.id(), s.tick, s.lastAccessMillis);
  }

  /**
   * Marks a use of {@code s} (a put or a read): it becomes the most recently used. Safe from any
   * thread without the owner's lock, so that reads never wait for writes.
   */
  public void touch(Segment s) {
    s.tick = ticks.incrementAndGet();
    s.lastAccessMillis = clock.millis();
    if (!s.recencyDirty) {
      s.recencyDirty = true;
      dirtyRecency.incrementAndGet();
    }
  }

  /** About how many segments have recency not yet persisted. */
  public int dirtyRecencyCount() {
    return dirtyRecency.get();
  }

  /** The recency changes since the last call, for persisting; clears them. */
  public List<BlockStorage.Recency> takeDirtyRecency() {
    List<BlockStorage.Recency> out = new ArrayList<>();
    if (dirtyRecency.get() == 0) {
      return out;
    }
    for (Segment s : segments.values()) {
      if (s.recencyDirty) {
        s.recencyDirty = false;
        out.add(recency(s));
      }
    }
    dirtyRecency.set(0);
    return out;
  }

  /**
   * Reserves {@code bytes} for a put of a block of {@code s} and counts the put as in progress;
   * the caller has made room ({@link #roomFor}). Also marks {@code s} written now.
   */
  public void reserve(Segment s, long bytes) {
    s.writers++;
    s.lastWriteMillis = Math.max(1, clock.millis());
    usedBytes += bytes;
  }

  /**
   * Ends a put whose block is now in storage: the block becomes held. When another put of the
   * same block committed first, the reservation is returned instead.
   *
   * @return true when this put added the block
   */
  public boolean commit(Segment s, int index, long bytes) {
    s.writers--;
    synchronized (s) {
      if (s.present.get(index)) {
        usedBytes -= bytes;
        return false;
      }
      s.present.set(index);
    }
    s.storedBlockBytes += bytes;
    blockCount++;
    if (s.pinned) {
      pinnedBytes += bytes;
    }
    return true;
  }

  /** Ends a put that failed: its reservation is returned. */
  public void release(Segment s, long bytes) {
    s.writers--;
    usedBytes -= bytes;
  }

  /** Marks {@code s} as being removed: puts may no longer join it. */
  public void markRemoving(Segment s) {
    s.removing = true;
  }

  /** Takes a removed segment out of the books. */
  public void remove(Segment s) {
    if (!segments.remove(s.record.id(), s)) {
      return;
    }
    usedBytes -= s.bytes();
    blockCount -= s.presentCount();
    if (s.pinned) {
      pinnedBytes -= s.bytes();
    }
    if (s.recencyDirty) {
      s.recencyDirty = false;
      dirtyRecency.decrementAndGet();
    }
  }

  /** Takes a lost or damaged block out of the books; returns false when it was not held. */
  public boolean dropBlock(Segment s, int index) {
    synchronized (s) {
      if (!s.present.get(index)) {
        return false;
      }
      s.present.clear(index);
    }
    long bytes = blockFootprint(s.record.blockLength(index));
    s.storedBlockBytes -= bytes;
    usedBytes -= bytes;
    blockCount--;
    if (s.pinned) {
      pinnedBytes -= bytes;
    }
    return true;
  }

  /** Pins or unpins; returns false when nothing changed. */
  public boolean setPinned(Segment s, boolean pinned) {
    if (s.pinned == pinned) {
      return false;
    }
    s.pinned = pinned;
    pinnedBytes += pinned ? s.bytes() : -s.bytes();
    return true;
  }

  /** True when the current entry of its id is {@code s} and it is not being removed. */
  public boolean isLive(Segment s) {
    return !s.removing && segments.get(s.record.id()) == s;
  }

  // ---------------------------------------------------------------- eviction policy

  /**
   * What to evict so that {@code bytes} more fit under the capacity: least recently used first,
   * never pinned segments, segments with puts in progress, segments being written, nor {@code
   * keep}. Evicts nothing when that is not enough.
   *
   * @throws StoreFullException naming the store ({@code name}) and {@code what} when the bytes
   *     cannot fit; nothing should then change
   */
  public List<Segment> roomFor(long bytes, SegmentId keep, String name, String what) {
    if (usedBytes + bytes <= capacityBytes) {
      return List.of();
    }
    if (capacityBytes == 0) {
      throw new StoreFullException(name + " is pass-through only (capacity 0): it stores nothing, so "
          + what + " was not stored");
    }
    long now = clock.millis();
    List<Segment> plan = evictionPlan(capacityBytes - bytes, keep, now);
    long freed = 0;
    for (Segment s : plan) {
      freed += s.bytes();
    }
    if (usedBytes - freed + bytes > capacityBytes) {
      long writing = 0;
      for (Segment s : segments.values()) {
        if (!s.pinned && (s.record.id().equals(keep) || s.writers > 0 || beingWritten(s, now))) {
          writing += s.bytes();
        }
      }
      throw new StoreFullException(name + " is full: " + what + " needs " + bytes + " bytes; " + usedBytes
          + " of " + capacityBytes + " are used, " + pinnedBytes + " by pinned segments and " + writing
          + " by segments being written, which are not evicted");
    }
    return plan;
  }

  /**
   * The segments to evict, least recently used first, to bring the used bytes down to {@code
   * target}, or as close as allowed: never pinned segments, segments with puts in progress or
   * being removed, nor {@code keep} (may be null); with {@code now} other than {@link
   * Long#MIN_VALUE}, never segments being written at {@code now} either.
   */
  public List<Segment> evictionPlan(long target, SegmentId keep, long now) {
    List<Segment> plan = new ArrayList<>();
    long used = usedBytes;
    if (used <= target) {
      return plan;
    }
    for (Segment s : byRecency()) {
      if (used <= target) {
        break;
      }
      if (s.pinned || s.writers > 0 || s.removing || s.record.id().equals(keep)
          || (now != Long.MIN_VALUE && beingWritten(s, now))) {
        continue;
      }
      plan.add(s);
      used -= s.bytes();
    }
    return plan;
  }

  private boolean beingWritten(Segment s, long now) {
    long w = writeWindowMillis;
    return w > 0 && s.lastWriteMillis > 0 && now - s.lastWriteMillis < w && !s.complete();
  }
}
