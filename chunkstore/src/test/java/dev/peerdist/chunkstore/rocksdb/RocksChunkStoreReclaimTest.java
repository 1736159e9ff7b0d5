package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;

/**
 * Issue 12: block values in blob files without blob garbage collection, and the bounded reclaim
 * that gets the space of removed segments back. Real RocksDB files on disk, measured on disk.
 */
@Timeout(180)
class RocksChunkStoreReclaimTest {
  private static final int BLOCKS_PER_SEGMENT = 24;
  /** Stored bytes of one full block: IV, ciphertext and pad. */
  private static final long STORED_BLOCK = 65_568;

  @TempDir Path temp;

  /** Small memtables for the blocks family, so a few MiB make many blob files (one per flush). */
  private static RocksChunkStore.Builder store(Path dir) {
    // Values in blob files, the layout a reclaim is for (value files give space back with
    // their segment).
    return RocksChunkStore.at(dir).capacityBytes(1L << 30).reclaimMinGarbageBytes(1L << 20).valueFiles(false)
        .tuner(new RocksOptions.Tuner() {
          @Override
          public void tuneColumnFamily(String name, ColumnFamilyOptions o) {
            if (name.equals(RocksChunkStore.BLOCKS)) {
              o.setWriteBufferSize(1L << 20);
            }
          }
        });
  }

