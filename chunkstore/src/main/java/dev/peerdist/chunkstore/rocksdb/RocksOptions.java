package dev.peerdist.chunkstore.rocksdb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileManager;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * Owns every native option object of one {@link RocksChunkStore} and closes them, in reverse
 * order of creation, after the database itself is closed.
 *
 * <p>Defaults and why:
 *
 * <table>
 *   <caption>RocksDB settings</caption>
 *   <tr><th>setting</th><th>value</th><th>why</th></tr>
 *   <tr><td>compression</td><td>none, every family</td><td>blocks are mostly compressed
 *       packages already; compression only costs CPU (LIMITS.md, "Storage")</td></tr>
 *   <tr><td>block cache</td><td>{@code blockCacheBytes} (16 MiB), shared by all families, holding
 *       index and filter blocks too</td><td>the OS page cache does most of the caching for 64 KiB
 *       values; charging index blocks to the cache bounds table-reader memory (docs/STORE.md,
 *       "Memory")</td></tr>
 *   <tr><td>memtables</td><td>{@code blocks}: 2 × 16 MiB; small families: 2 × 1 MiB; all together
 *       at most 40 MiB ({@code db_write_buffer_size})</td><td>bounds write memory; an idle
 *       store's memtables are small</td></tr>
 *   <tr><td>WAL size</td><td>at most 64 MiB in total ({@code max_total_wal_size})</td><td>the
 *       small families (presence, access) take a write with every block but rarely fill a
 *       memtable; without a limit they keep every WAL file alive, and the next open after a
 *       crash replays (and rewrites) everything written since — 17–23 s for 200 MiB (issue 11).
 *       With it, families holding old WAL files are flushed, so replay is bounded</td></tr>
 *   <tr><td>open files</td><td>256</td><td>bounds table readers (and descriptors)</td></tr>
 *   <tr><td>SST file manager</td><td>on</td><td>lets RocksDB resume writing by itself after the
 *       disk was full and space came back</td></tr>
 *   <tr><td>WAL</td><td>on; {@code sync} per write only when asked</td><td>see
 *       {@link RocksChunkStore} on durability</td></tr>
 *   <tr><td>WAL recovery</td><td>point in time</td><td>after a crash the store is a consistent
 *       prefix of the acknowledged writes</td></tr>
 *   <tr><td>mmap reads</td><td>off</td><td>cold reads fell to ~48 MB/s with them (LIMITS.md)</td></tr>
 *   <tr><td>blob files</td><td>{@code blocks} only, unless the store is opened inline: values of
 *       at least {@value #MIN_BLOB_SIZE} bytes in blob files of at most {@value #BLOB_FILE_SIZE}
 *       bytes; blob garbage collection <b>off</b></td><td>leveled compaction otherwise rewrites
 *       every 64 KiB value again and again (hash-prefixed keys: each flush overlaps the whole key
 *       range; ~45 % of a receiving node's CPU, issue 12). With garbage collection on, ordinary
 *       compactions keep relocating the oldest live blobs and save nothing; space is reclaimed
 *       by {@link RocksChunkStore#reclaimSpace()} instead, which turns it on for one bounded
 *       compaction. A flush writes its own blob file (16 MiB memtable), so the file size
 *       mostly bounds what one relocation writes per file</td></tr>
 * </table>
 *
 * <p>A {@link Tuner} may change anything after the defaults are applied (HOUSE-STYLE 11); what it
 * creates natively it must release in {@link Tuner#close()}.
 */
public final class RocksOptions implements AutoCloseable {
  /** A hook to adjust the native options before the database opens. */
  public interface Tuner extends AutoCloseable {
    /** Adjusts database-wide options. */
    default void tuneDatabase(DBOptions options) {}

    /** Adjusts the options of one column family (see {@link RocksChunkStore} for the names). */
    default void tuneColumnFamily(String name, ColumnFamilyOptions options) {}

    /** Releases whatever native objects the tuner created; called after the database closes. */
    @Override
    default void close() {}
  }

  /** Memtable size of the {@code blocks} family. */
  static final long BLOCKS_WRITE_BUFFER = 16L << 20;
  /** Memtable size of each small family. */
  static final long SMALL_WRITE_BUFFER = 1L << 20;
  /** Memory of all memtables together. */
  static final long DB_WRITE_BUFFER = 40L << 20;
  /** Total WAL size after which the families holding the oldest WAL are flushed. */
  static final long MAX_TOTAL_WAL = 64L << 20;
  /** Values at least this long go to blob files (every block but tiny V2 segments). */
  static final long MIN_BLOB_SIZE = 4096;
  /** Blob files are cut at this size: the unit of space reclaim. */
  static final long BLOB_FILE_SIZE = 16L << 20;
  /** Open table files (table readers) at most. */
  static final int MAX_OPEN_FILES = 256;

  private final LRUCache blockCache;
  private final DBOptions dbOptions;
  private final Map<String, ColumnFamilyOptions> families = new LinkedHashMap<>();
  private final WriteOptions writeOptions;
  private final ReadOptions readOptions;
  private final Tuner tuner;
  private final List<AutoCloseable> created = new ArrayList<>();

  /**
   * @param bulkFamily the family of block values (larger memtables)
   * @param noAutoCompaction open with automatic compaction off (a repair opens so, to remove
   *     damaged files before a compaction trips over them)
   * @param blobFiles whether the bulk family keeps its values in blob files (without garbage
   *     collection)
   * @param listener told of background errors, or null
   */
  RocksOptions(List<String> familyNames, String bulkFamily, long blockCacheBytes, boolean syncWrites,
      boolean createIfMissing, boolean noAutoCompaction, boolean blobFiles, AbstractEventListener listener,
      Tuner tuner) {
    this.tuner = tuner;
    blockCache = keep(new LRUCache(blockCacheBytes));
    dbOptions = keep(new DBOptions());
    dbOptions.setCreateIfMissing(createIfMissing)
        .setCreateMissingColumnFamilies(true)
        .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
        .setParanoidChecks(true)
        .setAllowMmapReads(false)
        .setMaxBackgroundJobs(2)
        .setKeepLogFileNum(3)
        .setMaxTotalWalSize(MAX_TOTAL_WAL)
        .setDbWriteBufferSize(DB_WRITE_BUFFER)
        .setMaxOpenFiles(MAX_OPEN_FILES)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
    try {
      dbOptions.setSstFileManager(keep(new SstFileManager(Env.getDefault())));
    } catch (RocksDBException e) {
      // Without it RocksDB does not resume by itself after a full disk; the store still works.
    }
    if (listener != null) {
      dbOptions.setListeners(List.of(listener));
    }
    tuner.tuneDatabase(dbOptions);
    for (String name : familyNames) {
      BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(blockCache)
          .setCacheIndexAndFilterBlocks(true)
          .setPinL0FilterAndIndexBlocksInCache(true);
      ColumnFamilyOptions cf = keep(new ColumnFamilyOptions());
      cf.setCompressionType(CompressionType.NO_COMPRESSION)
          .setBottommostCompressionType(CompressionType.NO_COMPRESSION)
          .setWriteBufferSize(name.equals(bulkFamily) ? BLOCKS_WRITE_BUFFER : SMALL_WRITE_BUFFER)
          .setMaxWriteBufferNumber(2)
          .setDisableAutoCompactions(noAutoCompaction)
          .setTableFormatConfig(table);
      if (blobFiles && name.equals(bulkFamily)) {
        valuesInBlobFiles(cf);
      }
      tuner.tuneColumnFamily(name, cf);
      families.put(name, cf);
    }
    writeOptions = keep(new WriteOptions());
    writeOptions.setSync(syncWrites).setDisableWAL(false);
    readOptions = keep(new ReadOptions());
  }

  /**
   * Sets {@code cf} to keep its values in blob files, garbage collection off (the table above):
   * for the store's {@code blocks} family, and for the one a repair copies blocks into.
   */
  static ColumnFamilyOptions valuesInBlobFiles(ColumnFamilyOptions cf) {
    return cf.setEnableBlobFiles(true).setMinBlobSize(MIN_BLOB_SIZE).setBlobFileSize(BLOB_FILE_SIZE)
        .setEnableBlobGarbageCollection(false);
  }

  private <T extends AutoCloseable> T keep(T t) {
    created.add(t);
    return t;
  }

  DBOptions database() {
    return dbOptions;
  }

  ColumnFamilyOptions family(String name) {
    return families.get(name);
  }

  WriteOptions write() {
    return writeOptions;
  }

  ReadOptions read() {
    return readOptions;
  }

  /** Closes the options in reverse order of creation, then the tuner's objects. */
  @Override
  public void close() {
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        created.get(i).close();
      } catch (Exception e) {
        // Native option objects do not fail to close; nothing useful to do if one did.
      }
    }
    created.clear();
    tuner.close();
  }
}
