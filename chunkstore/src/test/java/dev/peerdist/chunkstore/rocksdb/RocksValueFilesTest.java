package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.StoreHealth;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.content.SegmentId;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block values in value files (the default layout): damage to a file costs only the blocks it
 * touches and is never served, a lost file or lost pages (a power cut that kept the index) read
 * as damage, removal deletes files, orphans go at open, open channels stay bounded, and a repair
 * keeps the files.
 */
class RocksValueFilesTest {
  @TempDir Path temp;

  private final List<Segment> segments = List.of(TestSegments.v1(new SplittableRandom(21), 5),
      TestSegments.v1(new SplittableRandom(22), 3), TestSegments.v2(new SplittableRandom(23), 90_000));

  private static RocksChunkStore.Builder store(Path dir) {
    return RocksChunkStore.at(dir).capacityBytes(1L << 30);
  }

  private Path filled() {
    Path dir = temp.resolve("store");
    try (RocksChunkStore s = store(dir).open()) {
      for (Segment seg : segments) {
        s.putSegment(seg.record());
        for (int i = 0; i < seg.record().blockCount(); i++) {
          s.putBlock(seg.record().id(), i, seg.block(i));
        }
      }
    }
    return dir;
  }

  /** Where a file holding every block of {@code seg} ends in {@code layout}. */
  static long end(ValueFiles.Layout layout, Segment seg) {
    long end = 0;
    for (int i = 0; i < seg.record().blockCount(); i++) {
      int length = (int) (TestSegments.footprint(seg, i) - TestSegments.footprint(seg));
      int head = layout.head(i, length);
      end = Math.max(end, layout.position(i) + head);
      if (head < length) {
        end = Math.max(end, ValueFiles.Layout.tailPosition(i) + length - head);
      }
    }
    return end;
  }