  private static List<Segment> segments(long seed, int n) {
    List<Segment> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      out.add(TestSegments.v1(new SplittableRandom(seed + k), BLOCKS_PER_SEGMENT));
    }
    return out;
  }

  /** Puts the segments' blocks interleaved (block 0 of each, then block 1, ...), then flushes. */
  private static void putInterleaved(RocksChunkStore s, List<Segment> segs) {
    for (Segment g : segs) {
      s.putSegment(g.record());
    }
    for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
      for (Segment g : segs) {
        s.putBlock(g.record().id(), i, g.block(i));
      }
    }
    s.flush();
  }

  /** Blob files on disk: number to size. */
  private static Map<Long, Long> blobFilesOnDisk(Path dir) throws IOException {
    Map<Long, Long> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".blob")).toList()) {
        String n = p.getFileName().toString();
        try {
          out.put(Long.parseLong(n.substring(0, n.length() - 5)), Files.size(p));
        } catch (java.nio.file.NoSuchFileException gone) {
          // Deleted between the listing and here (a background reclaim): no longer on disk.
        }
      }
    }
    return out;
  }

  private static long sum(Map<Long, Long> files) {
    return files.values().stream().mapToLong(Long::longValue).sum();
  }

  private static Map<String, byte[]> served(RocksChunkStore s, List<Segment> segs) {
    Map<String, byte[]> out = new TreeMap<>();
    for (Segment g : segs) {
      for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
        StoredBlock b = s.storedBlock(g.record().id(), i).orElseThrow();
        byte[] all = new byte[b.iv().length + b.cipherText().length];
        System.arraycopy(b.iv(), 0, all, 0, b.iv().length);
        System.arraycopy(b.cipherText(), 0, all, b.iv().length, b.cipherText().length);
        out.put(g.record().id() + "/" + i, all);
      }
    }
    return out;
  }

  private static void assertReadable(RocksChunkStore s, List<Segment> kept, Map<String, byte[]> servedBefore) {
    for (Segment g : kept) {
      for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
        assertArrayEquals(g.block(i), s.readBlock(g.record().id(), i).orElseThrow(), "decrypted and verified");
      }
    }
    Map<String, byte[]> now = served(s, kept);
    assertEquals(servedBefore.keySet(), now.keySet());
    for (var e : servedBefore.entrySet()) {
      assertArrayEquals(e.getValue(), now.get(e.getKey()), "the same stored form is served: " + e.getKey());
    }
    assertEquals(0, s.stats().droppedCorruptBlocks());
  }

  @Test
  void removedSegmentsSpaceComesBackAfterAReclaim() throws IOException {
    Path dir = temp.resolve("store");
    List<Segment> segs = segments(100, 8);
    List<Segment> kept = segs.subList(6, 8);
    Map<String, byte[]> servedBefore;
    try (RocksChunkStore s = store(dir).open()) {
      putInterleaved(s, segs);
      Map<Long, Long> before = blobFilesOnDisk(dir);
      assertTrue(before.size() >= 4, "several blob files, each with blocks of every segment: " + before);
      assertTrue(sum(before) >= 8 * BLOCKS_PER_SEGMENT * STORED_BLOCK, "every block in blob files: " + sum(before));
      servedBefore = served(s, kept);
      for (Segment g : segs.subList(0, 6)) {
        assertTrue(s.removeSegment(g.record().id()));
      }
      assertEquals(before, blobFilesOnDisk(dir), "without garbage collection removing rewrites nothing");

      BlobSpaceReclaim r = s.reclaimSpace();

      long live = 2L * BLOCKS_PER_SEGMENT * STORED_BLOCK;
      long after = sum(blobFilesOnDisk(dir));
      assertTrue(r.rewrote(), r.toString());
      assertTrue(after < live + live / 10, "blob files shrank to near the live bytes: " + after + " vs " + live);
      assertTrue(after >= live, "and still hold every live block: " + after);
      assertTrue(r.freedBytes() >= 5 * BLOCKS_PER_SEGMENT * STORED_BLOCK, r.toString());
      assertTrue(r.relocatedBytes() <= r.freedBytes(), "moved no more than it freed: " + r);
      assertEquals(after, s.nativeProperty("rocksdb.live-blob-file-size").orElseThrow());
      assertReadable(s, kept, servedBefore);
      for (Segment g : segs.subList(0, 6)) {
        assertFalse(s.readBlock(g.record().id(), 0).isPresent());
      }
      BlobSpaceReclaim again = s.reclaimSpace();
      assertFalse(again.rewrote(), "nothing left worth rewriting: " + again);
    }
    try (RocksChunkStore s = store(dir).createIfMissing(false).open()) {
      assertReadable(s, kept, servedBefore);
      assertEquals(2, s.stats().segments());
    }
  }

  @Test
  void aStoreWithoutRemovalsNeverRelocates() throws IOException {
    Path dir = temp.resolve("store");
    List<Segment> segs = segments(200, 6);
    try (RocksChunkStore s = store(dir).open()) {
      putInterleaved(s, segs);
      Map<String, byte[]> servedBefore = served(s, segs);
      Map<Long, Long> before = blobFilesOnDisk(dir);
      assertFalse(before.isEmpty());

      BlobSpaceReclaim r = s.reclaimSpace();

      assertFalse(r.rewrote(), r.toString());
      assertEquals(0, r.relocatedBytes());
      assertEquals(before, blobFilesOnDisk(dir), "the same blob files, the same sizes");
      assertEquals(sum(before), r.blobBytesAfter());
      assertReadable(s, segs, servedBefore);
    }
  }

  /** Only the oldest files, mostly garbage, are rewritten; the newest, all live, stay as they are. */
  @Test
  void onlyAnOldestPrefixThatIsMostlyGarbageIsRewritten() throws IOException {
    Path dir = temp.resolve("store");
    List<Segment> old = segments(300, 4);
    List<Segment> young = segments(400, 4);
    try (RocksChunkStore s = store(dir).open()) {
      putInterleaved(s, old);
      putInterleaved(s, young);
      Map<Long, Long> before = blobFilesOnDisk(dir);
      long newest = ((TreeMap<Long, Long>) before).lastKey();
      long oldest = ((TreeMap<Long, Long>) before).firstKey();
      List<Segment> kept = new ArrayList<>(young);
      kept.add(old.get(3));
      Map<String, byte[]> servedBefore = served(s, kept);
      for (Segment g : old.subList(0, 3)) {
        s.removeSegment(g.record().id());
      }

      BlobSpaceReclaim r = s.reclaimSpace();

      Map<Long, Long> after = blobFilesOnDisk(dir);
      assertTrue(r.rewrote(), r.toString());
      assertTrue(r.filesRewritten() < r.blobFiles(), "a prefix, not every file: " + r);
      assertFalse(after.containsKey(oldest), "the oldest file was rewritten: " + after);
      assertEquals(before.get(newest), after.get(newest), "the newest file is untouched: " + after);
      assertTrue(r.relocatedBytes() <= r.freedBytes(), "moved no more than it freed: " + r);
      assertTrue(sum(after) < sum(before) - 2 * BLOCKS_PER_SEGMENT * STORED_BLOCK, before + " -> " + after);
      assertReadable(s, kept, servedBefore);
    }
  }

  /** The background reclaim runs by itself after removals (bounded wait, no timing asserted). */
  @Test
  void removalsStartABackgroundReclaim() throws Exception {
    Path dir = temp.resolve("store");
    List<Segment> segs = segments(500, 6);
    try (RocksChunkStore s = store(dir).reclaimDelay(Duration.ZERO).open()) {
      putInterleaved(s, segs);
      long before = sum(blobFilesOnDisk(dir));
      for (Segment g : segs.subList(0, 5)) {
        s.removeSegment(g.record().id());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (sum(blobFilesOnDisk(dir)) > before / 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(sum(blobFilesOnDisk(dir)) <= before / 2, "the background reclaim freed the garbage");
      assertArrayEquals(segs.get(5).block(3), s.readBlock(segs.get(5).record().id(), 3).orElseThrow());
    }
  }

  /**
   * Closing while a reclaim runs neither waits for a whole rewrite nor breaks anything: the
   * reclaim either finished or stopped, and the store reopens with every kept block intact.
   */
  @Test
  void closeStopsAReclaimInProgress() throws Exception {
    Path dir = temp.resolve("store");
    List<Segment> segs = segments(700, 8);
    RocksChunkStore s = store(dir).open();
    putInterleaved(s, segs);
    Map<String, byte[]> servedBefore = served(s, segs.subList(6, 8));
    for (Segment g : segs.subList(0, 6)) {
      s.removeSegment(g.record().id());
    }
    java.util.concurrent.CompletableFuture<Object> reclaim =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            return s.reclaimSpace();
          } catch (dev.peerdist.chunkstore.StoreClosedException closed) {
            return closed;
          }
        });
    s.close();
    Object outcome = reclaim.get();
    assertTrue(outcome instanceof BlobSpaceReclaim || outcome instanceof dev.peerdist.chunkstore.StoreClosedException,
        String.valueOf(outcome));
    assertFalse(s.isOpen());
    try (RocksChunkStore again = store(dir).createIfMissing(false).open()) {
      assertReadable(again, segs.subList(6, 8), servedBefore);
      assertEquals(2, again.stats().segments());
    }
  }

  @Test
  void inlineStoreHasNothingToReclaim() throws IOException {
    Path dir = temp.resolve("inline");
    List<Segment> segs = segments(600, 2);
    try (RocksChunkStore s = store(dir).blobFiles(false).open()) {
      putInterleaved(s, segs);
      s.removeSegment(segs.get(0).record().id());
      BlobSpaceReclaim r = s.reclaimSpace();
      assertFalse(r.rewrote());
      assertTrue(blobFilesOnDisk(dir).isEmpty(), "values are inline");
      assertArrayEquals(segs.get(1).block(0), s.readBlock(segs.get(1).record().id(), 0).orElseThrow());
    }
  }
}
