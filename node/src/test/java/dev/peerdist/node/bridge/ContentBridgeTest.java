package dev.peerdist.node.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationGenerator;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.content.ServerSecret;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The V1/V2 bridge over real content information of the same bytes. */
class ContentBridgeTest {
  private static final int SIZE = SegmentRecord.V1_SEGMENT_SIZE + 300_000; // two V1 segments
  private static final byte[] CONTENT = new byte[SIZE];
  private static final ContentInformation V1;
  private static final ContentInformation V2;
  /** V2 content information of slightly different bytes of the same length. */
  private static final ContentInformation WRONG_V2;

  static {
    new Random(5).nextBytes(CONTENT);
    ServerSecret secret = ServerSecret.ofKeyMaterial("bridge test".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    V1 = ContentInformationGenerator.builder(secret).version(ContentVersion.V1).build().generate(CONTENT);
    V2 = ContentInformationGenerator.builder(secret).version(ContentVersion.V2).build().generate(CONTENT);
    byte[] other = CONTENT.clone();
    for (int i = 0; i < SIZE; i += 4096) {
      other[i] ^= 1;
    }
    WRONG_V2 = ContentInformationGenerator.builder(secret).version(ContentVersion.V2).build().generate(other);
  }

  @TempDir Path temp;
  private ChunkStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private ContentBridge bridge(ChunkStore s) {
    return new ContentBridge(s, Clock.systemUTC(), new SplittableRandom(1));
  }

  /** Puts V1 segment {@code i} with all its blocks, or only {@code blocks} when given. */
  private static void putV1(ChunkStore s, int i, int... only) {
    SegmentRecord r = SegmentRecords.from(V1, i);
    s.putSegment(r);
    long start = V1.segmentRange(i).start();
    for (int b = 0; b < r.blockCount(); b++) {
      int bb = b;
      if (only.length > 0 && Arrays.stream(only).noneMatch(x -> x == bb)) {
        continue;
      }
      int off = (int) (start + (long) b * SegmentRecord.V1_BLOCK_SIZE);
      s.putBlock(r.id(), b, CONTENT, off, r.blockLength(b));
    }
  }

  private static byte[] open(StoredBlock b, int j) {
    SegmentRecord r = SegmentRecords.from(V2, j);
    byte[] plain = BlockCipher.decrypt(b.cryptoAlgoId(), r.segmentSecret(), b.iv(), b.cipherText(), 0,
        b.cipherText().length);
    return Arrays.copyOf(plain, r.segmentLength());
  }

  private static byte[] expected(int j) {
    ByteRange r = V2.segmentRange(j);
    return Arrays.copyOfRange(CONTENT, (int) r.start(), (int) r.end());
  }

  @Test
  void everyV2SegmentIsServedFromV1BlocksVerifiedAndReEncryptedUnderItsOwnKey() {
    store = new InMemoryChunkStore(256L << 20);
    putV1(store, 0);
    putV1(store, 1);
    ContentBridge b = bridge(store);
    assertEquals(V2.segmentCount(), b.register(V1, V2));
    assertTrue(V2.segmentCount() > 256, "32.3 MiB in V2 segments of at most 128 KiB: " + V2.segmentCount());
    for (int j = 0; j < V2.segmentCount(); j++) {
      SegmentId id = V2.segmentId(j);
      assertTrue(b.holds(id), "segment " + j);
      StoredBlock blk = b.storedBlock(id, 0).orElseThrow();
      assertEquals(BlockCipher.AES_256, blk.cryptoAlgoId(), "PROTOCOL.md §4.5: label 3, key Kp");
      assertArrayEquals(expected(j), open(blk, j), "segment " + j);
    }
    assertEquals(V2.segmentCount(), b.stats().served());
    assertEquals(Optional.empty(), b.storedBlock(V2.segmentId(0), 1), "a V2 segment is block 0 only");
    assertEquals(0, b.register(V1, V2), "registered once");
  }

  @Test
  void aV2SegmentIsHeldOnlyWhenEveryV1BlockUnderItIsHeld() {
    store = new InMemoryChunkStore(256L << 20);
    putV1(store, 0, 0, 1); // the first 128 KiB of the content only
    ContentBridge b = bridge(store);
    b.register(V1, V2);
    int heldSegments = 0;
    for (int j = 0; j < V2.segmentCount(); j++) {
      ByteRange r = V2.segmentRange(j);
      boolean inside = r.end() <= 2L * SegmentRecord.V1_BLOCK_SIZE;
      assertEquals(inside, b.holds(V2.segmentId(j)), "segment " + j + " " + r);
      assertEquals(inside, b.storedBlock(V2.segmentId(j), 0).isPresent(), "segment " + j);
      heldSegments += inside ? 1 : 0;
    }
    assertTrue(heldSegments >= 1, "at least one V2 segment lies in the first 128 KiB");
  }

  @Test
  void evictingTheV1SegmentsMakesTheBridgeAnswerNotHeldAndDropsItsEntries() {
    store = new InMemoryChunkStore(256L << 20);
    putV1(store, 0);
    putV1(store, 1);
    ContentBridge b = bridge(store);
    b.register(V1, V2);
    SegmentId first = V2.segmentId(0);
    SegmentId last = V2.segmentId(V2.segmentCount() - 1);
    store.removeSegment(V1.segmentId(0));
    assertFalse(b.holds(first));
    assertTrue(b.holds(last), "the second V1 segment still serves the end");
    store.removeSegment(V1.segmentId(1));
    assertFalse(b.holds(last));
    assertEquals(1, b.stats().dropped(), "no V1 segment left: the content's entries are gone");
    assertTrue(store.sideTable().scan(new byte[0], null, 10).isEmpty(), "side table emptied");
  }

  @Test
  void theMapSurvivesARestartOfTheRocksDbStore() {
    Path dir = temp.resolve("store");
    store = RocksChunkStore.at(dir).blockCacheBytes(8 << 20).open();
    putV1(store, 0);
    putV1(store, 1);
    bridge(store).register(V1, V2);
    store.close();
    store = RocksChunkStore.at(dir).blockCacheBytes(8 << 20).createIfMissing(false).open();
    ContentBridge again = bridge(store);
    assertEquals(0, again.sweep(), "nothing to clean up");
    assertTrue(again.covers(V1));
    int j = V2.segmentCount() / 2;
    assertArrayEquals(expected(j), open(again.storedBlock(V2.segmentId(j), 0).orElseThrow(), j));
  }

  @Test
  void v2InformationOfOtherBytesIsRefusedAndLeavesNothingBehind() {
    store = new InMemoryChunkStore(256L << 20);
    putV1(store, 0);
    putV1(store, 1);
    ContentInformation wrongV2 = WRONG_V2;
    ContentBridge b = bridge(store);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.register(V1, wrongV2));
    assertTrue(e.getMessage().contains("different bytes"), e.getMessage());
    assertTrue(store.sideTable().scan(new byte[0], null, 10).isEmpty());
    assertFalse(b.covers(V1));
    assertThrows(IllegalArgumentException.class, () -> b.register(V2, V1), "versions swapped");
    assertThrows(IllegalArgumentException.class,
        () -> b.register(V1.forRange(new ByteRange(0, 1000)), V2), "a range is not the whole content");
  }

  @Test
  void aMismatchFoundWhileServingDropsTheContent() {
    store = new InMemoryChunkStore(256L << 20);
    ContentBridge b = bridge(store);
    // Registered before any V1 byte is here, so the spot checks could not catch the lie.
    ContentInformation wrongV2 = WRONG_V2;
    b.register(V1, wrongV2);
    putV1(store, 0);
    putV1(store, 1);
    assertTrue(b.holds(wrongV2.segmentId(0)), "held as far as the blocks go");
    assertEquals(Optional.empty(), b.storedBlock(wrongV2.segmentId(0), 0), "never served unverified");
    assertEquals(1, b.stats().mismatches());
    assertFalse(b.holds(wrongV2.segmentId(1)), "the whole content was dropped");
  }
}
