package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.BlockSealer;
import dev.peerdist.chunkstore.BlockStorage;
import dev.peerdist.chunkstore.CapacityLedger;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.CorruptBlockException;
import dev.peerdist.chunkstore.DiskFullException;
import dev.peerdist.chunkstore.SegmentInfo;
import dev.peerdist.chunkstore.StoreEngine;
import dev.peerdist.chunkstore.StoreClosedException;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.VerifiedBlock;
import dev.peerdist.chunkstore.StoreHealth;
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
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 *   <tr><td>{@code presence}</td><td>block key, one per held block</td><td>CRC32C (4) || length (4) of the
 *       value in its value file; empty when the value is in {@code blocks} (format 1: a bitmap
 *       per segment key, converted at open)</td></tr>
 *   <tr><td>{@code pins}</td><td>segment key</td><td>empty</td></tr>
 *   <tr><td>{@code access}</td><td>segment key</td><td>tick (8) || epoch millis (8), big-endian</td></tr>
 *   <tr><td>{@code blocks}</td><td>block key</td><td>IV (16) || AES-256-CBC ciphertext of values written
 *       with {@link Builder#valueFiles(boolean) valueFiles(false)} or before value files; in blob
 *       files unless {@link Builder#blobFiles(boolean) blobFiles(false)}</td></tr>
 *   <tr><td>{@code side}</td><td>owner's key</td><td>owner's value: the {@link SideTable} ({@link RocksSideTable})</td></tr>
 * </table>
 *
 * <p>Puts of different blocks write nothing in common (no bitmap to read, change and write back
 * per segment). Opening reads only the small families (records, presence, pins, recency), never
 * block values, so it is fast whatever the data size.
 *
 * <h2>Value files</h2>
 *
 * By default a block's value goes to its slot in its segment's value file ({@link ValueFiles},
 * {@code DIR/values/}), written once into the page cache, and then its presence entry, holding
 * the value's CRC32C and length, goes to RocksDB: the store never claims a block whose bytes were
 * not written first. Every read checks the length and CRC32C, so a value lost or damaged under
 * its entry (a power cut that kept the index, a flipped byte) is dropped, never served. Removing
 * a segment deletes its entries, then its file; files of segments the index does not know are
 * deleted at open.
 *
 * <h2>Blob files and space</h2>
 *
 * With {@link Builder#valueFiles(boolean) valueFiles(false)}, a value and its (empty) presence
 * entry go in one atomic {@link WriteBatch}, the value to RocksDB blob files with blob garbage
 * collection off, so compaction moves only keys (issue 12). The space of their removed blocks
 * comes back through {@link #reclaimSpace()},
 * which also runs by itself on a daemon thread {@link Builder#reclaimDelay} after removals:
 * bounded, one at a time, never during close or repair ({@link BlobReclaimer},
 * {@link BlobReclaimPolicy}).
 *
 * <h2>Composition</h2>
 *
 * This class owns a {@link StoreEngine} (verification, sealing, accounts and eviction: the same
 * rules as the in-memory twin) and implements its {@link BlockStorage} on the families above;
 * what is its own is RocksDB: opening, the format, damage and repair, and the extra operations
 * ({@link #flush()}, {@link #compact()}, {@link #nativeProperty}).
 *
 * <h2>Durability</h2>
 *
 * The write-ahead log is always on. By default writes are not fsynced: once {@code putBlock}
 * returns, its value and its entry's WAL record are in the operating system's page cache, so
 * killing the process (even with SIGKILL) loses nothing acknowledged — the crash test shows it —
 * while an OS crash or power cut may lose the last writes (RocksDB then recovers a consistent
 * earlier state; a value file's lost pages fail their CRC32C). With
 * {@link Builder#syncWrites(boolean) syncWrites(true)} the value file is fdatasynced before its
 * entry is written and every write is fsynced before it returns, which also survives power loss
 * at a large cost in put throughput.
 *
 * <h2>Errors</h2>
 *
 * Every RocksDB failure becomes a {@link ChunkStoreException} naming the directory, the
 * operation and RocksDB's own reason. Opening a store another process holds, opening damaged
 * files and running out of disk space get messages that say so. A write that fails for lack of
 * space throws {@link DiskFullException} without changing the index; RocksDB resumes writing by
 * itself once space is back (its SST file manager watches).
 *
 * <h2>Damage</h2>
 *
 * By default nothing is ever deleted or moved to recover from damage: a store that fails to open
 * is left exactly as it was. With {@link Builder#recoverDamage(boolean) recoverDamage(true)} (what
 * a node uses) the store repairs itself instead of wedging (issue 11):
 *
 * <ul>
 *   <li>A value in a value file that fails its length or CRC32C is dropped from the index and
 *       counted, with no repair (RocksDB's files are sound); this holds without
 *       {@code recoverDamage} too.
 *   <li>A block whose data RocksDB reports corrupt when it is read is dropped from the index,
 *       counted, and reported absent, so the caller fetches it again; the store then repairs
 *       itself in the background (below), because a later compaction would trip over the same
 *       damage and stop every write.
 *   <li>Repair (also after a background error such as a compaction hitting damage, and at the
 *       next open when a {@value #REPAIR_MARKER} file says one was due): the store reopens with
 *       automatic compaction off, checks every SST file's checksums, copies each damaged file
 *       into {@code quarantine/} and removes it from the database ({@code DeleteFilesInRanges}),
 *       drops from the index the blocks that lived only there, and turns compaction back on.
 *       Value files stay, and their entries carry over as they are.
 *   <li>A store that cannot be opened even with the damaged WAL records skipped is moved aside
 *       to {@code DIR.damaged-TIMESTAMP} (logged) and a new, empty store is created.
 * </ul>
 *
 * {@link #health()} says which of these happened. Files and directories are created readable
 * by the owner only (0600/0700): segment secrets are inside.
 */
public final class RocksChunkStore implements ChunkStore {
  /** Size limit of a store created without one. */
  public static final long DEFAULT_CAPACITY_BYTES = 10L << 30;
  /** Block cache shared by all families unless the builder says otherwise. */
  public static final long DEFAULT_BLOCK_CACHE_BYTES = 16L << 20;
  /** Default of {@link Builder#reclaimMinGarbageBytes}. */
  public static final long DEFAULT_RECLAIM_MIN_GARBAGE_BYTES = 64L << 20;
  /** Default of {@link Builder#reclaimDelay}. */
  public static final java.time.Duration DEFAULT_RECLAIM_DELAY = java.time.Duration.ofSeconds(60);
  /** A file in the store directory that says a repair is due at the next open. */
  public static final String REPAIR_MARKER = "REPAIR-NEEDED";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RocksChunkStore.class);
  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_DIR =
      java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
  private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_FILE =
      java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");

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
  /**
   * 4: as 3, with value files in {@link ValueFiles.Layout#ALIGNED} (issue 12: each block's body on
   * a page boundary). 3: a {@code presence} entry may point into a value file (CRC32C and length,
   * {@link ValueFiles}, {@link ValueFiles.Layout#PACKED}); an empty one still means "the value is
   * in the {@code blocks} family". A format-3 store keeps its layout (it is read and written as it
   * is, never converted: a value file's blocks would move); a store that cannot have value files
   * yet (formats 1 and 2, a new store) becomes format 4. Format 2 (every entry empty) reads as it
   * is and is relabelled at open, so that a version that knows nothing of value files refuses the
   * store instead of dropping its blocks. Format 1 kept one bitmap per segment, rewritten with
   * every block, which made puts of one segment wait for each other; it is converted at open, in
   * one atomic batch. A version that knows only format 3 refuses a format-4 store.
   */
  private static final byte FORMAT = 4;
  private static final byte FORMAT_PACKED_VALUES = 3;
  private static final byte FORMAT_EMPTY_PRESENCE = 2;
  private static final byte FORMAT_BITMAPS = 1;
  private static final byte[] EMPTY = new byte[0];

  private final Path directory;
  private final Builder settings;
  /** The rules (verification, sealing, accounts, eviction) over {@link #storage}. */
  private final StoreEngine engine;
  private final RocksBlockStorage storage = new RocksBlockStorage();
  private final BlobReclaimer reclaimer;
  /** Block values written with {@link Builder#valueFiles} on (and read whatever the option). */
  private final ValueFiles values;
  // The database and its handles are replaced only by a repair, which runs with no other call
  // in progress (StoreEngine#exclusively); volatile so every thread sees the new ones.
  private volatile RocksOptions options;
  private volatile RocksDB db;
  private volatile List<ColumnFamilyHandle> handles;
  private volatile ColumnFamilyHandle meta;
  private volatile ColumnFamilyHandle segments;
  private volatile ColumnFamilyHandle presence;
  private volatile ColumnFamilyHandle pins;
  private volatile ColumnFamilyHandle access;
  private volatile ColumnFamilyHandle blocks;
  private final java.util.concurrent.atomic.AtomicBoolean repairQueued =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile Thread repairThread;
  private final java.util.concurrent.atomic.AtomicLong quarantinedFiles = new java.util.concurrent.atomic.AtomicLong();
  /** Replaced with the database by a repair, like the handles. */
  private volatile RocksSideTable sideTable;

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
    private boolean blobFiles = true;
    private boolean valueFiles = true;
    private int openValueFiles = ValueFiles.DEFAULT_OPEN_FILES;
    private long reclaimMinGarbageBytes = DEFAULT_RECLAIM_MIN_GARBAGE_BYTES;
    private java.time.Duration reclaimDelay = DEFAULT_RECLAIM_DELAY;
    private boolean recoverDamage;
    private java.time.Duration writeWindow = CapacityLedger.DEFAULT_WRITE_WINDOW;
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
     * Whether block values go to RocksDB blob files (BlobDB, default true) instead of inline in
     * SST files. Blob files spare compaction from rewriting 64 KiB values (issue 12: compaction
     * was ~45 % of a receiving node's CPU) at the cost of slightly slower warm gets (LIMITS.md,
     * "Storage"); blob garbage collection stays off and {@link #reclaimSpace()} reclaims the
     * space of removed blocks. Only the {@code blocks} family is affected; the choice may change
     * between opens (values already written stay where they are until compaction moves them).
     */
    public Builder blobFiles(boolean enable) {
      this.blobFiles = enable;
      return this;
    }

    /**
     * Whether new block values go to per-segment value files (default true) instead of the
     * {@code blocks} family (inline or in blob files, {@link #blobFiles}): each value is written
     * once, into the page cache, and RocksDB keeps only a CRC32C and length per block (class
     * docs, "Value files"). Values already stored stay where they are and read either way, so the
     * choice may change between opens.
     */
    public Builder valueFiles(boolean enable) {
      this.valueFiles = enable;
      return this;
    }

    /** Value files kept open at most (default {@value ValueFiles#DEFAULT_OPEN_FILES}). */
    public Builder openValueFiles(int files) {
      if (files < 1) {
        throw new IllegalArgumentException("open value files " + files + " must be at least 1");
      }
      this.openValueFiles = files;
      return this;
    }

    /**
     * Blob garbage below which {@link #reclaimSpace()} rewrites nothing (default
     * {@link #DEFAULT_RECLAIM_MIN_GARBAGE_BYTES}); see {@link BlobReclaimPolicy}.
     */
    public Builder reclaimMinGarbageBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("reclaim threshold " + bytes + " bytes is negative");
      }
      this.reclaimMinGarbageBytes = bytes;
      return this;
    }

    /**
     * How long after segments are removed (evicted or {@code removeSegment}) the background
     * reclaim runs (default {@link #DEFAULT_RECLAIM_DELAY}); removals within the delay share one
     * run.
     */
    public Builder reclaimDelay(java.time.Duration delay) {
      if (delay.isNegative()) {
        throw new IllegalArgumentException("reclaim delay " + delay + " is negative");
      }
      this.reclaimDelay = delay;
      return this;
    }

    /**
     * Whether damage is repaired instead of reported (default false: nothing is moved or
     * deleted). See the class docs, "Damage". A node sets it.
     */
    public Builder recoverDamage(boolean recover) {
      this.recoverDamage = recover;
      return this;
    }

    /** How long an incomplete segment counts as being written after its last put (see ChunkStore). */
    public Builder writeWindow(java.time.Duration window) {
      if (window.isNegative()) {
        throw new IllegalArgumentException("write window " + window + " is negative");
      }
      this.writeWindow = window;
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
    this.directory = b.directory.toAbsolutePath();
    this.settings = b;
    this.reclaimer = new BlobReclaimer(this, new BlobReclaimPolicy(b.reclaimMinGarbageBytes), b.reclaimDelay);
    this.values = new ValueFiles(directory, b.openValueFiles, b.syncWrites);
    this.engine = new StoreEngine("chunk store " + directory, b.clock,
        new BlockSealer(b.random != null ? b.random : new SecureRandom()),
        new CapacityLedger(b.capacity.orElse(DEFAULT_CAPACITY_BYTES), b.writeWindow, b.clock), storage);
    try {
      if (!b.createIfMissing && !Files.exists(directory.resolve("CURRENT"))) {
        throw new ChunkStoreException("no chunk store in " + directory);
      }
      createOwnerOnly(directory);
      RocksNativeLibrary.load(); // one cached copy, not one per start in java.io.tmpdir
      boolean repair = b.recoverDamage && Files.exists(directory.resolve(REPAIR_MARKER));
      String rebuilt = null;
      try {
        openDatabase(repair, false);
      } catch (ChunkStoreException e) {
        if (!b.recoverDamage || !(e.getCause() instanceof RocksDBException re) || !isDamage(re)) {
          throw e;
        }
        LOG.warn("{}; trying again with damaged log records skipped", e.getMessage());
        writeMarker();
        repair = true;
        try {
          openDatabase(true, true);
        } catch (ChunkStoreException again) {
          rebuilt = moveAside(again);
          openDatabase(false, false);
        }
      }
      try {
        if (repair) {
          rebuildWithoutDamage();
          load(b.capacity, true);
          finishRepair();
        } else {
          load(b.capacity, b.recoverDamage);
        }
        deleteOrphanValueFiles();
      } catch (RuntimeException e) {
        reclaimer.stop(); // an eviction at open may have scheduled one; the database goes now
        values.close();
        closeDatabase();
        throw e;
      }
      if (rebuilt != null) {
        reportHealth(StoreHealth.degraded("the damaged store could not be opened and was moved to " + rebuilt
            + "; this store was rebuilt empty"));
      }
    } catch (RuntimeException e) {
      b.tuner.close();
      throw e;
    }
  }

  /** Opens RocksDB and takes the family handles; {@code salvage} skips damaged WAL records. */
  private void openDatabase(boolean noAutoCompaction, boolean salvage) {
    RocksOptions opts = new RocksOptions(FAMILIES, BLOCKS, settings.blockCacheBytes, settings.syncWrites,
        settings.createIfMissing, noAutoCompaction, settings.blobFiles,
        settings.recoverDamage ? new DamageListener() : null,
        new RocksOptions.Tuner() {
          @Override
          public void tuneDatabase(org.rocksdb.DBOptions o) {
            settings.tuner.tuneDatabase(o);
          }

          @Override
          public void tuneColumnFamily(String name, org.rocksdb.ColumnFamilyOptions o) {
            settings.tuner.tuneColumnFamily(name, o);
          }
        });
    if (salvage) {
      opts.database().setWalRecoveryMode(org.rocksdb.WALRecoveryMode.SkipAnyCorruptedRecords).setParanoidChecks(false);
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
    tightenPermissions();
  }

  @Override
  public SideTable sideTable() {
    return sideTable;
  }

  /** Runs {@code body} under the store's close guard (for {@link RocksSideTable}). */
  <T> T whileOpen(java.util.function.Supplier<T> body) {
    return engine.whileOpen(body);
  }

  private <T> T guarded(java.util.function.Supplier<T> body) {
    return engine.whileOpen(body);
  }

  /** How messages name this store. */
  public String name() {
    return engine.name();
  }

  /** True until {@link #close()}. */
  public boolean isOpen() {
    return engine.isOpen();
  }

  private Clock clock() {
    return settings.clock;
  }

  private void reportHealth(StoreHealth h) {
    engine.reportHealth(h);
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
   * {@code rocksdb.total-sst-files-size}, {@code rocksdb.estimate-live-data-size}, and for block
   * values in blob files {@code rocksdb.live-blob-file-size} and
   * {@code rocksdb.live-blob-file-garbage-size}); empty when RocksDB does not know it. For
   * metrics binders.
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
   * Reclaims the blob-file space of removed blocks now, in the calling thread (the store also
   * does it by itself, {@link Builder#reclaimDelay} after segments are removed): compacts the
   * block keys, then rewrites the oldest blob files if enough of them is garbage
   * ({@link BlobReclaimPolicy}). Waits for a reclaim in progress; does nothing (and says so) for
   * a store with inline values.
   *
   * @throws StoreClosedException when the store is closed
   * @throws ChunkStoreException when RocksDB fails (damage starts a repair, as for any call)
   */
  public BlobSpaceReclaim reclaimSpace() {
    return reclaimer.reclaimNow();
  }

  boolean blobFiles() {
    return settings.blobFiles;
  }

  /**
   * Bytes in the value files: the sum of their lengths (slots of blocks not held are holes, so
   * the space they take on disk can be less). With the RocksDB properties above, the store's size
   * on disk; for {@code peerdist cache stats} and metrics.
   */
  public long valueFileBytes() {
    return guarded(() -> {
      Path root = directory.resolve(ValueFiles.DIRECTORY);
      if (!Files.isDirectory(root)) {
        return 0L;
      }
      try (java.util.stream.Stream<Path> all = Files.walk(root)) {
        return all.filter(Files::isRegularFile).mapToLong(p -> {
          try {
            return Files.size(p);
          } catch (IOException e) {
            return 0; // removed meanwhile
          }
        }).sum();
      } catch (IOException | java.io.UncheckedIOException e) {
        throw new ChunkStoreException(name() + ": cannot list its value files: " + e, e);
      }
    });
  }

  /** Value file channels open now (tests: the bound holds). */
  int openValueChannels() {
    return values.openChannels();
  }

  /** The current database; only under the close guard ({@link #whileOpen}). */
  RocksDB database() {
    return db;
  }

  /** The current {@code blocks} family; only under the close guard ({@link #whileOpen}). */
  ColumnFamilyHandle blocksFamily() {
    return blocks;
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

  /**
   * Compacts every family now (maintenance; also how tests make RocksDB read every stored byte).
   *
   * @throws ChunkStoreException when compaction fails, e.g. on damaged data (a repair then starts
   *     when damage recovery is on)
   */
  public void compact() {
    guarded(() -> {
      // Force rewriting the bottommost level too: otherwise a lone file is only moved, unread.
      try (org.rocksdb.CompactRangeOptions o = new org.rocksdb.CompactRangeOptions()
          .setBottommostLevelCompaction(org.rocksdb.CompactRangeOptions.BottommostLevelCompaction.kForce)) {
        for (ColumnFamilyHandle h : handles) {
          db.compactRange(h, null, null, o);
        }
      } catch (RocksDBException e) {
        throw failure("compact", e);
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- open

  /**
   * Reads the index. {@code tolerant}: a record that does not decode, or a bitmap that claims
   * blocks beyond its record, is removed (with the segment's blocks) and counted instead of
   * stopping the open.
   */
  private void load(OptionalLong requestedCapacity, boolean tolerant) {
    byte[] format = get(meta, FORMAT_KEY, "read the format");
    if (format == null || (format.length == 1 && format[0] == FORMAT_EMPTY_PRESENCE)) {
      put(meta, FORMAT_KEY, new byte[] {FORMAT}, "write the format");
    } else if (format.length == 1 && format[0] == FORMAT_BITMAPS) {
      convertBitmaps();
    } else if (format.length != 1 || (format[0] != FORMAT && format[0] != FORMAT_PACKED_VALUES)) {
      throw new ChunkStoreException(name() + " has format " + HexFormat.of().formatHex(format)
          + ", this peerdist reads formats " + FORMAT_PACKED_VALUES + " and " + FORMAT + "; nothing was changed");
    }
    // Before any value is read or written (a format-3 store keeps its packed value files).
    values.layout(format != null && format.length == 1 && format[0] == FORMAT_PACKED_VALUES
        ? ValueFiles.Layout.PACKED : ValueFiles.Layout.ALIGNED);
    Map<SegmentId, BitSet> present = readPresence();
    Set<SegmentId> pinned = new HashSet<>();
    forEach(pins, "read pins", (k, v) -> pinned.add(KeyCodec.segmentOf(k)));
    Map<SegmentId, long[]> recency = new HashMap<>();
    forEach(access, "read access times", (k, v) -> {
      if (v.length == 16) {
        ByteBuffer bb = ByteBuffer.wrap(v);
        recency.put(KeyCodec.segmentOf(k), new long[] {bb.getLong(0), bb.getLong(8)});
      }
    });
    List<byte[]> damaged = new ArrayList<>();
    forEach(segments, "read segment records", (k, v) -> {
      SegmentId id;
      SegmentRecord r;
      try {
        id = KeyCodec.segmentOf(k);
      } catch (IllegalArgumentException e) {
        if (tolerant) {
          damaged.add(k.clone());
          return;
        }
        throw new ChunkStoreException(name() + " is damaged: a record key " + HexFormat.of().formatHex(k)
            + " does not decode (" + e.getMessage() + "); nothing was changed", e);
      }
      try {
        r = SegmentRecordCodec.decode(v);
      } catch (IllegalArgumentException e) {
        if (tolerant) {
          damaged.add(k.clone());
          return;
        }
        throw new ChunkStoreException(name() + " is damaged: the record of segment " + id
            + " does not decode (" + e.getMessage() + "); nothing was changed", e);
      }
      if (!r.id().equals(id)) {
        if (tolerant) {
          damaged.add(k.clone());
          return;
        }
        throw new ChunkStoreException(name() + " is damaged: the record stored under segment " + id
            + " belongs to " + r.id() + "; nothing was changed");
      }
      BitSet bits = present.getOrDefault(id, new BitSet());
      if (bits.length() > r.blockCount()) {
        if (tolerant) {
          damaged.add(k.clone());
          return;
        }
        throw new ChunkStoreException(name() + " is damaged: segment " + id + " claims block "
            + (bits.length() - 1) + " of " + r.blockCount() + "; nothing was changed");
      }
      long[] t = recency.getOrDefault(id, new long[] {0, 0});
      engine.restoreSegment(r, bits, pinned.contains(id), t[0], t[1]);
    });
    for (byte[] k : damaged) {
      dropDamagedSegment(k);
    }
    if (!damaged.isEmpty()) {
      reportHealth(StoreHealth.degraded(damaged.size() + " damaged segment record" + (damaged.size() == 1 ? "" : "s")
          + " removed at open"));
    }
    byte[] cap = get(meta, CAPACITY_KEY, "read the capacity");
    if (cap != null && cap.length == 8) {
      engine.restoreCapacity(ByteBuffer.wrap(cap).getLong());
    }
    if (requestedCapacity.isPresent()) {
      if (cap == null || ByteBuffer.wrap(cap).getLong() != requestedCapacity.getAsLong()) {
        engine.setCapacity(requestedCapacity.getAsLong());
      }
    } else if (cap == null) {
      engine.persistCapacity();
    }
  }

  /**
   * Removes value files of segments the index does not know: a kill between removing a
   * segment's entries and its file, or a record dropped as damaged, leaves them behind.
   */
  private void deleteOrphanValueFiles() {
    Set<SegmentId> known = new HashSet<>(engine.segmentIdsUnguarded());
    try {
      int n = values.deleteOrphans(known::contains);
      if (n > 0) {
        LOG.info("{}: removed {} value file{} of segments no longer in the index", name(), n, n == 1 ? "" : "s");
      }
    } catch (IOException e) {
      LOG.warn("{}: cannot remove orphan value files: {}", name(), e.toString());
    }
  }

  /** Held blocks per segment, from the {@code presence} family (one block key per held block). */
  private Map<SegmentId, BitSet> readPresence() {
    Map<SegmentId, BitSet> present = new HashMap<>();
    forEach(presence, "read the held blocks",
        (k, v) -> present.computeIfAbsent(KeyCodec.segmentOfBlock(k), x -> new BitSet()).set(KeyCodec.indexOfBlock(k)));
    return present;
  }

  /**
   * Format 1 to 2: each segment's bitmap becomes one entry per held block, in one atomic batch
   * with the new format byte, so a kill during the conversion leaves format 1 as it was.
   */
  private void convertBitmaps() {
    try (WriteBatch batch = new WriteBatch()) {
      forEach(presence, "read presence bitmaps", (k, v) -> {
        SegmentId id = KeyCodec.segmentOf(k);
        BitSet bits = BitSet.valueOf(v);
        for (int i = bits.nextSetBit(0); i >= 0 && i < Integer.MAX_VALUE; i = bits.nextSetBit(i + 1)) {
          try {
            batch.put(presence, KeyCodec.blockKey(id, i), EMPTY);
          } catch (RocksDBException e) {
            throw failure("convert the presence bitmaps", e);
          }
        }
        try {
          batch.delete(presence, k);
        } catch (RocksDBException e) {
          throw failure("convert the presence bitmaps", e);
        }
      });
      batch.put(meta, FORMAT_KEY, new byte[] {FORMAT});
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("convert the presence bitmaps", e);
    }
    LOG.info("{}: converted the presence bitmaps to format {}", name(), FORMAT);
  }

  /** Removes a segment whose record is unusable: its record, bitmap, pin, recency and blocks. */
  private void dropDamagedSegment(byte[] segmentKey) {
    byte[] end = segmentKey.clone();
    // Block keys are segmentKey || index: the range [segmentKey, segmentKey + 1) holds them all.
    int i = end.length - 1;
    while (i >= 0 && end[i] == (byte) 0xff) {
      end[i--] = 0;
    }
    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(segments, segmentKey);
      batch.delete(pins, segmentKey);
      batch.delete(access, segmentKey);
      if (i >= 0) {
        end[i]++;
        batch.deleteRange(blocks, segmentKey, end);
        batch.deleteRange(presence, segmentKey, end);
      }
      db.write(options.write(), batch);
    } catch (RocksDBException e) {
      throw failure("remove the damaged record " + HexFormat.of().formatHex(segmentKey), e);
    }
    LOG.warn("{}: removed the damaged record {} and its blocks", name(), HexFormat.of().formatHex(segmentKey));
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

  // ---------------------------------------------------------------- damage and repair

  /** Damage seen while running: drop what it cost, and repair in the background. */
  private void damageSeen(String what, RocksDBException e) {
    if (!settings.recoverDamage) {
      return;
    }
    writeMarker();
    reportHealth(StoreHealth.degraded("damage found (" + what + ": " + e.getMessage() + "); repairing"));
    if (repairQueued.compareAndSet(false, true)) {
      Thread t = new Thread(this::repairInPlace, "peerdist-store-repair");
      t.setDaemon(true);
      repairThread = t;
      t.start();
    }
  }

  /** Reopens with compaction off, quarantines damaged files, reconciles the index. */
  private void repairInPlace() {
    try {
      engine.exclusively(() -> {
        closeDatabase();
        try {
          openDatabase(true, false);
        } catch (ChunkStoreException e) {
          openDatabase(true, true);
        }
        java.util.Map<SegmentId, BitSet> before = new java.util.HashMap<>();
        for (SegmentId id : engine.segmentIdsUnguarded()) {
          before.put(id, engine.presentUnguarded(id));
        }
        rebuildWithoutDamage();
        // The index keeps its recency and pins; only blocks the rebuild could not carry leave it.
        Map<SegmentId, BitSet> carried = readPresence();
        for (var e : before.entrySet()) {
          BitSet lost = (BitSet) e.getValue().clone();
          lost.andNot(carried.getOrDefault(e.getKey(), new BitSet()));
          if (!lost.isEmpty()) {
            engine.forgetLostBlocks(e.getKey(), lost);
          }
        }
        finishRepair();
      });
    } catch (RuntimeException e) {
      LOG.error("{}: repair failed: {}", name(), e.getMessage());
      reportHealth(StoreHealth.failed("repair after damage failed: " + e.getMessage()
          + "; restart the node to retry (the store is then rebuilt if it cannot be opened)"));
    } finally {
      repairQueued.set(false);
    }
  }

  /** Waits for a background repair in progress (tests). */
  void awaitRepair() throws InterruptedException {
    Thread t = repairThread;
    if (t != null) {
      t.join();
    }
  }

  /**
   * Rebuilds the database without its damage: checks every live SST file's checksums and copies
   * each damaged one into {@code quarantine/}; then, if any was damaged, copies everything that
   * still reads correctly into a fresh database beside this one (small families entry by entry
   * until damage stops the iteration; blocks one by one, for the blocks the presence entries
   * claim, with presence rewritten to what was carried over), swaps the directories, deletes the old
   * files and reopens. RocksDB cannot remove a damaged level-0 file in place (DeleteFilesInRanges
   * leaves level 0 alone, and compaction stops at the damage), hence the copy.
   */
  private void rebuildWithoutDamage() {
    List<String> damaged = new ArrayList<>();
    for (org.rocksdb.LiveFileMetaData f : db.getLiveFilesMetaData()) {
      Path file = Path.of(f.path()).resolve(f.fileName().replaceFirst("^/", ""));
      String problem = verify(file);
      if (problem != null) {
        Path q = quarantine(file);
        damaged.add(file.getFileName() + " (" + new String(f.columnFamilyName(), StandardCharsets.UTF_8) + ")");
        LOG.warn("{}: {} is damaged ({}); copied to {}", name(), file.getFileName(), problem, q);
      }
    }
    Path fresh = directory.resolveSibling(directory.getFileName() + ".rebuild");
    deleteTree(fresh);
    long carried = 0;
    long lost = 0;
    try (org.rocksdb.Options o = new org.rocksdb.Options().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        org.rocksdb.ColumnFamilyOptions cfo = new org.rocksdb.ColumnFamilyOptions()
            .setCompressionType(org.rocksdb.CompressionType.NO_COMPRESSION);
        // Block values go where the store keeps them, so the copy is not rewritten later.
        org.rocksdb.ColumnFamilyOptions blockOptions = new org.rocksdb.ColumnFamilyOptions()
            .setCompressionType(org.rocksdb.CompressionType.NO_COMPRESSION);
        org.rocksdb.DBOptions dbo = new org.rocksdb.DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        org.rocksdb.WriteOptions wo = new org.rocksdb.WriteOptions()) {
      if (settings.blobFiles) {
        RocksOptions.valuesInBlobFiles(blockOptions);
      }
      List<ColumnFamilyDescriptor> ds = new ArrayList<>();
      for (String name : FAMILIES) {
        ds.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), name.equals(BLOCKS) ? blockOptions : cfo));
      }
      List<ColumnFamilyHandle> nh = new ArrayList<>();
      createOwnerOnly(fresh);
      try (RocksDB out = RocksDB.open(dbo, fresh.toString(), ds, nh)) {
        try {
          for (int f = 0; f < FAMILIES.size(); f++) {
            String fam = FAMILIES.get(f);
            if (fam.equals(BLOCKS) || fam.equals(PRESENCE)) {
              continue;
            }
            copyReadable(handles.get(f), out, nh.get(f), wo);
          }
          // Blocks: only those the presence family claims and that read back; the presence
          // entries written say what was carried. A store still in format 1 (a repair at open
          // runs before the conversion) keeps its per-segment bitmaps, rewritten.
          Map<byte[], byte[]> claims = new java.util.LinkedHashMap<>();
          try (RocksIterator it = db.newIterator(presence)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
              claims.put(it.key(), it.value());
            }
          }
          ColumnFamilyHandle outBlocks = nh.get(FAMILIES.indexOf(BLOCKS));
          ColumnFamilyHandle outPresence = nh.get(FAMILIES.indexOf(PRESENCE));
          for (var e : claims.entrySet()) {
            byte[] k = e.getKey();
            boolean bitmap = k.length > 0 && (k[0] & 0xFF) == k.length - 1;
            SegmentId id;
            BitSet claimed;
            try {
              id = bitmap ? KeyCodec.segmentOf(k) : KeyCodec.segmentOfBlock(k);
              claimed = bitmap ? BitSet.valueOf(e.getValue()) : new BitSet();
              if (!bitmap) {
                claimed.set(KeyCodec.indexOfBlock(k));
              }
            } catch (IllegalArgumentException bad) {
              continue;
            }
            if (!bitmap && e.getValue().length > 0) {
              // In a value file, which the damage did not touch: the entry carries over as it is
              // (a read still checks the value against it).
              out.put(outPresence, wo, k, e.getValue());
              carried++;
              continue;
            }
            BitSet kept = new BitSet();
            for (int i = claimed.nextSetBit(0); i >= 0 && i < Integer.MAX_VALUE; i = claimed.nextSetBit(i + 1)) {
              byte[] key = KeyCodec.blockKey(id, i);
              byte[] v;
              try {
                v = db.get(blocks, options.read(), key);
              } catch (RocksDBException damage) {
                v = null;
              }
              if (v != null) {
                out.put(outBlocks, wo, key, v);
                kept.set(i);
                carried++;
              } else {
                lost++;
              }
            }
            if (bitmap) {
              out.put(outPresence, wo, k, kept.toByteArray());
            } else if (!kept.isEmpty()) {
              out.put(outPresence, wo, k, EMPTY);
            }
          }
          out.flushWal(true);
        } finally {
          for (ColumnFamilyHandle h : nh) {
            h.close();
          }
        }
      }
    } catch (RocksDBException e) {
      deleteTree(fresh);
      throw failure("rebuild the store without its damaged files", e);
    }
    // Swap: the fresh copy becomes the store; the old files go (the damaged ones are quarantined).
    closeDatabase();
    try (java.util.stream.Stream<Path> old = Files.list(directory)) {
      for (Path p : old.toList()) {
        String n = p.getFileName().toString();
        if (!n.equals("quarantine") && !n.equals(REPAIR_MARKER) && !n.equals(ValueFiles.DIRECTORY)) {
          deleteTree(p);
        }
      }
      try (java.util.stream.Stream<Path> copied = Files.list(fresh)) {
        for (Path p : copied.toList()) {
          Files.move(p, directory.resolve(p.getFileName()));
        }
      }
      Files.delete(fresh);
    } catch (IOException e) {
      throw new ChunkStoreException(name() + ": cannot swap in the rebuilt store from " + fresh + ": " + e, e);
    }
    openDatabase(true, false);
    LOG.warn("{}: rebuilt without damage: {} blocks carried over, {} lost; damaged files: {}", name(), carried, lost,
        damaged.isEmpty() ? "none found" : String.join(", ", damaged));
    if (!damaged.isEmpty() || lost > 0) {
      quarantinedFiles.addAndGet(damaged.size());
      reportHealth(StoreHealth.degraded("repaired after damage: " + damaged.size() + " damaged file"
          + (damaged.size() == 1 ? "" : "s") + " quarantined in " + directory.resolve("quarantine") + ", "
          + lost + " block" + (lost == 1 ? "" : "s") + " lost"));
    }
  }

  /** Copies the entries of one family until the end or until damage stops the iteration. */
  private void copyReadable(ColumnFamilyHandle from, RocksDB out, ColumnFamilyHandle to, org.rocksdb.WriteOptions wo)
      throws RocksDBException {
    try (RocksIterator it = db.newIterator(from)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(to, wo, it.key(), it.value());
      }
      try {
        it.status();
      } catch (RocksDBException damage) {
        LOG.warn("{}: a family lost entries to damage: {}", name(), damage.getMessage());
      }
    }
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (java.util.stream.Stream<Path> all = Files.walk(p)) {
      for (Path x : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    } catch (IOException e) {
      throw new ChunkStoreException("cannot delete " + p + ": " + e, e);
    }
  }

  private static String verify(Path sst) {
    try (org.rocksdb.Options o = new org.rocksdb.Options();
        org.rocksdb.SstFileReader r = new org.rocksdb.SstFileReader(o)) {
      r.open(sst.toString());
      r.verifyChecksum();
      return null;
    } catch (RocksDBException e) {
      return String.valueOf(e.getMessage());
    }
  }

  private Path quarantine(Path file) {
    try {
      Path qdir = directory.resolve("quarantine");
      createOwnerOnly(qdir);
      Path q = qdir.resolve(clock().millis() + "-" + file.getFileName());
      Files.copy(file, q);
      setOwnerOnly(q, false);
      return q;
    } catch (IOException e) {
      return Path.of("(not copied: " + e.getMessage() + ")");
    }
  }

  /** Turns compaction back on and removes the marker. */
  private void finishRepair() {
    org.rocksdb.MutableColumnFamilyOptions on =
        org.rocksdb.MutableColumnFamilyOptions.builder().setDisableAutoCompactions(false).build();
    try {
      for (ColumnFamilyHandle h : handles) {
        db.setOptions(h, on);
      }
    } catch (RocksDBException e) {
      throw failure("turn compaction back on", e);
    }
    try {
      Files.deleteIfExists(directory.resolve(REPAIR_MARKER));
    } catch (IOException e) {
      LOG.warn("{}: cannot remove {}: {}", name(), REPAIR_MARKER, e.toString());
    }
    StoreHealth h = health();
    LOG.warn("{}: repaired; {}", name(), h);
  }

  private void writeMarker() {
    try {
      Path m = directory.resolve(REPAIR_MARKER);
      if (!Files.exists(m)) {
        Files.writeString(m, "a repair is due: damage was found at " + java.time.Instant.now() + "\n");
        setOwnerOnly(m, false);
      }
    } catch (IOException e) {
      LOG.warn("{}: cannot write {}: {}", name(), REPAIR_MARKER, e.toString());
    }
  }

  /** Moves a store that cannot be opened to DIR.damaged-TIMESTAMP; returns where. */
  private String moveAside(ChunkStoreException why) {
    Path aside = directory.resolveSibling(directory.getFileName() + ".damaged-" + clock().millis());
    try {
      Files.move(directory, aside);
      createOwnerOnly(directory);
    } catch (IOException e) {
      throw new ChunkStoreException(why.getMessage() + "; moving it aside to " + aside + " failed too: " + e, why);
    }
    LOG.error("{} could not be opened ({}); moved it to {} and created an empty store", name(), why.getMessage(),
        aside);
    return aside.toString();
  }

  /** Tells the store about RocksDB background errors (a compaction that hit damage, a full disk). */
  private final class DamageListener extends org.rocksdb.AbstractEventListener {
    DamageListener() {
      super(EnabledEventCallback.ON_BACKGROUND_ERROR);
    }

    @Override
    public void onBackgroundError(org.rocksdb.BackgroundErrorReason reason, Status status) {
      Status.Code code = status == null ? null : status.getCode();
      String m = status == null ? "" : status.getCodeString() + " " + status.getState();
      if (code == Status.Code.Corruption) {
        damageSeen("background " + reason, new RocksDBException(m, status));
      } else if (isNoSpace(m, status)) {
        reportHealth(StoreHealth.degraded("disk full (" + m + "); puts are refused until space is free"));
      }
    }
  }

  private static boolean isDamage(RocksDBException e) {
    Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
    String m = String.valueOf(e.getMessage());
    return code == Status.Code.Corruption || m.contains("Corruption") || m.contains("orrupt")
        || m.contains("checksum mismatch") || m.contains("bad magic number") || m.contains("truncated");
  }

  private static boolean isNoSpace(String m, Status st) {
    return m.contains("No space left") || m.contains("NoSpace")
        || (st != null && st.getSubCode() == Status.SubCode.NoSpace);
  }

  // ---------------------------------------------------------------- permissions

  private static void createOwnerOnly(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
      }
      setOwnerOnly(dir, true);
    } catch (IOException e) {
      throw new ChunkStoreException("cannot create chunk store directory " + dir + ": " + e, e);
    }
  }

  private static void setOwnerOnly(Path p, boolean directory) {
    try {
      Files.setPosixFilePermissions(p, directory ? OWNER_DIR : OWNER_FILE);
    } catch (IOException | UnsupportedOperationException e) {
      // Not POSIX, or not ours: the directory's own mode still guards the files.
    }
  }

  /** RocksDB creates files with the process umask (usually 0644): segment secrets are inside. */
  private void tightenPermissions() {
    try (java.util.stream.Stream<Path> files = Files.list(directory)) {
      files.filter(Files::isRegularFile).forEach(f -> setOwnerOnly(f, false));
    } catch (IOException e) {
      LOG.debug("cannot list {}: {}", directory, e.toString());
    }
  }

  // ---------------------------------------------------------------- ChunkStore (the engine's rules)

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
    reclaimer.stop();
    engine.close();
  }

  // ---------------------------------------------------------------- storage

  /**
   * The {@link BlockStorage} on this store's database (whichever handles are current: a repair
   * swaps them with no call in progress). A block's value and its presence entry go in one
   * {@link WriteBatch}; no two blocks share an entry, so puts of one segment need not wait for
   * each other, and RocksDB joins concurrent writers into one WAL write.
   */
  private final class RocksBlockStorage implements BlockStorage {
    @Override
    public void writeRecord(SegmentRecord record, byte[] encoded, Recency first) {
      byte[] key = KeyCodec.segmentKey(record.id());
      try (WriteBatch batch = new WriteBatch()) {
        batch.put(segments, key, encoded);
        batch.put(access, key, accessValue(first.tick(), first.millis()));
        db.write(options.write(), batch);
      } catch (RocksDBException e) {
        throw failure("store the record of segment " + record.id(), e);
      }
    }

    @Override
    public void writeBlock(SegmentId id, int index, byte[] storedValue) {
      byte[] key = KeyCodec.blockKey(id, index);
      if (settings.valueFiles) {
        // The value first, then its entry: a kill between the two leaves bytes no entry points
        // to, never an entry without its bytes (and a power cut that loses the bytes but keeps
        // the entry fails the entry's CRC when read).
        try {
          values.write(id, index, storedValue, settings.syncWrites);
        } catch (IOException e) {
          throw valueFileFailure("store block " + index + " of segment " + id, e);
        }
        try (WriteBatch batch = new WriteBatch()) {
          batch.put(presence, key, ValueFiles.entry(storedValue));
          db.write(options.write(), batch);
        } catch (RocksDBException e) {
          throw failure("store block " + index + " of segment " + id, e);
        }
        return;
      }
      try (WriteBatch batch = new WriteBatch()) {
        batch.put(blocks, key, storedValue);
        batch.put(presence, key, EMPTY);
        db.write(options.write(), batch);
      } catch (RocksDBException e) {
        throw failure("store block " + index + " of segment " + id, e);
      }
    }

    @Override
    public byte[] readBlock(SegmentId id, int index) {
      byte[] key = KeyCodec.blockKey(id, index);
      try {
        byte[] entry = db.get(presence, options.read(), key);
        if (entry == null) {
          return null;
        }
        if (entry.length > 0) {
          return values.read(id, index, entry);
        }
        // Empty: written by format 2 or with value files off, the value is in the blocks family.
        return db.get(blocks, options.read(), key);
      } catch (CorruptBlockException e) {
        throw new CorruptBlockException(name() + ": " + e.getMessage(), e);
      } catch (IOException e) {
        throw valueFileFailure("read block " + index + " of segment " + id, e);
      } catch (RocksDBException e) {
        if (isDamage(e)) {
          damageSeen("reading block " + index + " of segment " + id, e);
          throw new CorruptBlockException(name() + ": block " + index + " of segment " + id + " is damaged: "
              + e.getMessage(), e);
        }
        throw failure("read block " + index + " of segment " + id, e);
      }
    }

    @Override
    public void deleteBlock(SegmentId id, int index) {
      byte[] key = KeyCodec.blockKey(id, index);
      try (WriteBatch batch = new WriteBatch()) {
        batch.delete(blocks, key);
        batch.delete(presence, key);
        db.write(options.write(), batch);
      } catch (RocksDBException e) {
        throw failure("drop block " + index + " of segment " + id, e);
      }
    }

    @Override
    public void deleteSegment(SegmentId id, BitSet present) {
      byte[] key = KeyCodec.segmentKey(id);
      try (WriteBatch batch = new WriteBatch()) {
        for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
          byte[] bk = KeyCodec.blockKey(id, i);
          batch.delete(blocks, bk);
          batch.delete(presence, bk);
        }
        batch.delete(segments, key);
        batch.delete(pins, key);
        batch.delete(access, key);
        db.write(options.write(), batch);
      } catch (RocksDBException e) {
        throw failure("remove segment " + id, e);
      }
      // After the entries: a kill in between leaves an orphan file, removed at the next open.
      try {
        values.delete(id);
      } catch (IOException e) {
        LOG.warn("{}: cannot delete the value file of segment {} (removed at the next open): {}", name(), id,
            e.toString());
      }
      reclaimer.segmentsRemoved();
    }

    @Override
    public void writePin(SegmentId id, boolean pinned) {
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
    public void writeCapacity(long capacityBytes) {
      put(meta, CAPACITY_KEY, ByteBuffer.allocate(8).putLong(capacityBytes).array(), "store the capacity");
    }

    @Override
    public void writeRecency(List<Recency> updates) {
      try (WriteBatch batch = new WriteBatch()) {
        for (Recency u : updates) {
          batch.put(access, KeyCodec.segmentKey(u.id()), accessValue(u.tick(), u.millis()));
        }
        db.write(options.write(), batch);
      } catch (RocksDBException e) {
        throw failure("store access times", e);
      }
    }

    @Override
    public void close() {
      try {
        values.close();
        closeDatabase();
      } finally {
        // The tuner outlives repairs (which reopen the database); it goes with the store.
        settings.tuner.close();
      }
    }
  }

  private void closeDatabase() {
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
    String m = String.valueOf(e.getMessage());
    if (isNoSpace(m, e.getStatus())) {
      reportHealth(StoreHealth.degraded("disk full (" + m + "); puts are refused until space is free"));
      return new DiskFullException(name() + ": cannot " + what + ": disk full (" + m + "); nothing was stored", e);
    }
    if (isDamage(e)) {
      damageSeen(what, e);
      return new StoreFullException(name() + ": cannot " + what + " while the store repairs damage (" + m
          + "); nothing was stored", e);
    }
    return new ChunkStoreException(name() + ": cannot " + what + ": " + m, e);
  }

  /** A value file failure as this store's exception; a full disk is a {@link DiskFullException}. */
  private ChunkStoreException valueFileFailure(String what, IOException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("No space left") || m.contains("Disk quota exceeded")) {
      reportHealth(StoreHealth.degraded("disk full (" + m + "); puts are refused until space is free"));
      return new DiskFullException(name() + ": cannot " + what + " in its value file: disk full (" + m
          + "); nothing was stored", e);
    }
    return new ChunkStoreException(name() + ": cannot " + what + " in its value file: " + e, e);
  }

  private static ChunkStoreException openFailure(Path dir, RocksDBException e) {
    String m = String.valueOf(e.getMessage());
    Status.Code code = e.getStatus() == null ? null : e.getStatus().getCode();
    // Damage first: a corrupt WAL names "blocks" and other words that contain "lock".
    if (isDamage(e)) {
      return new ChunkStoreException("chunk store " + dir + " is damaged and was not opened (" + m
          + "); nothing was deleted: restore the directory from a backup or move it aside", e);
    }
    // RocksDB says "While lock file: DIR/LOCK: Resource temporarily unavailable".
    if (code == Status.Code.Busy || m.contains("lock file") || m.contains("/LOCK:")
        || m.contains("LOCK: Resource temporarily unavailable")) {
      return new ChunkStoreException("chunk store " + dir
          + " is already open in another process (its LOCK file is held): " + m, e);
    }
    if (isNoSpace(m, e.getStatus())) {
      return new DiskFullException("cannot open chunk store " + dir + ": disk full (" + m + ")", e);
    }
    return new ChunkStoreException("cannot open chunk store " + dir + ": " + m, e);
  }


}
