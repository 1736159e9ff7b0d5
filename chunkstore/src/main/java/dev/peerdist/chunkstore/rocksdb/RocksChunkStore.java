package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.AbstractChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecordCodec;
import dev.peerdist.chunkstore.SideTable;
import dev.peerdist.chunkstore.content.SegmentId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;

/**
 * The chunk store on RocksDB: the store peerdist runs with.
 *
 * <h2>Layout</h2>
 *
 * <table>
 *   <caption>Column families (keys: {@link KeyCodec})</caption>
 *   <tr><th>family</th><th>key</th><th>value</th></tr>
 *   <tr><td>{@code default}</td><td>"format", "capacity"</td><td>1 byte; 8 bytes big-endian</td></tr>
 *   <tr><td>{@code segments}</td><td>segment key</td><td>{@link SegmentRecordCodec} bytes</td></tr>
 *   <tr><td>{@code presence}</td><td>segment key</td><td>held-block bitmap ({@link BitSet#toByteArray})</td></tr>
 *   <tr><td>{@code pins}</td><td>segment key</td><td>empty</td></tr>
 *   <tr><td>{@code access}</td><td>segment key</td><td>tick (8) || epoch millis (8), big-endian</td></tr>
 *   <tr><td>{@code blocks}</td><td>block key</td><td>IV (16) || AES-256-CBC ciphertext</td></tr>
 *   <tr><td>{@code side}</td><td>owner's key</td><td>owner's value: the {@link SideTable} ({@link RocksSideTable})</td></tr>
 * </table>
 *
 * <p>A block and its segment's new presence bitmap go in one atomic {@link WriteBatch}, so the
 * bitmap never claims a block the store lacks. Opening reads only the small families (records,
 * bitmaps, pins, recency), never block values, so it is fast whatever the data size.
 *
 * <h2>Durability</h2>
 *
 * The write-ahead log is always on. By default writes are not fsynced: once {@code putBlock}
 * returns, its WAL record is in the operating system's page cache, so killing the process
 * (even with SIGKILL) loses nothing acknowledged — the crash test shows it — while an OS crash or
 * power cut may lose the last writes (RocksDB then recovers a consistent earlier state). With
 * {@link Builder#syncWrites(boolean) syncWrites(true)} every write is fsynced before it returns,
 * which also survives power loss at a large cost in put throughput.
 *
 * <h2>Errors</h2>
 *
 * Every RocksDB failure becomes a {@link ChunkStoreException} naming the directory and the
 * operation. Opening a store another process holds, opening damaged files and running out of
 * disk space get messages that say so. Nothing is ever deleted to recover from an error: a store
 * that fails to open is left exactly as it was. A write that fails for lack of space throws
 * without changing the index; RocksDB may then refuse further writes until the store is reopened
 * with space available.
 */
public final class RocksChunkStore extends AbstractChunkStore {
  /** Size limit of a store created without one. */
  public static final long DEFAULT_CAPACITY_BYTES = 10L << 30;
  /** Block cache shared by all families unless the builder says otherwise. */
  public static final long DEFAULT_BLOCK_CACHE_BYTES = 64L << 20;