  /**
   * The current format puts each block's first 64 KiB on a 64 KiB boundary (whole page-cache
   * folios), after a first 64 KiB that holds the 32 bytes after each body.
   */
  @Test
  void bodiesStartOn64KiBBoundariesAfterTheTails() throws IOException {
    Path dir = filled();
    Segment seg = segments.get(0);
    SegmentId id = seg.record().id();
    byte[] file = Files.readAllBytes(fileOf(dir, id));
    assertEquals(6 * 65536, file.length, "a 64 KiB header and 5 bodies");
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      for (int i = 0; i < 5; i++) {
        var b = s.storedBlock(id, i).orElseThrow();
        byte[] stored = new byte[b.iv().length + b.cipherText().length];
        System.arraycopy(b.iv(), 0, stored, 0, b.iv().length);
        System.arraycopy(b.cipherText(), 0, stored, b.iv().length, b.cipherText().length);
        assertEquals(ValueFiles.SLOT, stored.length);
        assertArrayEquals(java.util.Arrays.copyOfRange(stored, 0, 65536),
            java.util.Arrays.copyOfRange(file, (i + 1) * 65536, (i + 2) * 65536), "body of block " + i);
        assertArrayEquals(java.util.Arrays.copyOfRange(stored, 65536, stored.length),
            java.util.Arrays.copyOfRange(file, i * 32, (i + 1) * 32), "tail of block " + i);
      }
    }
  }

  private static Path fileOf(Path dir, SegmentId id) {
    return new ValueFiles(dir.toAbsolutePath(), 1, false).file(id);
  }

  private static void flip(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
  }

  /** The blocks that read back (each checked against the original) per segment. */
  private List<Integer> readable(RocksChunkStore s) {
    List<Integer> out = new ArrayList<>();
    for (Segment seg : segments) {
      int n = 0;
      for (int i = 0; i < seg.record().blockCount(); i++) {
        Optional<byte[]> b = s.readBlock(seg.record().id(), i);
        if (b.isPresent()) {
          assertArrayEquals(seg.block(i), b.get());
          n++;
        }
      }
      out.add(n);
    }
    return out;
  }

  @Test
  void valuesLiveInOneFilePerSegmentAndRocksDbHoldsNoBlockValues() throws IOException {
    Path dir = filled();
    for (Segment seg : segments) {
      Path f = fileOf(dir, seg.record().id());
      assertTrue(Files.isRegularFile(f), f.toString());
      assertEquals(end(ValueFiles.Layout.ALIGNED, seg), Files.size(f), "the file ends with the last block's place");
    }
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      s.flush();
      assertTrue(s.nativeProperty("rocksdb.total-sst-files-size").orElseThrow() < 64 * 1024,
          "only small entries in RocksDB");
      assertEquals(List.of(5, 3, 1), readable(s));
      long files = 0;
      for (Segment seg : segments) {
        files += Files.size(fileOf(dir, seg.record().id()));
      }
      assertEquals(files, s.valueFileBytes());
    }
  }

  @Test
  void aFlippedByteCostsOnlyItsBlockIsNeverServedAndStartsNoRepair() throws IOException {
    Path dir = filled();
    SegmentId id = segments.get(0).record().id();
    flip(fileOf(dir, id), ValueFiles.Layout.ALIGNED.position(2) + 40_000);
    try (RocksChunkStore s = store(dir).recoverDamage(true).createIfMissing(false).open()) {
      assertEquals(Optional.empty(), s.storedBlock(id, 2), "never served");
      assertFalse(s.hasBlock(id, 2), "dropped");
      assertEquals(1, s.stats().droppedCorruptBlocks());
      assertEquals(List.of(4, 3, 1), readable(s));
      assertEquals(StoreHealth.State.DEGRADED, s.health().state());
      assertFalse(Files.exists(dir.resolve(RocksChunkStore.REPAIR_MARKER)), "RocksDB's files are sound");
      s.putBlock(id, 2, segments.get(0).block(2));
      assertArrayEquals(segments.get(0).block(2), s.readBlock(id, 2).orElseThrow(), "a good copy goes back");
    }
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      assertEquals(List.of(5, 3, 1), readable(s));
      assertEquals(StoreHealth.OK, s.health());
    }
  }

  /**
   * A power cut that kept the index but not the value's pages: the slot reads as zeros (a hole),
   * the file is shorter, or the file is gone. None of it is served; each costs only its blocks.
   */
  @Test
  void indexKeptButValuesLostReadsAsDamage() throws IOException {
    Path dir = filled();
    SegmentId a = segments.get(0).record().id();
    SegmentId b = segments.get(1).record().id();
    SegmentId c = segments.get(2).record().id();
    RocksChunkStoreTest.overwriteSlot(dir, a, 1, new byte[ValueFiles.SLOT]);
    try (var ch = java.nio.channels.FileChannel.open(fileOf(dir, b), java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(ValueFiles.Layout.ALIGNED.position(2) + 100); // block 2's pages lost
    }
    Files.delete(fileOf(dir, c));
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      for (int i = 0; i < 3; i++) {
        s.storedBlock(b, i).ifPresent(x -> assertEquals(65_552, x.cipherText().length));
      }
      assertEquals(Optional.empty(), s.storedBlock(b, 2));
      assertEquals(Optional.empty(), s.storedBlock(c, 0));
      assertEquals(List.of(4, 2, 0), readable(s));
      assertEquals(3, s.stats().droppedCorruptBlocks());
    }
  }

  @Test
  void removalAndEvictionDeleteFilesAndOrphansGoAtOpen() throws IOException {
    Path dir = filled();
    SegmentId a = segments.get(0).record().id();
    SegmentId b = segments.get(1).record().id();
    Path kept = temp.resolve("kept");
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      Files.copy(fileOf(dir, a), kept);
      assertTrue(s.removeSegment(a));
      assertFalse(Files.exists(fileOf(dir, a)), "removed with its segment");
      assertTrue(Files.exists(fileOf(dir, b)));
    }
    // As a kill between removing the entries and the file would leave it, plus a stray file.
    Files.copy(kept, fileOf(dir, a));
    Path stray = fileOf(dir, b).resolveSibling("not-a-segment");
    Files.writeString(stray, "x");
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      assertFalse(Files.exists(fileOf(dir, a)), "orphan removed at open");
      assertFalse(Files.exists(stray));
      assertEquals(List.of(0, 3, 1), readable(s));
      // Eviction: room for one more segment only.
      s.setCapacity(s.stats().usedBytes() - TestSegments.fullFootprint(segments.get(2)) + 1000);
      assertEquals(1, s.stats().segments());
      assertEquals(1, countValueFiles(dir), "the evicted segment's file went with it");
      s.putSegment(segments.get(0).record());
      s.putBlock(a, 4, segments.get(0).block(4));
      assertArrayEquals(segments.get(0).block(4), s.readBlock(a, 4).orElseThrow(),
          "a segment put again after removal gets a new file");
    }
  }

  private static long countValueFiles(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir.resolve(ValueFiles.DIRECTORY))) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void openChannelsStayBounded() {
    Path dir = temp.resolve("bounded");
    SplittableRandom random = new SplittableRandom(5);
    List<Segment> many = new ArrayList<>();
    try (RocksChunkStore s = store(dir).openValueFiles(2).open()) {
      for (int k = 0; k < 6; k++) {
        Segment seg = TestSegments.v1(random, 2);
        many.add(seg);
        s.putSegment(seg.record());
        s.putBlock(seg.record().id(), 0, seg.block(0));
        assertTrue(s.openValueChannels() <= 2, "open: " + s.openValueChannels());
      }
      for (int round = 0; round < 2; round++) {
        for (Segment seg : many) {
          s.putBlock(seg.record().id(), 1, seg.block(1));
          assertArrayEquals(seg.block(0), s.readBlock(seg.record().id(), 0).orElseThrow());
          assertTrue(s.openValueChannels() <= 2, "open: " + s.openValueChannels());
        }
      }
      assertEquals(0, s.stats().droppedCorruptBlocks());
    }
  }

  /**
   * A {@code FileChannel} closes itself when a thread using it is interrupted; the store's reads
   * and writes are not interruptible (as RocksDB's are not): an interrupted thread's put and read
   * succeed, keep its interrupt status, and cost no other thread its channel.
   */
  @Test
  void interruptedThreadsStillReadAndWriteAndKeepTheirStatus() throws Exception {
    Path dir = filled();
    Segment seg = segments.get(0);
    SegmentId id = seg.record().id();
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      s.readBlock(id, 0).orElseThrow(); // the channel is cached now
      assertTrue(s.removeSegment(segments.get(1).record().id()));
      Segment again = segments.get(1);
      s.putSegment(again.record());
      java.util.concurrent.atomic.AtomicReference<Object> seen = new java.util.concurrent.atomic.AtomicReference<>();
      Thread t = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          byte[] b = s.readBlock(id, 1).orElseThrow();
          s.putBlock(again.record().id(), 0, again.block(0));
          seen.set(Thread.currentThread().isInterrupted() && java.util.Arrays.equals(b, seg.block(1)));
        } catch (RuntimeException e) {
          seen.set(e);
        }
      });
      t.start();
      t.join();
      assertEquals(Boolean.TRUE, seen.get(), "read and put while interrupted, status kept");
      assertArrayEquals(again.block(0), s.readBlock(again.record().id(), 0).orElseThrow());
      assertEquals(List.of(5, 1, 1), readable(s));
      assertEquals(0, s.stats().droppedCorruptBlocks());
    }
  }

  @Test
  void aRepairKeepsTheValueFilesAndTheirEntries() throws IOException {
    Path dir = filled();
    Files.writeString(dir.resolve(RocksChunkStore.REPAIR_MARKER), "test\n");
    try (RocksChunkStore s = store(dir).recoverDamage(true).createIfMissing(false).open()) {
      assertFalse(Files.exists(dir.resolve(RocksChunkStore.REPAIR_MARKER)), "repaired");
      assertEquals(List.of(5, 3, 1), readable(s));
      assertEquals(0, s.stats().droppedCorruptBlocks());
    }
  }

  @Test
  void syncedWritesAlsoGoToValueFiles() throws IOException {
    Path dir = temp.resolve("synced");
    Segment seg = segments.get(1);
    try (RocksChunkStore s = store(dir).syncWrites(true).open()) {
      s.putSegment(seg.record());
      for (int i = 0; i < 3; i++) {
        s.putBlock(seg.record().id(), i, seg.block(i));
      }
    }
    assertTrue(Files.size(fileOf(dir, seg.record().id())) > 2L * ValueFiles.SLOT);
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(seg.block(i), s.readBlock(seg.record().id(), i).orElseThrow());
      }
    }
  }
}
