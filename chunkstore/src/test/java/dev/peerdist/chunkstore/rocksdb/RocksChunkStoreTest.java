package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreConformanceTest;
import dev.peerdist.chunkstore.content.SegmentId;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/**
 * The RocksDB store (default options: block values in value files) passes the whole shared
 * contract, restarts included; subclasses run it with the values in the {@code blocks} family.
 */
class RocksChunkStoreTest extends ChunkStoreConformanceTest {
  @TempDir Path temp;
  private int stores;
  private final Map<ChunkStore, Path> dirs = new IdentityHashMap<>();

  /** The builder every store of this test starts from; subclasses vary the options. */
  protected RocksChunkStore.Builder configure(Path dir) {
    return RocksChunkStore.at(dir).blockCacheBytes(8 << 20);
  }

  @Override
  protected ChunkStore newStore(long capacityBytes, Clock clock, RandomGenerator random) {
    Path dir = temp.resolve("store-" + stores++);
    RocksChunkStore s = configure(dir).capacityBytes(capacityBytes).clock(clock).random(random).open();
    dirs.put(s, dir);
    return s;
  }

  @Override
  protected ChunkStore reopen(ChunkStore store) {
    Path dir = dirs.get(store);
    store.close();
    // No capacity given: the persisted one must come back.
    RocksChunkStore s = configure(dir).clock(clock).random(new SecureRandom()).createIfMissing(false).open();
    dirs.put(s, dir);
    return s;
  }

  @Override
  protected ChunkStore damage(ChunkStore store, SegmentId id, int index, byte[] value) {
    Path dir = dirs.get(store);
    store.close();
    // Where the store put it: a value file exists only when configure() writes them.
    if (java.nio.file.Files.exists(new ValueFiles(dir.toAbsolutePath(), 1, false).file(id))) {
      overwriteSlot(dir, id, index, value);
    } else {
      overwrite(dir, RocksChunkStore.BLOCKS, KeyCodec.blockKey(id, index), value);
    }
    return reopen(configure(dir).createIfMissing(false).open(), dir);
  }

  /**
   * Writes {@code value} over a block's place in its value file (a store of the current format:
   * {@link ValueFiles.Layout#ALIGNED}) behind the store's back (its entry stays as it was, as when
   * a disk damages the file); a value shorter than a full block's stored form also zeroes the rest
   * of the block's place, as lost pages would.
   */
  static void overwriteSlot(Path dir, SegmentId id, int index, byte[] value) {
    Path file = new ValueFiles(dir.toAbsolutePath(), 1, false).file(id);
    ValueFiles.Layout layout = ValueFiles.Layout.ALIGNED;
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.WRITE)) {
      long pos = layout.position(index);
      int head = layout.head(index, value.length);
      ch.write(java.nio.ByteBuffer.wrap(value, 0, head), pos);
      if (head < value.length) {
        ch.write(java.nio.ByteBuffer.wrap(value, head, value.length - head), ValueFiles.Layout.tailPosition(index));
      }
      if (value.length < ValueFiles.SLOT) {
        if (value.length < ValueFiles.BODY) {
          ch.write(java.nio.ByteBuffer.allocate(ValueFiles.BODY - value.length), pos + value.length);
        }
        ch.write(java.nio.ByteBuffer.allocate(ValueFiles.TAIL), ValueFiles.Layout.tailPosition(index));
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot damage " + file, e);
    }
  }

  private ChunkStore reopen(RocksChunkStore s, Path dir) {
    dirs.put(s, dir);
    return s;
  }

  /** Writes one value behind the store's back, as disk damage (or a bug) would. */
  static void overwrite(Path dir, String family, byte[] key, byte[] value) {
    raw(dir, family, (db, h) -> {
      db.put(h, key, value);
      return null;
    });
  }

  /** One value of a closed store's family, or null. */
  static byte[] read(Path dir, String family, byte[] key) {
    return raw(dir, family, (db, h) -> db.get(h, key));
  }

  private interface RawAccess<T> {
    T run(RocksDB db, ColumnFamilyHandle family) throws Exception;
  }

  private static <T> T raw(Path dir, String family, RawAccess<T> body) {
    // Every family the store has (RocksDB must open them all), whatever this version added.
    List<String> names;
    try (org.rocksdb.Options o = new org.rocksdb.Options()) {
      names = RocksDB.listColumnFamilies(o, dir.toString()).stream()
          .map(n -> new String(n, java.nio.charset.StandardCharsets.UTF_8)).toList();
    } catch (Exception e) {
      throw new AssertionError("cannot list the families of " + dir, e);
    }
    try (ColumnFamilyOptions cfo = new ColumnFamilyOptions(); DBOptions dbo = new DBOptions()) {
      List<ColumnFamilyDescriptor> ds = names.stream()
          .map(n -> new ColumnFamilyDescriptor(n.getBytes(java.nio.charset.StandardCharsets.UTF_8), cfo)).toList();
      List<ColumnFamilyHandle> hs = new java.util.ArrayList<>();
      try (RocksDB db = RocksDB.open(dbo, dir.toString(), ds, hs)) {
        try {
          return body.run(db, hs.get(names.indexOf(family)));
        } finally {
          hs.forEach(ColumnFamilyHandle::close);
        }
      }
    } catch (Exception e) {
      throw new AssertionError("cannot damage " + dir, e);
    }
  }
}
