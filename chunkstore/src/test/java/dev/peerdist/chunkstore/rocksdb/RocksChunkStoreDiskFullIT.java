package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a tiny tmpfs runs out of space: the failing put throws a message naming the path
 * and saying "disk full", the index does not claim the failed block, and everything stored
 * before stays readable; with value files (the default) the failure is the value file's write,
 * nothing of it is claimed after a restart either, and removing a segment gives room back at
 * once. Needs root to mount the tmpfs (CI runs as root).
 */
class RocksChunkStoreDiskFullIT {
  @TempDir Path temp;

  private static boolean run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void fullDiskGivesAClearErrorAndLosesNothingStored() throws Exception {
    fillUp(true);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void fullDiskWithValuesInRocksDbGivesAClearErrorAndLosesNothingStored() throws Exception {
    fillUp(false);
  }

  private void fillUp(boolean valueFiles) throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
    Path mount = Files.createDirectory(temp.resolve("tiny"));
    Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mount.toString()),
        "cannot mount a tmpfs here");
    try {
      Path dir = mount.resolve("store");
      List<Segment> stored = new ArrayList<>();
      ChunkStoreException failure = null;
      SplittableRandom random = new SplittableRandom(11);
      RocksChunkStore store = RocksChunkStore.at(dir).capacityBytes(1L << 30).valueFiles(valueFiles).open();
      Segment failed = null;
      int failedIndex = -1;
      try {
        outer:
        for (int n = 0; n < 100; n++) { // 100 segments of 4 blocks are far more than 12 MiB
          Segment s = TestSegments.v1(random, 4);
          store.putSegment(s.record());
          for (int i = 0; i < 4; i++) {
            StoreStats before = store.stats();
            try {
              store.putBlock(s.record().id(), i, s.block(i));
            } catch (ChunkStoreException e) {
              failure = e;
              failed = s;
              failedIndex = i;
              assertEquals(before.blocks(), store.stats().blocks(), "a failed put is not counted");
              assertTrue(!store.hasBlock(s.record().id(), i), "a failed put is not claimed");
              break outer;
            }
          }
          stored.add(s);
        }
        assertTrue(failure != null, "12 MiB should have run out");
        assertTrue(failure.getMessage().contains("disk full"), failure.getMessage());
        // Issue 11: a precise, catchable type: callers pass verified bytes through on StoreFullException.
        assertTrue(failure instanceof dev.peerdist.chunkstore.DiskFullException, failure.toString());
        assertTrue(failure instanceof dev.peerdist.chunkstore.StoreFullException, failure.toString());
        assertEquals(dev.peerdist.chunkstore.StoreHealth.State.DEGRADED, store.health().state());
        assertTrue(store.health().detail().contains("disk full"), store.health().toString());
        assertTrue(failure.getMessage().contains(dir.toAbsolutePath().toString()), failure.getMessage());
        for (Segment s : stored) {
          for (int i = 0; i < 4; i++) {
            assertArrayEquals(s.block(i), store.readBlock(s.record().id(), i).orElseThrow(),
                "block stored before the disk filled");
          }
        }
        if (valueFiles) {
          assertTrue(failure.getMessage().contains("value file"), failure.getMessage());
          // Space comes back with a removed segment's file, and the failed block can be put.
          assertTrue(store.removeSegment(stored.remove(0).record().id()));
          store.putBlock(failed.record().id(), failedIndex, failed.block(failedIndex));
          assertTrue(store.hasBlock(failed.record().id(), failedIndex));
          store.close();
          store = RocksChunkStore.at(dir).createIfMissing(false).open();
          RocksChunkStoreCrashIT.checkEverythingVerifies(store, "after the disk was full");
          for (Segment s : stored) {
            assertEquals(4, store.presentBlocks(s.record().id()).cardinality());
          }
        }
      } finally {
        try {
          store.close();
        } catch (ChunkStoreException e) {
          // Closing may fail to sync the WAL on a full disk; the data above was already checked.
        }
      }
    } finally {
      run("umount", mount.toString());
    }
  }
}
