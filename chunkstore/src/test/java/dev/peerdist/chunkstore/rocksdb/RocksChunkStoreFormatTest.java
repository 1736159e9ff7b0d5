package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.content.SegmentId;
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
 * segment) is converted when it is opened, and keeps every block it held. Stores written before
 * value files (values in the {@code blocks} family, inline or in blob files) open and read, and
 * their new puts go to value files. A format-3 store keeps its packed value files: read and
 * written as they are, never converted.
 */
class RocksChunkStoreFormatTest {
  @TempDir Path dir;

  @Test
  void formatOneBitmapsAreConvertedAtOpenAndNothingIsLost() throws Exception {
    SplittableRandom random = new SplittableRandom(17);
    Segment a = TestSegments.v1(random, 3);
    Segment b = TestSegments.v1(random, 2);
    try (RocksChunkStore s = RocksChunkStore.at(dir).valueFiles(false).open()) {
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
      assertArrayEquals(a.block(0), s.readBlock(a.record().id(), 0).orElseThrow(), "from the blocks family");
      assertArrayEquals(a.block(1), s.readBlock(a.record().id(), 1).orElseThrow(), "from a value file");
    }
    assertTrue(java.nio.file.Files.size(new ValueFiles(dir, 1, false).file(a.record().id())) > ValueFiles.SLOT,
        "block 1 went to its slot in a value file");
  }

  @Test
  void blobAndInlineStoresOpenReadAndPutNewBlocksIntoValueFiles() throws Exception {
    for (boolean blob : new boolean[] {true, false}) {
      Path d = dir.resolve(blob ? "blob" : "inline");
      SplittableRandom random = new SplittableRandom(blob ? 3 : 4);
      Segment a = TestSegments.v1(random, 4);
      Segment v2 = TestSegments.v2(random, 100_000);
      try (RocksChunkStore s = RocksChunkStore.at(d).valueFiles(false).blobFiles(blob).open()) {
        s.putSegment(a.record());
        s.putBlock(a.record().id(), 0, a.block(0));
        s.putBlock(a.record().id(), 3, a.block(3));
        s.flush();
      }
      // As the code before value files left it: format 2.
      RocksChunkStoreTest.overwrite(d, "default", FORMAT, new byte[] {2});
      try (RocksChunkStore s = RocksChunkStore.at(d).blobFiles(blob).createIfMissing(false).open()) {
        assertArrayEquals(a.block(0), s.readBlock(a.record().id(), 0).orElseThrow());
        s.putBlock(a.record().id(), 1, a.block(1));
        s.putSegment(v2.record());
        s.putBlock(v2.record().id(), 0, v2.block(0));
        assertEquals(TestSegments.footprint(a, 0, 1, 3) + TestSegments.footprint(v2, 0), s.stats().usedBytes());
      }
      assertEquals(4, RocksChunkStoreTest.read(d, "default", FORMAT)[0],
          "relabelled at open, so that code that knows no value files refuses the store");
      assertTrue(java.nio.file.Files.exists(new ValueFiles(d, 1, false).file(v2.record().id())));
      try (RocksChunkStore s = RocksChunkStore.at(d).blobFiles(blob).createIfMissing(false).open()) {
        for (int i : new int[] {0, 1, 3}) {
          assertArrayEquals(a.block(i), s.readBlock(a.record().id(), i).orElseThrow(), "block " + i);
          assertTrue(s.storedBlock(a.record().id(), i).isPresent());
        }
        assertArrayEquals(v2.block(0), s.readBlock(v2.record().id(), 0).orElseThrow());
        assertTrue(s.removeSegment(a.record().id()), "a segment with blocks in both places goes whole");
        assertFalse(java.nio.file.Files.exists(new ValueFiles(d, 1, false).file(a.record().id())));
        assertEquals(TestSegments.footprint(v2, 0), s.stats().usedBytes());
        assertEquals(0, s.stats().droppedCorruptBlocks());
      }
    }
  }

