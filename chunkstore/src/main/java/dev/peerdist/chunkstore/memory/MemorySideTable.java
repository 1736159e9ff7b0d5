package dev.peerdist.chunkstore.memory;

import dev.peerdist.chunkstore.SideTable;
import dev.peerdist.chunkstore.StoreEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The in-memory twin's {@link SideTable}: a sorted map; a batch is applied under the map's lock,
 * so it is atomic. Calls run under the store's close guard.
 */
final class MemorySideTable implements SideTable {
  private final StoreEngine engine;
  private final ConcurrentSkipListMap<byte[], byte[]> side = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);

  MemorySideTable(StoreEngine engine) {
    this.engine = engine;
  }

  @Override
  public Optional<byte[]> get(byte[] key) {
    SideTable.check(key, null);
    return engine.whileOpen(() -> Optional.ofNullable(side.get(key)).map(byte[]::clone));
  }

  @Override
  public void write(Batch batch) {
    engine.whileOpen(() -> {
      synchronized (side) {
        for (Entry e : batch.operations()) {
          if (e.value() == null) {
            side.remove(e.key());
          } else {
            side.put(e.key(), e.value());
          }
        }
      }
      return null;
    });
  }

  @Override
  public List<Entry> scan(byte[] prefix, byte[] after, int limit) {
    int max = SideTable.scanLimit(prefix, limit);
    return engine.whileOpen(() -> {
      List<Entry> out = new ArrayList<>();
      synchronized (side) {
        // Keys with the prefix are contiguous in unsigned order, starting at the prefix itself.
        boolean fromAfter = after != null && Arrays.compareUnsigned(after, prefix) >= 0;
        var tail = fromAfter ? side.tailMap(after, false) : side.tailMap(prefix, true);
        for (var e : tail.entrySet()) {
          if (out.size() >= max || !SideTable.startsWith(e.getKey(), prefix)) {
            break;
          }
          out.add(new Entry(e.getKey().clone(), e.getValue().clone()));
        }
      }
      return out;
    });
  }

  /** Forgets everything (the store closed). */
  void clear() {
    side.clear();
  }
}
