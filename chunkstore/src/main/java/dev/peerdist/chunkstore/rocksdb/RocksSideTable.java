package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.SideTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The {@link SideTable} of a {@link RocksChunkStore}: the {@code side} column family of the same
 * database, so it shares the store's write-ahead log (a batch is one atomic {@link WriteBatch}),
 * its directory and its lifetime. RocksDB orders keys by unsigned bytes, which is the scan order.
 * Every call runs under the store's close guard; failures become the store's {@code
 * ChunkStoreException}.
 */
final class RocksSideTable implements SideTable {
  private final RocksChunkStore store;
  private final RocksDB db;
  private final ColumnFamilyHandle family;
  private final RocksOptions options;

  RocksSideTable(RocksChunkStore store, RocksDB db, ColumnFamilyHandle family, RocksOptions options) {
    this.store = store;
    this.db = db;
    this.family = family;
    this.options = options;
  }

  @Override
  public Optional<byte[]> get(byte[] key) {
    SideTable.check(key, null);
    return store.whileOpen(() -> {
      try {
        return Optional.ofNullable(db.get(family, options.read(), key));
      } catch (RocksDBException e) {
        throw store.failureOf("read a side-table entry", e);
      }
    });
  }

  @Override
  public void write(Batch batch) {
    store.whileOpen(() -> {
      try (WriteBatch wb = new WriteBatch()) {
        for (Entry e : batch.operations()) {
          if (e.value() == null) {
            wb.delete(family, e.key());
          } else {
            wb.put(family, e.key(), e.value());
          }
        }
        db.write(options.write(), wb);
      } catch (RocksDBException e) {
        throw store.failureOf("write side-table entries", e);
      }
      return null;
    });
  }

  @Override
  public List<Entry> scan(byte[] prefix, byte[] after, int limit) {
    int max = SideTable.scanLimit(prefix, limit);
    return store.whileOpen(() -> {
      List<Entry> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(family, options.read())) {
        boolean fromAfter = after != null && java.util.Arrays.compareUnsigned(after, prefix) >= 0;
        it.seek(fromAfter ? after : prefix);
        if (fromAfter && it.isValid() && java.util.Arrays.equals(it.key(), after)) {
          it.next();
        }
        for (; it.isValid() && out.size() < max; it.next()) {
          byte[] k = it.key();
          if (!SideTable.startsWith(k, prefix)) {
            break;
          }
          out.add(new Entry(k, it.value()));
        }
        it.status();
      } catch (RocksDBException e) {
        throw store.failureOf("scan the side table", e);
      }
      return out;
    });
  }
}