  @Test
  void formatThreeStoresKeepTheirPackedValueFiles() throws Exception {
    SplittableRandom random = new SplittableRandom(9);
    Segment a = TestSegments.v1(random, 4);
    Segment v2 = TestSegments.v2(random, 100_000);
    try (RocksChunkStore s = RocksChunkStore.at(dir).open()) {
      s.putSegment(a.record());
      for (int i : new int[] {0, 1, 3}) {
        s.putBlock(a.record().id(), i, a.block(i));
      }
      s.putSegment(v2.record());
      s.putBlock(v2.record().id(), 0, v2.block(0));
    }
    assertEquals(4, RocksChunkStoreTest.read(dir, "default", FORMAT)[0], "a new store is format 4");
    rewriteAsFormatThree();

    Path file = new ValueFiles(dir, 1, false).file(a.record().id());
    try (RocksChunkStore s = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      for (int i : new int[] {0, 1, 3}) {
        assertArrayEquals(a.block(i), s.readBlock(a.record().id(), i).orElseThrow(), "block " + i);
      }
      assertArrayEquals(v2.block(0), s.readBlock(v2.record().id(), 0).orElseThrow());
      s.putBlock(a.record().id(), 2, a.block(2));
      var b = s.storedBlock(a.record().id(), 2).orElseThrow();
      byte[] bytes = java.nio.file.Files.readAllBytes(file);
      assertEquals(4L * ValueFiles.SLOT, bytes.length);
      assertArrayEquals(b.iv(), java.util.Arrays.copyOfRange(bytes, 2 * ValueFiles.SLOT, 2 * ValueFiles.SLOT + 16));
      assertArrayEquals(b.cipherText(), java.util.Arrays.copyOfRange(bytes, 2 * ValueFiles.SLOT + 16, 3 * ValueFiles.SLOT),
          "block 2 went whole to its packed place");
    }
    assertEquals(3, RocksChunkStoreTest.read(dir, "default", FORMAT)[0], "still format 3");
    try (RocksChunkStore s = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(a.block(i), s.readBlock(a.record().id(), i).orElseThrow(), "block " + i);
      }
      assertEquals(0, s.stats().droppedCorruptBlocks());
      assertEquals(dev.peerdist.chunkstore.StoreHealth.OK, s.health());
    }
  }

  /**
   * Moves every value in the value files from its aligned place to its packed one and writes
   * format byte 3: a store as the code before format 4 left it (the entries are the same).
   */
  private void rewriteAsFormatThree() throws Exception {
    java.util.Map<SegmentId, java.util.Map<Integer, Integer>> lengths = new java.util.HashMap<>();
    raw((db, hs, names) -> {
      try (RocksIterator it = db.newIterator(hs.get(names.indexOf(RocksChunkStore.PRESENCE)))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          lengths.computeIfAbsent(KeyCodec.segmentOfBlock(it.key()), x -> new java.util.TreeMap<>())
              .put(KeyCodec.indexOfBlock(it.key()), java.nio.ByteBuffer.wrap(it.value()).getInt(4));
        }
      }
      db.put(hs.get(0), FORMAT, new byte[] {3});
    });
    ValueFiles aligned = new ValueFiles(dir, 1, false);
    ValueFiles packed = new ValueFiles(dir.resolve("packed"), 1, false);
    packed.layout(ValueFiles.Layout.PACKED);
    try (aligned; packed) {
      for (var seg : lengths.entrySet()) {
        for (var block : seg.getValue().entrySet()) {
          byte[] value = new byte[block.getValue()];
          ValueFiles.Layout l = ValueFiles.Layout.ALIGNED;
          int head = l.head(block.getKey(), value.length);
          try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(aligned.file(seg.getKey()))) {
            ch.read(java.nio.ByteBuffer.wrap(value, 0, head), l.position(block.getKey()));
            if (head < value.length) {
              ch.read(java.nio.ByteBuffer.wrap(value, head, value.length - head),
                  ValueFiles.Layout.tailPosition(block.getKey()));
            }
          }
          packed.write(seg.getKey(), block.getKey(), value, false);
        }
        java.nio.file.Files.move(packed.file(seg.getKey()), aligned.file(seg.getKey()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    assertEquals(4L * ValueFiles.SLOT, java.nio.file.Files.size(new ValueFiles(dir, 1, false).file(lengths.keySet().stream()
            .filter(id -> lengths.get(id).size() == 3).findFirst().orElseThrow())), "packed: block 3 ends at 4 slots");
  }

  private static final byte[] FORMAT = "format".getBytes(StandardCharsets.US_ASCII);

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