  static final String SEGMENTS = "segments";
  static final String PRESENCE = "presence";
  static final String PINS = "pins";
  static final String ACCESS = "access";
  static final String BLOCKS = "blocks";
  /** The side table's family; created on first open by a version that has it. */
  static final String SIDE = "side";
  private static final List<String> FAMILIES = List.of(
      new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8), SEGMENTS, PRESENCE, PINS, ACCESS, BLOCKS, SIDE);
  private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CAPACITY_KEY = "capacity".getBytes(StandardCharsets.US_ASCII);
  private static final byte FORMAT = 1;
  private static final byte[] EMPTY = new byte[0];

  private final Path directory;
  private final RocksOptions options;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle segments;
  private final ColumnFamilyHandle presence;
  private final ColumnFamilyHandle pins;
  private final ColumnFamilyHandle access;
  private final ColumnFamilyHandle blocks;
  private final RocksSideTable sideTable;

  /** Starts configuring a store in {@code directory}. */
  public static Builder at(Path directory) {
    return new Builder(directory);
  }

  /** Options for opening a store; {@link #open()} opens it. */
  public static final class Builder {
    private final Path directory;
    private OptionalLong capacity = OptionalLong.empty();
    private boolean syncWrites;
    private boolean createIfMissing = true;
    private boolean blobFiles;
    private long blockCacheBytes = DEFAULT_BLOCK_CACHE_BYTES;
    private Clock clock = Clock.systemUTC();
    private RandomGenerator random;
    private RocksOptions.Tuner tuner = new RocksOptions.Tuner() {};

    private Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /**
     * The size limit; persisted, and applied (evicting if needed) when it differs from the stored
     * one. Without it an existing store keeps its limit and a new one gets
     * {@link #DEFAULT_CAPACITY_BYTES}.
     */
    public Builder capacityBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("capacity " + bytes + " bytes is negative");
      }
      this.capacity = OptionalLong.of(bytes);
      return this;
    }

    /** Whether every write is fsynced before it returns (default false; see class docs). */
    public Builder syncWrites(boolean sync) {
      this.syncWrites = sync;
      return this;
    }

    /** Whether to create a store when the directory holds none (default true). */
    public Builder createIfMissing(boolean create) {
      this.createIfMissing = create;
      return this;
    }

    /**
     * Whether block values go to RocksDB blob files (BlobDB) instead of inline in SST files
     * (default false). Blob files spare compaction from rewriting 64 KiB values (less write
     * amplification on large stores) at the cost of slower warm gets (LIMITS.md, "Storage").
     * Only the {@code blocks} family is affected; the choice may change between opens.
     */
    public Builder blobFiles(boolean enable) {
      this.blobFiles = enable;
      return this;
    }

    /** RocksDB block cache size (default {@link #DEFAULT_BLOCK_CACHE_BYTES}). */
    public Builder blockCacheBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("block cache " + bytes + " bytes is negative");
      }
      this.blockCacheBytes = bytes;
      return this;
    }

    /** Source of last-access times (default the UTC system clock). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** Source of IVs (default a new {@link SecureRandom}). */
    public Builder random(RandomGenerator r) {
      this.random = Objects.requireNonNull(r, "random");
      return this;
    }

    /** A hook that adjusts the RocksDB options; the store closes it. */
    public Builder tuner(RocksOptions.Tuner t) {
      this.tuner = Objects.requireNonNull(t, "tuner");
      return this;
    }

    /**
     * Opens (or creates) the store.
     *
     * @throws ChunkStoreException naming the directory when it cannot be opened: held by another
     *     process, damaged, unreadable, or absent with {@code createIfMissing(false)}
     */
    public RocksChunkStore open() {
      return new RocksChunkStore(this);
    }
  }

  private RocksChunkStore(Builder b) {
    super("chunk store " + b.directory.toAbsolutePath(),
        b.capacity.orElse(DEFAULT_CAPACITY_BYTES), b.clock, b.random != null ? b.random : new SecureRandom());
    this.directory = b.directory.toAbsolutePath();
    if (!b.createIfMissing && !Files.exists(directory.resolve("CURRENT"))) {
      b.tuner.close();
      throw new ChunkStoreException("no chunk store in " + directory);
    }
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      b.tuner.close();
      throw new ChunkStoreException("cannot create chunk store directory " + directory + ": " + e, e);
    }
    RocksDB.loadLibrary();
    RocksOptions opts = new RocksOptions(FAMILIES, b.blockCacheBytes, b.syncWrites, b.createIfMissing, b.tuner);
    if (b.blobFiles) {
      // Values of at least 4 KiB (every block but tiny V2 segments) go to blob files; garbage
      // collection reclaims the space of evicted blocks during compaction.
      opts.family(BLOCKS).setEnableBlobFiles(true).setMinBlobSize(4096).setBlobFileSize(256L << 20)
          .setEnableBlobGarbageCollection(true);
    }
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : FAMILIES) {
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), opts.family(name)));
    }
    List<ColumnFamilyHandle> hs = new ArrayList<>();
    RocksDB opened;
    try {
      opened = RocksDB.open(opts.database(), directory.toString(), descriptors, hs);
    } catch (RocksDBException e) {
      opts.close();
      throw openFailure(directory, e);
    }
    this.options = opts;
    this.db = opened;
    this.handles = List.copyOf(hs);
    this.meta = hs.get(0);
    this.segments = hs.get(1);
    this.presence = hs.get(2);
    this.pins = hs.get(3);
    this.access = hs.get(4);
    this.blocks = hs.get(5);
    this.sideTable = new RocksSideTable(this, opened, hs.get(6), opts);
    try {
      load(b.capacity);
    } catch (RuntimeException e) {
      closeStorage();
      throw e;
    }
  }

  @Override
  public SideTable sideTable() {
    return sideTable;
  }

  /** Runs {@code body} under the store's close guard (for {@link RocksSideTable}). */
  <T> T whileOpen(java.util.function.Supplier<T> body) {
    return guarded(body);
  }

  /** A RocksDB failure as this store's exception (for {@link RocksSideTable}). */
  ChunkStoreException failureOf(String what, RocksDBException e) {
    return failure(what, e);
  }

  /** The store's directory. */
  public Path directory() {
    return directory;
  }

  /**
   * A RocksDB integer property summed over the column families (for example
   * {@code rocksdb.total-sst-files-size} or {@code rocksdb.estimate-live-data-size}); empty when
   * RocksDB does not know it. For metrics binders.
   */
  public OptionalLong nativeProperty(String property) {
    return guarded(() -> {
      long sum = 0;
      try {
        for (ColumnFamilyHandle h : handles) {
          sum += db.getLongProperty(h, property);
        }
      } catch (RocksDBException e) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(sum);
    });
  }

  /**
   * Writes every memtable to SST files and waits for it: not needed for durability (the WAL
   * covers that) but useful before a backup, and for benchmarks that include flush cost.
   */
  public void flush() {
    guarded(() -> {
      try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
        db.flush(fo, handles);
      } catch (RocksDBException e) {
        throw failure("flush", e);
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- open

  private void load(OptionalLong requestedCapacity) {
    byte[] format = get(meta, FORMAT_KEY, "read the format");
    if (format == null) {
      put(meta, FORMAT_KEY, new byte[] {FORMAT}, "write the format");
    } else if (format.length != 1 || format[0] != FORMAT) {
      throw new ChunkStoreException(name() + " has format " + HexFormat.of().formatHex(format)
          + ", this peerdist reads format " + FORMAT + "; nothing was changed");
    }
    Map<SegmentId, BitSet> present = new HashMap<>();
    forEach(presence, "read presence bitmaps", (k, v) -> present.put(KeyCodec.segmentOf(k), BitSet.valueOf(v)));
    Set<SegmentId> pinned = new HashSet<>();
    forEach(pins, "read pins", (k, v) -> pinned.add(KeyCodec.segmentOf(k)));
    Map<SegmentId, long[]> recency = new HashMap<>();
    forEach(access, "read access times", (k, v) -> {
      if (v.length == 16) {
        ByteBuffer bb = ByteBuffer.wrap(v);
        recency.put(KeyCodec.segmentOf(k), new long[] {bb.getLong(0), bb.getLong(8)});
      }
    });
    forEach(segments, "read segment records", (k, v) -> {
      SegmentId id = KeyCodec.segmentOf(k);
      SegmentRecord r;
      try {
        r = SegmentRecordCodec.decode(v);
      } catch (IllegalArgumentException e) {
        throw new ChunkStoreException(name() + " is damaged: the record of segment " + id
            + " does not decode (" + e.getMessage() + "); nothing was changed", e);
      }
      if (!r.id().equals(id)) {
        throw new ChunkStoreException(name() + " is damaged: the record stored under segment " + id
            + " belongs to " + r.id() + "; nothing was changed");
      }
      BitSet bits = present.getOrDefault(id, new BitSet());
      if (bits.length() > r.blockCount()) {
        throw new ChunkStoreException(name() + " is damaged: segment " + id + " claims block "
            + (bits.length() - 1) + " of " + r.blockCount() + "; nothing was changed");
      }
      long[] t = recency.getOrDefault(id, new long[] {0, 0});
      restoreSegment(r, bits, pinned.contains(id), t[0], t[1]);
    });
    byte[] cap = get(meta, CAPACITY_KEY, "read the capacity");
    if (cap != null && cap.length == 8) {
      restoreCapacity(ByteBuffer.wrap(cap).getLong());
    }
    if (requestedCapacity.isPresent()) {
      if (cap == null || ByteBuffer.wrap(cap).getLong() != requestedCapacity.getAsLong()) {
        setCapacity(requestedCapacity.getAsLong());
      }
    } else if (cap == null) {
      persistCapacity(stats().capacityBytes());
    }
  }

  private interface EntryConsumer {
    void accept(byte[] key, byte[] value);
  }

  private void forEach(ColumnFamilyHandle family, String what, EntryConsumer consumer) {
    try (RocksIterator it = db.newIterator(family)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        consumer.accept(it.key(), it.value());
      }
      it.status();
    } catch (RocksDBException e) {
      throw failure(what, e);
    } catch (IllegalArgumentException e) {
      throw new ChunkStoreException(name() + " is damaged: cannot " + what + ": " + e.getMessage()
          + "; nothing was changed", e);
    }
  }

  // ---------------------------------------------------------------- persistence SPI

  @Override
  protected void persistSegment(SegmentRecord record, byte[] encoded, long tick, long millis) {
    byte[] key = KeyCodec.segmentKey(record.id());
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(segments, key, encoded);
      batch.put(presence, key, EMPTY);
      batch.put(access, key, accessValue(tick, millis));
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("store the record of segment " + record.id(), e);
    }
  }

  @Override
  protected void persistBlock(SegmentId id, int index, byte[] storedValue, BitSet presentAfter) {
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(blocks, KeyCodec.blockKey(id, index), storedValue);
      batch.put(presence, KeyCodec.segmentKey(id), presentAfter.toByteArray());
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("store block " + index + " of segment " + id, e);
    }
  }

  @Override
  protected byte[] loadBlock(SegmentId id, int index) {
    try {
      return db.get(blocks, options.read(), KeyCodec.blockKey(id, index));
    } catch (RocksDBException e) {
      throw failure("read block " + index + " of segment " + id, e);
    }
  }

  @Override
  protected void persistBlockRemoval(SegmentId id, int index, BitSet presentAfter) {
    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(blocks, KeyCodec.blockKey(id, index));
      batch.put(presence, KeyCodec.segmentKey(id), presentAfter.toByteArray());
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("drop block " + index + " of segment " + id, e);
    }
  }

  @Override
  protected void persistSegmentRemoval(SegmentId id, BitSet present) {
    byte[] key = KeyCodec.segmentKey(id);
    try (WriteBatch batch = new WriteBatch()) {
      for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
        batch.delete(blocks, KeyCodec.blockKey(id, i));
      }
      batch.delete(segments, key);
      batch.delete(presence, key);
      batch.delete(pins, key);
      batch.delete(access, key);
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("remove segment " + id, e);
    }
  }

  @Override
  protected void persistPin(SegmentId id, boolean pinned) {
    try {
      if (pinned) {
        db.put(pins, options.write(), KeyCodec.segmentKey(id), EMPTY);
      } else {
        db.delete(pins, options.write(), KeyCodec.segmentKey(id));
      }
    } catch (RocksDBException e) {
      throw failure((pinned ? "pin" : "unpin") + " segment " + id, e);
    }
  }

  @Override
  protected void persistCapacity(long capacityBytes) {
    put(meta, CAPACITY_KEY, ByteBuffer.allocate(8).putLong(capacityBytes).array(), "store the capacity");
  }

  @Override
  protected void persistAccess(List<AccessUpdate> updates) {
    try (WriteBatch batch = new WriteBatch()) {
      for (AccessUpdate u : updates) {
        batch.put(access, KeyCodec.segmentKey(u.id()), accessValue(u.tick(), u.lastAccessMillis()));
      }
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("store access times", e);
    }
  }

  @Override
  protected void closeStorage() {
    // Make the WAL tail durable on a clean shutdown even when writes are not synced.
    try {
      db.flushWal(true);
    } catch (RocksDBException e) {
      // Unsynced tail is still in the page cache; closing is what matters now.
    }
    // Reverse order of creation: family handles, then the database, then the native options
    // the database was opened with (RocksDB requires handles closed before the DB).
    for (int i = handles.size() - 1; i >= 0; i--) {
      handles.get(i).close();
    }
    try {
      db.closeE();
    } catch (RocksDBException e) {
      throw failure("close", e);
    } finally {
      options.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static byte[] accessValue(long tick, long millis) {
    return ByteBuffer.allocate(16).putLong(tick).putLong(millis).array();
  }

  private byte[] get(ColumnFamilyHandle family, byte[] key, String what) {
    try {
      return db.get(family, options.read(), key);
    } catch (RocksDBException e) {
      throw failure(what, e);
    }
  }

  private void put(ColumnFamilyHandle family, byte[] key, byte[] value, String what) {
    try {
      db.put(family, options.write(), key, value);
    } catch (RocksDBException e) {
      throw failure(what, e);
    }
  }

  private ChunkStoreException failure(String what, RocksDBException e) {
    return new ChunkStoreException(name() + ": cannot " + what + ": " + explain(e), e);
  }

  private static ChunkStoreException openFailure(Path dir, RocksDBException e) {
    String m = String.valueOf(e.getMessage());
    Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
    if (m.contains("lock") || m.contains("LOCK") || code == Status.Code.Busy) {
      return new ChunkStoreException("chunk store " + dir
          + " is already open in another process (its LOCK file is held): " + m, e);
    }
    if (code == Status.Code.Corruption || m.contains("orrupt")) {
      return new ChunkStoreException("chunk store " + dir + " is damaged and was not opened ("
          + m + "); nothing was deleted: restore the directory from a backup or move it aside", e);
    }
    return new ChunkStoreException("cannot open chunk store " + dir + ": " + explain(e), e);
  }

  private static String explain(RocksDBException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("No space left") || m.contains("NoSpace")
        || (e.getStatus() != null && e.getStatus().getSubCode() == Status.SubCode.NoSpace)) {
      return "disk full (" + m + ")";
    }
    return m;
  }
}
