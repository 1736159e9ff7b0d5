package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged, missing and mismatched stores: clear messages naming the path, nothing lost. */
class RocksChunkStoreErrorsTest {
  @TempDir Path temp;
  private Path dir;
  private final List<Segment> segments = List.of(
      TestSegments.v1(new SplittableRandom(1), 3), TestSegments.v2(new SplittableRandom(2), 5000));

  @BeforeEach
  void fill() {
    dir = temp.resolve("store");
    try (RocksChunkStore store = RocksChunkStore.at(dir).capacityBytes(1L << 30).open()) {
      for (Segment s : segments) {
        store.putSegment(s.record());
        for (int i = 0; i < s.record().blockCount(); i++) {
          store.putBlock(s.record().id(), i, s.block(i));
        }
      }
      store.pin(segments.get(1).record().id());
      store.flush(); // so that there are SST files to damage
    }
  }

  private void assertIntact() {
    try (RocksChunkStore store = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      for (Segment s : segments) {
        for (int i = 0; i < s.record().blockCount(); i++) {
          assertArrayEquals(s.block(i), store.readBlock(s.record().id(), i).orElseThrow());
        }
      }
      assertTrue(store.isPinned(segments.get(1).record().id()));
      assertEquals(0, store.stats().droppedCorruptBlocks());
    }
  }

  private ChunkStoreException assertOpenFails(String expected) {
    var e = assertThrows(ChunkStoreException.class, () -> RocksChunkStore.at(dir).open());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), "names the path: " + e.getMessage());
    return e;
  }

  @Test
  void garbageInCurrentIsReportedAndNothingIsDeleted() throws IOException {
    Path current = dir.resolve("CURRENT");
    byte[] good = Files.readAllBytes(current);
    List<String> before = listing();
    Files.write(current, "\u0001\u0002garbage".getBytes(StandardCharsets.ISO_8859_1));
    assertOpenFails("damaged");
    assertEquals(before, listing(), "no file was removed or added");
    Files.write(current, good);
    assertIntact();
  }

  @Test
  void truncatedSstIsReportedAndNothingIsDeleted() throws IOException {
    Path sst;
    try (Stream<Path> files = Files.list(dir)) {
      sst = files.filter(p -> p.toString().endsWith(".sst"))
          .max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
    }
    byte[] good = Files.readAllBytes(sst);
    List<String> before = listing();
    try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
      f.setLength(good.length / 2);
    }
    assertOpenFails("damaged");
    assertEquals(before, listing(), "no file was removed or added");
    Files.write(sst, good);
    assertIntact();
  }

  @Test
  void missingStoreIsNotCreatedWhenAskedNotTo() {
    Path empty = temp.resolve("nothing-here");
    var e = assertThrows(ChunkStoreException.class,
        () -> RocksChunkStore.at(empty).createIfMissing(false).open());
    assertEquals("no chunk store in " + empty.toAbsolutePath(), e.getMessage());
    assertTrue(Files.notExists(empty));
  }

  @Test
  void damagedRecordStopsOpeningWithTheSegmentNamed() {
    Segment s = segments.get(0);
    byte[] key = KeyCodec.segmentKey(s.record().id());
    RocksChunkStoreTest.overwrite(dir, RocksChunkStore.SEGMENTS, key, new byte[] {1, 1, 0, 0});
    var e = assertOpenFails("damaged");
    assertTrue(e.getMessage().contains(s.record().id().toHex()), e.getMessage());
  }

  @Test
  void unknownFormatIsRefused() {
    RocksChunkStoreTest.overwrite(dir, "default", "format".getBytes(StandardCharsets.US_ASCII), new byte[] {9});
    assertOpenFails("has format 09");
  }

  @Test
  void newCapacityAtOpenIsAppliedAndKept() {
    long one = TestSegments.fullFootprint(segments.get(1));
    try (RocksChunkStore store = RocksChunkStore.at(dir).capacityBytes(one).open()) {
      assertEquals(one, store.stats().capacityBytes());
      assertEquals(List.of(segments.get(1).record().id()), store.segments(), "the unpinned one was evicted");
    }
    try (RocksChunkStore store = RocksChunkStore.at(dir).open()) {
      assertEquals(one, store.stats().capacityBytes());
    }
  }

  @Test
  void nativePropertiesAreReadable() {
    try (RocksChunkStore store = RocksChunkStore.at(dir).open()) {
      assertTrue(store.nativeProperty("rocksdb.total-sst-files-size").orElseThrow() > 0);
      // Block values are in value files (the default since issue 12), none in blob files.
      assertEquals(0, store.nativeProperty("rocksdb.live-blob-file-size").orElseThrow());
      assertEquals(0, store.nativeProperty("rocksdb.live-blob-file-garbage-size").orElseThrow());
      assertTrue(store.nativeProperty("no.such.property").isEmpty());
    }
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("LOG")).sorted().toList();
    }
  }
}
