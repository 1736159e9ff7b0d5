package dev.peerdist.chunkstore.rocksdb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
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
 *   <tr><td>block cache</td><td>{@code blockCacheBytes}, shared by all families</td><td>the OS
 *       page cache does most of the caching for 64 KiB values</td></tr>
 *   <tr><td>WAL</td><td>on; {@code sync} per write only when asked</td><td>see
 *       {@link RocksChunkStore} on durability</td></tr>
 *   <tr><td>WAL recovery</td><td>point in time</td><td>after a crash the store is a consistent
 *       prefix of the acknowledged writes</td></tr>
 *   <tr><td>mmap reads</td><td>off</td><td>cold reads fell to ~48 MB/s with them (LIMITS.md)</td></tr>
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

  private final LRUCache blockCache;
  private final DBOptions dbOptions;
  private final Map<String, ColumnFamilyOptions> families = new LinkedHashMap<>();
  private final WriteOptions writeOptions;
  private final ReadOptions readOptions;
  private final Tuner tuner;
  private final List<AutoCloseable> created = new ArrayList<>();

  RocksOptions(List<String> familyNames, long blockCacheBytes, boolean syncWrites, boolean createIfMissing,
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
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL);
    tuner.tuneDatabase(dbOptions);
    for (String name : familyNames) {
      BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(blockCache);
      ColumnFamilyOptions cf = keep(new ColumnFamilyOptions());
      cf.setCompressionType(CompressionType.NO_COMPRESSION)
          .setBottommostCompressionType(CompressionType.NO_COMPRESSION)
          .setTableFormatConfig(table);
      tuner.tuneColumnFamily(name, cf);
      families.put(name, cf);
    }
    writeOptions = keep(new WriteOptions());
    writeOptions.setSync(syncWrites).setDisableWAL(false);
    readOptions = keep(new ReadOptions());
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
