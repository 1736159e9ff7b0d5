package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

/**
 * Format 2 keeps one {@code presence} entry per held block; a format-1 store (one bitmap per
 * segment) is converted when it is opened, and keeps every block it held.
 */
class RocksChunkStoreFormatTest {
  @TempDir Path dir;

  @Test
  void formatOneBitmapsAreConvertedAtOpenAndNothingIsLost() throws Exception {
    SplittableRandom random = new SplittableRandom(17);
    Segment a = TestSegments.v1(random, 3);
    Segment b = TestSegments.v1(random, 2);
    try (RocksChunkStore s = RocksChunkStore.at(dir).open()) {
      s.putSegment(a.record());
      s.putBlock(a.record().id(), 0, a.block(0));
      s.putBlock(a.record().id(), 2, a.block(2));
      s.putSegment(b.record());
      s.putBlock(b.record().id(), 1, b.block(1));
    }
    assertEquals(3, presenceKeys().size(), "format 2: one entry per held block");
    rewriteAsFormatOne();

    try (RocksChunkStore s = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      assertEquals(BitSet.valueOf(new long[] {0b101}), s.presentBlocks(a.record().id()));
      assertEquals(BitSet.valueOf(new long[] {0b10}), s.presentBlocks(b.record().id()));
      assertArrayEquals(a.block(2), s.readBlock(a.record().id(), 2).orElseThrow());
      assertEquals(TestSegments.footprint(a, 0, 2) + TestSegments.footprint(b, 1), s.stats().usedBytes());
      s.putBlock(a.record().id(), 1, a.block(1));
    }
    List<byte[]> keys = presenceKeys();
    assertEquals(4, keys.size());
    for (byte[] k : keys) {
      assertEquals(KeyCodec.segmentOfBlock(k).toBytes().length + 5, k.length, "only block keys remain");
    }
    try (RocksChunkStore s = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      assertEquals(3, s.presentBlocks(a.record().id()).cardinality());
      assertTrue(s.hasBlock(b.record().id(), 1));
      assertFalse(s.hasBlock(b.record().id(), 0));
      assertEquals(dev.peerdist.chunkstore.StoreHealth.OK, s.health());
    }
  }

  private List<byte[]> presenceKeys() throws Exception {
    List<byte[]> keys = new ArrayList<>();
    raw((db, hs, names) -> {
      try (RocksIterator it = db.newIterator(hs.get(names.indexOf(RocksChunkStore.PRESENCE)))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          keys.add(it.key());
        }
      }
    });
    return keys;
  }

  /** Replaces the per-block entries with one bitmap per segment and writes format byte 1. */
  private void rewriteAsFormatOne() throws Exception {
    raw((db, hs, names) -> {
      ColumnFamilyHandle presence = hs.get(names.indexOf(RocksChunkStore.PRESENCE));
      java.util.Map<String, BitSet> bitmaps = new java.util.TreeMap<>();
      java.util.Map<String, byte[]> segmentKeys = new java.util.HashMap<>();
      List<byte[]> old = new ArrayList<>();
      try (RocksIterator it = db.newIterator(presence)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          byte[] k = it.key();
          old.add(k);
          byte[] seg = KeyCodec.segmentKey(KeyCodec.segmentOfBlock(k));
          String hex = java.util.HexFormat.of().formatHex(seg);
          segmentKeys.put(hex, seg);
          bitmaps.computeIfAbsent(hex, x -> new BitSet()).set(KeyCodec.indexOfBlock(k));
        }
      }
      for (byte[] k : old) {
        db.delete(presence, k);
      }
      for (var e : bitmaps.entrySet()) {
        db.put(presence, segmentKeys.get(e.getKey()), e.getValue().toByteArray());
      }
      db.put(hs.get(0), "format".getBytes(StandardCharsets.US_ASCII), new byte[] {1});
    });
  }

  private interface RawBody {
    void run(RocksDB db, List<ColumnFamilyHandle> handles, List<String> names) throws Exception;
  }

  private void raw(RawBody body) throws Exception {
    List<String> names;
    try (org.rocksdb.Options o = new org.rocksdb.Options()) {
      names = RocksDB.listColumnFamilies(o, dir.toString()).stream()
          .map(n -> new String(n, StandardCharsets.UTF_8)).toList();
    }
    try (ColumnFamilyOptions cfo = new ColumnFamilyOptions(); DBOptions dbo = new DBOptions()) {
      List<ColumnFamilyDescriptor> ds = names.stream()
          .map(n -> new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8), cfo)).toList();
      List<ColumnFamilyHandle> hs = new ArrayList<>();
      try (RocksDB db = RocksDB.open(dbo, dir.toString(), ds, hs)) {
        try {
          body.run(db, hs, names);
        } finally {
          hs.forEach(ColumnFamilyHandle::close);
        }
      }
    }
  }
}
