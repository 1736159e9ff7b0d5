package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;

/** Builder options: synced writes, the tuning hook, defaults, switching blob files. */
class RocksChunkStoreOptionsTest {
  @TempDir Path temp;
  private final Segment seg = TestSegments.v1(new SplittableRandom(4), 2);

  private void putAll(RocksChunkStore s) {
    s.putSegment(seg.record());
    for (int i = 0; i < 2; i++) {
      s.putBlock(seg.record().id(), i, seg.block(i));
    }
  }

  private void assertHeld(RocksChunkStore s) {
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(seg.block(i), s.readBlock(seg.record().id(), i).orElseThrow());
    }
  }

  @Test
  void syncedWritesStoreAndReopen() {
    Path dir = temp.resolve("sync");
    try (RocksChunkStore s = RocksChunkStore.at(dir).syncWrites(true).open()) {
      putAll(s);
    }
    try (RocksChunkStore s = RocksChunkStore.at(dir).syncWrites(true).open()) {
      assertHeld(s);
    }
  }

  @Test
  void tunerSeesEveryFamilyBeforeOpenAndIsClosedAfter() {
    List<String> seen = new ArrayList<>();
    boolean[] closed = {false};
    RocksOptions.Tuner tuner = new RocksOptions.Tuner() {
      @Override
      public void tuneDatabase(DBOptions options) {
        seen.add("db");
      }

      @Override
      public void tuneColumnFamily(String name, ColumnFamilyOptions options) {
        assertEquals(CompressionType.NO_COMPRESSION, options.compressionType(), "defaults applied first");
        seen.add(name);
      }

      @Override
      public void close() {
        closed[0] = true;
      }
    };
    RocksChunkStore s = RocksChunkStore.at(temp.resolve("tuned")).tuner(tuner).open();
    assertEquals(List.of("db", "default", "segments", "presence", "pins", "access", "blocks", "side"), seen);
    assertFalse(closed[0]);
    s.close();
    assertTrue(closed[0]);
  }

  @Test
  void newStoreGetsTheDefaultCapacity() {
    try (RocksChunkStore s = RocksChunkStore.at(temp.resolve("default")).open()) {
      assertEquals(RocksChunkStore.DEFAULT_CAPACITY_BYTES, s.stats().capacityBytes());
    }
  }

  @Test
  void blobFilesCanBeSwitchedBetweenOpens() {
    Path dir = temp.resolve("switch");
    try (RocksChunkStore s = RocksChunkStore.at(dir).valueFiles(false).blobFiles(true).open()) {
      putAll(s);
      s.flush();
    }
    try (RocksChunkStore s = RocksChunkStore.at(dir).valueFiles(false).blobFiles(false).open()) {
      assertHeld(s);
    }
  }

  /**
   * Issue 12: a store written before blob files became the default (values inline) opens with
   * blob files, keeps reading its inline values, writes new ones to blob files, and a space
   * reclaim (which reads blob references, not inline values) keeps both.
   */
  @Test
  void inlineStoreOpensWithBlobFilesByDefaultAndKeepsItsValues() throws java.io.IOException {
    Path dir = temp.resolve("upgrade");
    try (RocksChunkStore s = RocksChunkStore.at(dir).valueFiles(false).blobFiles(false).open()) {
      putAll(s);
      s.flush();
    }
    Segment later = TestSegments.v1(new SplittableRandom(5), 3);
    try (RocksChunkStore s = RocksChunkStore.at(dir).valueFiles(false).reclaimMinGarbageBytes(0).open()) {
      assertHeld(s);
      s.putSegment(later.record());
      for (int i = 0; i < 3; i++) {
        s.putBlock(later.record().id(), i, later.block(i));
      }
      s.flush();
      assertTrue(s.nativeProperty("rocksdb.live-blob-file-size").orElseThrow() >= 3 * 65_568L,
          "new values went to blob files");
      s.reclaimSpace();
      assertHeld(s);
    }
    try (RocksChunkStore s = RocksChunkStore.at(dir).open()) {
      assertHeld(s);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(later.block(i), s.readBlock(later.record().id(), i).orElseThrow());
      }
    }
  }

  @Test
  void badBuilderValuesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RocksChunkStore.at(temp).capacityBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> RocksChunkStore.at(temp).blockCacheBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> RocksChunkStore.at(temp).reclaimMinGarbageBytes(-1));
    assertThrows(IllegalArgumentException.class, () -> RocksChunkStore.at(temp).openValueFiles(0));
    assertThrows(IllegalArgumentException.class,
        () -> RocksChunkStore.at(temp).reclaimDelay(java.time.Duration.ofSeconds(-1)));
  }
}
