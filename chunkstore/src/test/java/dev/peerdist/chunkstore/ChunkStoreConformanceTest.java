package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link ChunkStore} contract, run against every implementation (HOUSE-STYLE 17). A subclass
 * supplies {@link #newStore} and, when its store persists, {@link #reopen}; it must also be able
 * to damage a stored block as a disk would ({@link #damage}).
 *
 * <p>Exported in the chunkstore test-jar: another implementation (or a wrapper) gets the whole
 * suite by extending this class.
 */
public abstract class ChunkStoreConformanceTest {
  /** Enough for everything the tests put unless a test sets a smaller one. */
  protected static final long LARGE = 64L << 20;

  /** A clock tests move by hand; last-access times come from it. */
  protected static final class ManualClock extends Clock {
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    public void advance(long ms) {
      millis.addAndGet(ms);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  protected final ManualClock clock = new ManualClock();
  private final SplittableRandom random = new SplittableRandom(20261125L);
  private final List<ChunkStore> opened = new ArrayList<>();

  /** A new, empty store. */
  protected abstract ChunkStore newStore(long capacityBytes, Clock clock, RandomGenerator random);

  /** Whether {@link #reopen} is supported; only a store with no persistence may say no. */
  protected boolean canReopen() {
    return true;
  }

  /**
   * Closes {@code store} and opens the same storage again (with the same clock and a fresh random
   * source). Implementations that persist must support it.
   */
  protected ChunkStore reopen(ChunkStore store) {
    throw new UnsupportedOperationException("reopen");
  }

  /**
   * Replaces the stored bytes of a held block with {@code value}, as disk damage would, and
   * returns the store to continue with (a persisting store may close and reopen to do it).
   */
  protected abstract ChunkStore damage(ChunkStore store, SegmentId id, int index, byte[] value);

  private ChunkStore open(long capacity) {
    ChunkStore s = track(newStore(capacity, clock, new SplittableRandom(7)));
    return s;
  }

  /** Registers a store for closing after the test. */
  protected final ChunkStore track(ChunkStore s) {
    opened.add(s);
    return s;
  }

  @AfterEach
  void closeStores() {
    for (ChunkStore s : opened) {
      s.close();
    }
  }

  private ChunkStore reopenTracked(ChunkStore s) {
    ChunkStore again = reopen(s);
    return track(again);
  }

  private Segment v1(int blocks) {
    return TestSegments.v1(random, blocks);
  }

  private static void putAll(ChunkStore store, Segment s) {
    store.putSegment(s.record());
    for (int i = 0; i < s.record().blockCount(); i++) {
      store.putBlock(s.record().id(), i, s.block(i));
    }
  }

  // ------------------------------------------------------------------ records

  @Test
  void recordIsPutOnceAndListedInUnsignedOrder() {
    ChunkStore store = open(LARGE);
    Segment a = v1(2);
    Segment b = TestSegments.v2(random, 1000);
    assertTrue(store.putSegment(a.record()));
    assertFalse(store.putSegment(a.record()), "second put of the same record");
    assertTrue(store.putSegment(b.record()));
    assertEquals(Optional.of(a.record()), store.segment(a.record().id()));
    assertEquals(2, store.segment(a.record().id()).orElseThrow().blockCount());
    List<SegmentId> expected = new ArrayList<>(List.of(a.record().id(), b.record().id()));
    expected.sort(null);
    assertEquals(expected, store.segments());
    assertEquals(Optional.empty(), store.segment(v1(1).record().id()));
    assertEquals(new BitSet(), store.presentBlocks(a.record().id()), "no blocks yet");
  }

  @Test
  void blockOfUnknownSegmentIsRefused() {
    ChunkStore store = open(LARGE);
    Segment a = v1(1);
    var e = assertThrows(UnknownSegmentException.class, () -> store.putBlock(a.record().id(), 0, a.block(0)));
    assertTrue(e.getMessage().contains(a.record().id().toHex()), e.getMessage());
    assertEquals(0, store.stats().blocks());
  }

  // ------------------------------------------------------------------ blocks

  @Test
  void verifiedBlocksAreStoredAndReadBackWhetherOrNotTheyCarryTheirStoredForm() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_256, 3 * 65536 + 77);
    SegmentRecord r = a.record();
    store.putSegment(r);
    assertNull(r.verify(0, a.block(1), 0, a.block(1).length), "another block's bytes do not verify");
    // Block 0: verified plaintext only; block 1: opened from the store's own served form (seal
    // reused); block 2: opened from an AES-128 form (no stored form; the store seals it).
    store.putBlock(r.verify(0, a.block(0), 0, a.block(0).length));
    byte[] iv = new byte[16];
    random.nextBytes(iv);
    byte[] ct1 = dev.peerdist.chunkstore.content.BlockCipher.encrypt(
        dev.peerdist.chunkstore.content.BlockCipher.AES_256, r.segmentSecret(), iv, a.block(1), 0, a.block(1).length);
    VerifiedBlock sealed = r.openSealed(1, dev.peerdist.chunkstore.content.BlockCipher.AES_256, iv, ct1);
    assertNotNull(sealed);
    assertTrue(sealed.hasSealedForm());
    store.putBlock(sealed);
    byte[] ct2 = dev.peerdist.chunkstore.content.BlockCipher.encrypt(
        dev.peerdist.chunkstore.content.BlockCipher.AES_128, r.segmentSecret(), iv, a.block(2), 0, a.block(2).length);
    VerifiedBlock other = r.openSealed(2, dev.peerdist.chunkstore.content.BlockCipher.AES_128, iv, ct2);
    assertFalse(other.hasSealedForm());
    store.putBlock(other);
    ct2[5] ^= 1;
    assertNull(r.openSealed(2, dev.peerdist.chunkstore.content.BlockCipher.AES_128, iv, ct2), "tampered");
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(a.block(i), store.readBlock(r.id(), i).orElseThrow(), "block " + i);
    }
    StoredBlock served = store.storedBlock(r.id(), 1).orElseThrow();
    assertArrayEquals(iv, served.iv(), "the received form is what is served");
    assertArrayEquals(ct1, served.cipherText());
    assertEquals(TestSegments.footprint(a, 0, 1, 2), store.stats().usedBytes());
    Segment b = v1(1);
    var e = assertThrows(UnknownSegmentException.class,
        () -> store.putBlock(b.record().verify(0, b.block(0), 0, b.block(0).length)));
    assertTrue(e.getMessage().contains(b.record().id().toHex()), e.getMessage());
  }

  @Test
  void blocksRoundTripAndPartialSegmentsAreNormal() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_256, 3 * 65536 + 1234);
    SegmentId id = a.record().id();
    store.putSegment(a.record());
    store.putBlock(id, 3, a.block(3));
    store.putBlock(id, 1, a.block(1));
    BitSet expected = new BitSet();
    expected.set(1);
    expected.set(3);
    assertEquals(expected, store.presentBlocks(id));
    assertTrue(store.hasBlock(id, 1));
    assertFalse(store.hasBlock(id, 0));
    assertFalse(store.hasBlock(id, 99));
    assertFalse(store.hasBlock(id, -1));
    assertArrayEquals(a.block(1), store.readBlock(id, 1).orElseThrow());
    assertArrayEquals(a.block(3), store.readBlock(id, 3).orElseThrow());
    assertEquals(1234, store.readBlock(id, 3).orElseThrow().length);
    assertEquals(Optional.empty(), store.readBlock(id, 0));
    assertEquals(Optional.empty(), store.storedBlock(id, 2));
    assertEquals(Optional.empty(), store.readBlock(v1(1).record().id(), 0));
  }

  @Test
  void everyAlgorithmAndVersionIsStored() {
    ChunkStore store = open(LARGE);
    List<Segment> all = List.of(
        TestSegments.v1(random, HashAlgorithm.SHA_256, 70000),
        TestSegments.v1(random, HashAlgorithm.SHA_384, 70000),
        TestSegments.v1(random, HashAlgorithm.SHA_512, 70000),
        TestSegments.v2(random, 1),
        TestSegments.v2(random, SegmentRecord.V2_MAX_SEGMENT_SIZE));
    for (Segment s : all) {
      putAll(store, s);
    }
    for (Segment s : all) {
      for (int i = 0; i < s.record().blockCount(); i++) {
        assertArrayEquals(s.block(i), store.readBlock(s.record().id(), i).orElseThrow(), s.record() + " " + i);
      }
    }
    assertEquals(5, store.stats().segments());
    assertEquals(2 * 3 + 2, store.stats().blocks());
  }

  @Test
  void blockAtAnOffsetOfALargerArrayIsStored() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v2(random, 5000);
    store.putSegment(a.record());
    byte[] buffer = new byte[7000];
    System.arraycopy(a.block(0), 0, buffer, 1000, 5000);
    store.putBlock(a.record().id(), 0, buffer, 1000, 5000);
    assertArrayEquals(a.block(0), store.readBlock(a.record().id(), 0).orElseThrow());
  }

  @Test
  void storedFormIsAes256CbcUnderKpWithPkcs7AndARandomIv() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_512, 65536 + 100);
    SegmentId id = a.record().id();
    putAll(store, a);
    for (int i = 0; i < 2; i++) {
      StoredBlock sb = store.storedBlock(id, i).orElseThrow();
      assertEquals(BlockCipher.AES_256, sb.cryptoAlgoId());
      assertEquals(16, sb.iv().length);
      int len = a.record().blockLength(i);
      assertEquals(BlockCipher.paddedLength(len), sb.cipherText().length, "PKCS#7 padded length");
      byte[] kp = a.record().segmentSecret();
      byte[] plain = BlockCipher.decrypt(BlockCipher.AES_256, Arrays.copyOf(kp, 32), sb.iv(),
          sb.cipherText(), 0, sb.cipherText().length);
      assertArrayEquals(a.block(i), Arrays.copyOf(plain, len));
      int pad = BlockCipher.paddedLength(len) - len;
      for (int p = len; p < plain.length; p++) {
        assertEquals(pad, plain[p], "PKCS#7 padding byte");
      }
      assertFalse(Arrays.equals(a.block(i), 0, 64, sb.cipherText(), 0, 64), "stored form is not plaintext");
    }
    assertFalse(Arrays.equals(store.storedBlock(id, 0).orElseThrow().iv(), store.storedBlock(id, 1).orElseThrow().iv()),
        "each block gets its own IV");
  }

  @Test
  void storedBlockArraysBelongToTheCaller() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v2(random, 4000);
    putAll(store, a);
    StoredBlock first = store.storedBlock(a.record().id(), 0).orElseThrow();
    byte[] ct = first.cipherText().clone();
    Arrays.fill(first.cipherText(), (byte) 0);
    Arrays.fill(first.iv(), (byte) 0);
    assertArrayEquals(ct, store.storedBlock(a.record().id(), 0).orElseThrow().cipherText());
    byte[] plain = store.readBlock(a.record().id(), 0).orElseThrow();
    Arrays.fill(plain, (byte) 0);
    assertArrayEquals(a.block(0), store.readBlock(a.record().id(), 0).orElseThrow());
  }

  @Test
  void puttingAHeldBlockAgainChangesNothing() {
    ChunkStore store = open(LARGE);
    Segment a = v1(1);
    putAll(store, a);
    StoreStats before = store.stats();
    StoredBlock stored = store.storedBlock(a.record().id(), 0).orElseThrow();
    store.putBlock(a.record().id(), 0, a.block(0));
    assertEquals(before, store.stats());
    assertArrayEquals(stored.iv(), store.storedBlock(a.record().id(), 0).orElseThrow().iv());
  }

  // ------------------------------------------------------------------ verification

  @Test
  void blocksThatDoNotVerifyChangeNothing() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_256, 2 * 65536 + 10);
    SegmentId id = a.record().id();
    store.putSegment(a.record());
    store.putBlock(id, 0, a.block(0));
    StoreStats before = store.stats();

    byte[] flipped = a.block(1);
    flipped[777] ^= 1;
    var e = assertThrows(BlockVerificationException.class, () -> store.putBlock(id, 1, flipped));
    assertTrue(e.getMessage().contains("block 1") && e.getMessage().contains(id.toHex()), e.getMessage());
    assertThrows(BlockVerificationException.class, () -> store.putBlock(id, 1, a.block(0)), "another block's bytes");
    assertThrows(BlockVerificationException.class, () -> store.putBlock(id, 2, Arrays.copyOf(a.block(2), 11)),
        "right bytes plus one");
    assertThrows(BlockVerificationException.class, () -> store.putBlock(id, 1, Arrays.copyOf(a.block(1), 65535)),
        "short block");
    assertThrows(BlockVerificationException.class, () -> store.putBlock(id, 3, a.block(2)), "index past the end");
    assertThrows(BlockVerificationException.class, () -> store.putBlock(id, -1, a.block(0)), "negative index");

    assertEquals(before, store.stats());
    BitSet only0 = new BitSet();
    only0.set(0);
    assertEquals(only0, store.presentBlocks(id));
    assertEquals(Optional.empty(), store.readBlock(id, 1));
  }

  @Test
  void blockThatNoLongerVerifiesIsDroppedAndCounted() {
    ChunkStore store = open(LARGE);
    Segment a = v1(3);
    SegmentId id = a.record().id();
    putAll(store, a);
    long used = store.stats().usedBytes();
    StoredBlock good = store.storedBlock(id, 1).orElseThrow();
    byte[] value = new byte[16 + good.cipherText().length];
    System.arraycopy(good.iv(), 0, value, 0, 16);
    System.arraycopy(good.cipherText(), 0, value, 16, good.cipherText().length);
    value[5000] ^= 0x40; // one flipped bit in the ciphertext
    store = track(damage(store, id, 1, value));

    assertEquals(Optional.empty(), store.readBlock(id, 1));
    assertFalse(store.hasBlock(id, 1));
    StoreStats after = store.stats();
    assertEquals(1, after.droppedCorruptBlocks());
    assertEquals(2, after.blocks());
    assertEquals(used - CapacityLedger.blockFootprint(65536), after.usedBytes());
    assertArrayEquals(a.block(0), store.readBlock(id, 0).orElseThrow(), "neighbours are untouched");
    assertArrayEquals(a.block(2), store.readBlock(id, 2).orElseThrow());
    store.putBlock(id, 1, a.block(1));
    assertArrayEquals(a.block(1), store.readBlock(id, 1).orElseThrow(), "a good copy can be put again");
  }

  @Test
  void truncatedStoredValueIsNeverServed() {
    ChunkStore store = open(LARGE);
    Segment a = v1(1);
    SegmentId id = a.record().id();
    putAll(store, a);
    store = track(damage(store, id, 0, new byte[100]));
    assertEquals(Optional.empty(), store.storedBlock(id, 0));
    assertFalse(store.hasBlock(id, 0));
    assertEquals(1, store.stats().droppedCorruptBlocks());
  }

  // ------------------------------------------------------------------ accounting, LRU, pins

  @Test
  void accountingCountsRecordsIvsAndCiphertexts() {
    ChunkStore store = open(LARGE);
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_384, 2 * 65536 + 3);
    Segment b = TestSegments.v2(random, 40000);
    store.putSegment(a.record());
    store.putSegment(b.record());
    assertEquals(TestSegments.footprint(a) + TestSegments.footprint(b), store.stats().usedBytes());
    store.putBlock(a.record().id(), 2, a.block(2));
    store.putBlock(b.record().id(), 0, b.block(0));
    StoreStats st = store.stats();
    assertEquals(TestSegments.footprint(a, 2) + TestSegments.footprint(b, 0), st.usedBytes());
    assertEquals(16 + 16, CapacityLedger.blockFootprint(3), "3 bytes pad to one AES block");
    assertEquals(16 + 65552, CapacityLedger.blockFootprint(65536), "a full block gains a padding block");
    assertEquals(2, st.segments());
    assertEquals(2, st.blocks());
    assertEquals(LARGE, st.capacityBytes());
    assertEquals(0, st.pinnedBytes());
    SegmentInfo info = store.segmentInfo(a.record().id()).orElseThrow();
    assertEquals(TestSegments.footprint(a, 2), info.storedBytes());
    assertEquals(3, info.blockCount());
    assertEquals(1, info.presentBlocks());
    assertEquals(ContentVersion.V1, info.version());
    assertFalse(info.complete());
    assertTrue(store.segmentInfo(b.record().id()).orElseThrow().complete());
    assertTrue(store.removeSegment(a.record().id()));
    assertFalse(store.removeSegment(a.record().id()));
    assertEquals(TestSegments.footprint(b, 0), store.stats().usedBytes());
    assertEquals(Optional.empty(), store.readBlock(a.record().id(), 2));
    assertEquals(Optional.empty(), store.segmentInfo(a.record().id()));
  }

  @Test
  void leastRecentlyUsedUnpinnedSegmentIsEvictedWhole() {
    Segment a = v1(2);
    Segment b = v1(2);
    Segment c = v1(2);
    Segment d = v1(2);
    long each = TestSegments.fullFootprint(a);
    ChunkStore store = open(3 * each + 1000);
    putAll(store, a);
    clock.advance(1000);
    putAll(store, b);
    clock.advance(1000);
    putAll(store, c);
    clock.advance(1000);
    store.readBlock(a.record().id(), 1); // a is now the most recent; b the least
    assertEquals(List.of(b.record().id(), c.record().id(), a.record().id()),
        store.segmentsByLastAccess().stream().map(SegmentInfo::id).toList());
    putAll(store, d);

    assertEquals(Optional.empty(), store.segment(b.record().id()));
    assertEquals(new BitSet(), store.presentBlocks(b.record().id()));
    assertEquals(Optional.empty(), store.readBlock(b.record().id(), 0));
    for (Segment s : List.of(a, c, d)) {
      assertEquals(2, store.presentBlocks(s.record().id()).cardinality(), "kept " + s.record());
    }
    StoreStats st = store.stats();
    assertEquals(1, st.evictedSegments());
    assertEquals(3 * each, st.usedBytes());
    assertTrue(st.usedBytes() <= st.capacityBytes());
  }

  @Test
  void storedBlockReadsCountAsUse() {
    Segment a = v1(1);
    Segment b = v1(1);
    Segment c = v1(1);
    ChunkStore store = open(2 * TestSegments.fullFootprint(a) + 100);
    putAll(store, a);
    putAll(store, b);
    store.storedBlock(a.record().id(), 0);
    putAll(store, c);
    assertTrue(store.hasBlock(a.record().id(), 0));
    assertFalse(store.hasBlock(b.record().id(), 0));
  }

  @Test
  void pinnedSegmentsAreNeverEvictedAndAFullStoreRefuses() {
    Segment a = v1(2);
    Segment b = v1(2);
    Segment c = v1(2);
    long each = TestSegments.fullFootprint(a);
    ChunkStore store = open(2 * each + 50); // too little slack for another record
    putAll(store, a);
    putAll(store, b);
    store.pin(a.record().id());
    assertTrue(store.isPinned(a.record().id()));
    assertFalse(store.isPinned(b.record().id()));
    assertEquals(each, store.stats().pinnedBytes());
    putAll(store, c); // evicts b, the only unpinned one, although a is older
    assertTrue(store.segment(a.record().id()).isPresent());
    assertTrue(store.segment(b.record().id()).isEmpty());
    store.pin(c.record().id());
    assertEquals(2 * each, store.stats().pinnedBytes());

    Segment d = v1(1);
    StoreStats before = store.stats();
    var e = assertThrows(StoreFullException.class, () -> store.putSegment(d.record()));
    assertTrue(e.getMessage().contains("full"), e.getMessage());
    assertEquals(before, store.stats(), "a refused put changes nothing");
    assertTrue(store.segment(d.record().id()).isEmpty());

    store.unpin(c.record().id());
    assertFalse(store.isPinned(c.record().id()));
    assertEquals(each, store.stats().pinnedBytes());
    putAll(store, d); // c is evictable again
    assertTrue(store.segment(c.record().id()).isEmpty());
    assertTrue(store.segment(a.record().id()).isPresent());
  }

  @Test
  void theSegmentBeingWrittenIsNotEvictedForItsOwnBlocks() {
    Segment a = v1(3);
    ChunkStore store = open(TestSegments.footprint(a, 0, 1) + 10);
    store.putSegment(a.record());
    store.putBlock(a.record().id(), 0, a.block(0));
    store.putBlock(a.record().id(), 1, a.block(1));
    StoreStats before = store.stats();
    assertThrows(StoreFullException.class, () -> store.putBlock(a.record().id(), 2, a.block(2)));
    assertEquals(before, store.stats());
    assertEquals(2, store.presentBlocks(a.record().id()).cardinality());
  }

  /**
   * Issue 11: with a cache smaller than what a download has in flight, a put for one segment must
   * not evict another segment that is still being written (the download would lose it "while
   * block N was being put"); the put is refused instead, and the store stays consistent.
   */
  @Test
  void segmentsBeingWrittenAreNotEvictedToMakeRoomForOthers() {
    Segment a = v1(2);
    Segment b = v1(2);
    ChunkStore store = open(TestSegments.footprint(a, 0) + TestSegments.footprint(b, 0) + 100);
    store.putSegment(a.record());
    store.putBlock(a.record().id(), 0, a.block(0));
    store.putSegment(b.record());
    store.putBlock(b.record().id(), 0, b.block(0));
    StoreStats before = store.stats();
    var e = assertThrows(StoreFullException.class, () -> store.putBlock(b.record().id(), 1, b.block(1)));
    assertTrue(e.getMessage().contains("being written"), e.getMessage());
    assertEquals(before, store.stats(), "a refused put changes nothing");
    assertTrue(store.hasBlock(a.record().id(), 0), "the other download's segment is still there");
    // Once a's writer has been quiet for the write window, a is an ordinary LRU victim again.
    clock.advance(CapacityLedger.DEFAULT_WRITE_WINDOW.toMillis() + 1);
    store.putBlock(b.record().id(), 0, b.block(0)); // b is written again now; a is not
    store.putBlock(b.record().id(), 1, b.block(1));
    assertTrue(store.segment(a.record().id()).isEmpty(), "the abandoned partial segment was evicted");
    assertEquals(2, store.presentBlocks(b.record().id()).cardinality());
    assertEquals(1, store.stats().evictedSegments());
  }

  @Test
  void completeSegmentsAreEvictedBeforeAnyPutIsRefused() {
    Segment a = v1(1);
    Segment b = v1(2);
    ChunkStore store = open(TestSegments.fullFootprint(a) + TestSegments.footprint(b, 0) + 100);
    putAll(store, a); // complete: evictable at once
    store.putSegment(b.record());
    store.putBlock(b.record().id(), 0, b.block(0));
    store.putBlock(b.record().id(), 1, b.block(1));
    assertTrue(store.segment(a.record().id()).isEmpty());
    assertEquals(2, store.presentBlocks(b.record().id()).cardinality());
  }

  /** Capacity 0 is pass-through only: nothing is stored, every put says so, health says so. */
  @Test
  void capacityZeroIsPassThroughOnly() {
    ChunkStore store = open(0);
    Segment a = v1(1);
    var e = assertThrows(StoreFullException.class, () -> store.putSegment(a.record()));
    assertTrue(e.getMessage().contains("pass-through only"), e.getMessage());
    assertEquals(0, store.stats().segments());
    assertEquals(StoreHealth.State.DEGRADED, store.health().state());
    assertTrue(store.health().detail().contains("pass-through only"), store.health().toString());
  }

  @Test
  void healthIsOkUntilSomethingIsLostAndSaysWhat() {
    ChunkStore store = open(LARGE);
    assertEquals(StoreHealth.OK, store.health());
    Segment a = v1(2);
    putAll(store, a);
    store = track(damage(store, a.record().id(), 1, new byte[7]));
    assertEquals(StoreHealth.OK, store.health(), "damage is found when the block is read");
    assertEquals(Optional.empty(), store.readBlock(a.record().id(), 1));
    assertEquals(StoreHealth.State.DEGRADED, store.health().state());
    assertTrue(store.health().toString().startsWith("degraded: 1 corrupt or lost block dropped"),
        store.health().toString());
    store.close();
    assertEquals(StoreHealth.State.DEGRADED, store.health().state(), "health never throws, also when closed");
  }

  @Test
  void pinningUnknownSegmentIsRefused() {
    ChunkStore store = open(LARGE);
    SegmentId id = v1(1).record().id();
    assertThrows(UnknownSegmentException.class, () -> store.pin(id));
    assertThrows(UnknownSegmentException.class, () -> store.unpin(id));
    assertFalse(store.isPinned(id));
  }

  @Test
  void shrinkingCapacityEvictsLruAndKeepsPins() {
    Segment a = v1(1);
    Segment b = v1(1);
    Segment c = v1(1);
    long each = TestSegments.fullFootprint(a);
    ChunkStore store = open(LARGE);
    putAll(store, a);
    putAll(store, b);
    putAll(store, c);
    store.pin(a.record().id());
    store.setCapacity(2 * each);
    assertEquals(2 * each, store.stats().capacityBytes());
    assertTrue(store.segment(a.record().id()).isPresent(), "pinned");
    assertTrue(store.segment(b.record().id()).isEmpty(), "least recently used unpinned");
    assertTrue(store.segment(c.record().id()).isPresent());
    store.setCapacity(0);
    assertEquals(List.of(a.record().id()), store.segments(), "pins outlive even a zero limit");
    assertThrows(IllegalArgumentException.class, () -> store.setCapacity(-1));
  }

  @Test
  void evictToFreesLeastRecentFirst() {
    ChunkStore store = open(LARGE);
    List<Segment> segs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Segment s = v1(1);
      segs.add(s);
      putAll(store, s);
    }
    long each = TestSegments.fullFootprint(segs.get(0));
    assertEquals(0, store.evictTo(LARGE));
    assertEquals(2, store.evictTo(3 * each));
    assertEquals(
        List.of(segs.get(2).record().id(), segs.get(3).record().id(), segs.get(4).record().id()),
        store.segmentsByLastAccess().stream().map(SegmentInfo::id).toList());
    assertEquals(2, store.stats().evictedSegments());
    assertThrows(IllegalArgumentException.class, () -> store.evictTo(-5));
  }

  @Test
  void lastAccessComesFromTheInjectedClock() {
    ChunkStore store = open(LARGE);
    Segment a = v1(1);
    Instant t0 = clock.instant();
    putAll(store, a);
    assertEquals(t0, store.segmentInfo(a.record().id()).orElseThrow().lastAccess());
    clock.advance(60_000);
    store.readBlock(a.record().id(), 0);
    assertEquals(t0.plusSeconds(60), store.segmentInfo(a.record().id()).orElseThrow().lastAccess());
    clock.advance(60_000);
    store.hasBlock(a.record().id(), 0);
    store.presentBlocks(a.record().id());
    assertEquals(t0.plusSeconds(60), store.segmentInfo(a.record().id()).orElseThrow().lastAccess(),
        "presence queries are not uses");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void randomOperationsKeepTheInvariants() {
    // A seeded walk through puts, reads, pins, unpins and removals under a tight capacity; after
    // every step the store must agree with itself and with what the walk knows must hold.
    SplittableRandom r = new SplittableRandom(424242);
    List<Segment> universe = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      universe.add(i % 3 == 0 ? TestSegments.v2(r, 1 + r.nextInt(20000)) : TestSegments.v1(r, HashAlgorithm.SHA_256,
          1 + r.nextInt(3 * 65536)));
    }
    long capacity = 5 * TestSegments.fullFootprint(universe.get(1));
    ChunkStore store = open(capacity);
    java.util.Map<SegmentId, BitSet> putOk = new java.util.HashMap<>();
    java.util.Set<SegmentId> pinned = new java.util.HashSet<>();
    for (int step = 0; step < 400; step++) {
      Segment s = universe.get(r.nextInt(universe.size()));
      SegmentId id = s.record().id();
      String what = "step " + step;
      StoreStats before = store.stats();
      int op = r.nextInt(10);
      try {
        if (op < 5) {
          store.putSegment(s.record());
          int i = r.nextInt(s.record().blockCount());
          store.putBlock(id, i, s.block(i));
          putOk.computeIfAbsent(id, k -> new BitSet()).set(i);
        } else if (op < 7) {
          int i = r.nextInt(s.record().blockCount());
          store.readBlock(id, i).ifPresent(b -> assertArrayEquals(s.block(i), b, what));
        } else if (op == 7 && store.segment(id).isPresent() && pinned.size() < 2) {
          store.pin(id);
          pinned.add(id);
        } else if (op == 8 && pinned.contains(id)) {
          store.unpin(id);
          pinned.remove(id);
        } else if (op == 9) {
          store.removeSegment(id);
          putOk.remove(id);
          pinned.remove(id);
        }
      } catch (StoreFullException e) {
        StoreStats after = store.stats();
        assertEquals(before.blocks(), after.blocks(), what + ": a refused put stores nothing");
      }
      // Segments gone by eviction lose what the walk put into them.
      putOk.keySet().removeIf(k -> store.segment(k).isEmpty());
      StoreStats st = store.stats();
      long used = 0;
      long blocks = 0;
      long pinnedBytes = 0;
      for (SegmentInfo info : store.segmentsByLastAccess()) {
        used += info.storedBytes();
        blocks += info.presentBlocks();
        if (info.pinned()) {
          pinnedBytes += info.storedBytes();
        }
        assertEquals(info.presentBlocks(), store.presentBlocks(info.id()).cardinality(), what);
      }
      assertEquals(used, st.usedBytes(), what);
      assertEquals(blocks, st.blocks(), what);
      assertEquals(pinnedBytes, st.pinnedBytes(), what);
      assertTrue(st.usedBytes() <= capacity, what + ": " + st);
      for (SegmentId p : pinned) {
        assertTrue(store.isPinned(p) && store.segment(p).isPresent(), what + ": pinned segment kept");
      }
      for (var e : putOk.entrySet()) {
        BitSet held = store.presentBlocks(e.getKey());
        BitSet missing = (BitSet) e.getValue().clone();
        missing.andNot(held);
        assertTrue(missing.isEmpty(), what + ": blocks " + missing + " of a kept segment vanished");
      }
    }
    assertTrue(store.stats().evictedSegments() > 0, "the walk exercised eviction");
  }

  // ------------------------------------------------------------------ lifecycle

  @Test
  void closeIsIdempotentAndEveryCallAfterItThrows() {
    ChunkStore store = newStore(LARGE, clock, new SplittableRandom(1));
    Segment a = v1(1);
    putAll(store, a);
    SegmentId id = a.record().id();
    store.close();
    store.close();
    List<Consumer<ChunkStore>> calls = List.of(
        s -> s.putSegment(a.record()),
        s -> s.segment(id),
        s -> s.segments(),
        s -> s.putBlock(id, 0, a.block(0)),
        s -> s.readBlock(id, 0),
        s -> s.storedBlock(id, 0),
        s -> s.hasBlock(id, 0),
        s -> s.presentBlocks(id),
        s -> s.pin(id),
        s -> s.unpin(id),
        s -> s.isPinned(id),
        s -> s.removeSegment(id),
        s -> s.stats(),
        s -> s.segmentInfo(id),
        s -> s.segmentsByLastAccess(),
        s -> s.setCapacity(1),
        s -> s.evictTo(0));
    for (int i = 0; i < calls.size(); i++) {
      Consumer<ChunkStore> call = calls.get(i);
      assertThrows(StoreClosedException.class, () -> call.accept(store), "call #" + i);
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void concurrentPutsAndReadsKeepEveryBlockAndTheAccounts() throws Exception {
    ChunkStore store = open(LARGE);
    List<Segment> segs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Segment s = i % 2 == 0 ? v1(4) : TestSegments.v2(random, 30000 + i);
      segs.add(s);
      store.putSegment(s.record());
    }
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "conformance-worker"));
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int seed = t;
        results.add(pool.submit(() -> {
          // Every thread puts every block (in its own order) and reads back what it finds.
          SplittableRandom r = new SplittableRandom(seed);
          int reads = 0;
          for (int round = 0; round < 3; round++) {
            for (Segment s : segs) {
              int n = s.record().blockCount();
              int start = r.nextInt(n);
              for (int k = 0; k < n; k++) {
                int i = (start + k) % n;
                store.putBlock(s.record().id(), i, s.block(i));
                Segment other = segs.get(r.nextInt(segs.size()));
                int j = r.nextInt(other.record().blockCount());
                Optional<byte[]> got = store.readBlock(other.record().id(), j);
                if (got.isPresent()) {
                  assertArrayEquals(other.block(j), got.get());
                  reads++;
                }
              }
            }
          }
          return reads;
        }));
      }
      int reads = 0;
      for (Future<Integer> f : results) {
        reads += f.get(100, TimeUnit.SECONDS);
      }
      assertTrue(reads > 0);
    } finally {
      pool.shutdownNow();
    }
    long expected = 0;
    long blocks = 0;
    for (Segment s : segs) {
      expected += TestSegments.fullFootprint(s);
      blocks += s.record().blockCount();
      for (int i = 0; i < s.record().blockCount(); i++) {
        assertArrayEquals(s.block(i), store.readBlock(s.record().id(), i).orElseThrow());
      }
    }
    assertEquals(expected, store.stats().usedBytes());
    assertEquals(blocks, store.stats().blocks());
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void concurrentEvictionKeepsAccountsConsistent() throws Exception {
    List<Segment> segs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      segs.add(v1(2));
    }
    long each = TestSegments.fullFootprint(segs.get(0));
    ChunkStore store = open(4 * each);
    ExecutorService pool = Executors.newFixedThreadPool(3, r -> new Thread(r, "conformance-evict"));
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        int first = t;
        fs.add(pool.submit(() -> {
          for (int k = first; k < segs.size(); k += 3) {
            Segment s = segs.get(k);
            try {
              putAll(store, s);
            } catch (UnknownSegmentException e) {
              // Another thread's put evicted this segment mid-way: allowed.
            }
            store.readBlock(segs.get((k + 5) % segs.size()).record().id(), 0);
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(100, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    StoreStats st = store.stats();
    assertTrue(st.usedBytes() <= st.capacityBytes(), st.toString());
    long sum = 0;
    long blocks = 0;
    for (SegmentInfo info : store.segmentsByLastAccess()) {
      sum += info.storedBytes();
      blocks += info.presentBlocks();
    }
    assertEquals(sum, st.usedBytes());
    assertEquals(blocks, st.blocks());
    assertEquals(st.segments(), store.segments().size());
  }

  // ------------------------------------------------------------------ persistence

  @Test
  void contentsPinsCapacityAndRecencySurviveReopen() {
    Assumptions.assumeTrue(canReopen(), "this store keeps nothing across restarts (in-memory twin)");
    Segment a = TestSegments.v1(random, HashAlgorithm.SHA_256, 3 * 65536 - 5);
    Segment b = TestSegments.v2(random, 20000);
    Segment c = v1(1);
    long capacity = TestSegments.fullFootprint(a) + TestSegments.fullFootprint(b) + TestSegments.fullFootprint(c) + 50;
    ChunkStore store = open(LARGE);
    store.setCapacity(capacity);
    store.putSegment(a.record());
    store.putBlock(a.record().id(), 0, a.block(0));
    store.putBlock(a.record().id(), 2, a.block(2));
    clock.advance(10);
    putAll(store, b);
    clock.advance(10);
    putAll(store, c);
    store.pin(b.record().id());
    clock.advance(10);
    store.readBlock(a.record().id(), 0); // order now: b, c, a
    StoredBlock stored = store.storedBlock(a.record().id(), 2).orElseThrow();
    StoreStats before = store.stats();
    List<SegmentInfo> infos = store.segmentsByLastAccess();

    store = reopenTracked(store);

    StoreStats after = store.stats();
    assertEquals(before.usedBytes(), after.usedBytes());
    assertEquals(before.capacityBytes(), after.capacityBytes());
    assertEquals(before.pinnedBytes(), after.pinnedBytes());
    assertEquals(before.segments(), after.segments());
    assertEquals(before.blocks(), after.blocks());
    assertEquals(infos, store.segmentsByLastAccess());
    assertTrue(store.isPinned(b.record().id()));
    assertFalse(store.isPinned(a.record().id()));
    assertEquals(a.record(), store.segment(a.record().id()).orElseThrow());
    BitSet a02 = new BitSet();
    a02.set(0);
    a02.set(2);
    assertEquals(a02, store.presentBlocks(a.record().id()));
    assertArrayEquals(a.block(2), store.readBlock(a.record().id(), 2).orElseThrow());
    assertArrayEquals(stored.iv(), store.storedBlock(a.record().id(), 2).orElseThrow().iv());
    assertArrayEquals(b.block(0), store.readBlock(b.record().id(), 0).orElseThrow());

    // The persisted order drives eviction after the restart: c is least recent and unpinned.
    Segment d = v1(1);
    putAll(store, d);
    assertTrue(store.segment(c.record().id()).isEmpty());
    assertTrue(store.segment(b.record().id()).isPresent());

    // Removals persist too.
    store.removeSegment(a.record().id());
    store.unpin(b.record().id());
    store = reopenTracked(store);
    assertTrue(store.segment(a.record().id()).isEmpty());
    assertEquals(Optional.empty(), store.readBlock(a.record().id(), 0));
    assertFalse(store.isPinned(b.record().id()));
    assertEquals(TestSegments.fullFootprint(b) + TestSegments.fullFootprint(d), store.stats().usedBytes());
  }

  @Test
  void droppedCorruptBlockStaysDroppedAfterReopen() {
    Assumptions.assumeTrue(canReopen(), "this store keeps nothing across restarts (in-memory twin)");
    ChunkStore store = open(LARGE);
    Segment a = v1(2);
    putAll(store, a);
    byte[] junk = new byte[16 + 65552];
    new SplittableRandom(3).nextBytes(junk);
    store = track(damage(store, a.record().id(), 0, junk));
    assertEquals(Optional.empty(), store.readBlock(a.record().id(), 0));
    store = reopenTracked(store);
    assertFalse(store.hasBlock(a.record().id(), 0));
    assertTrue(store.hasBlock(a.record().id(), 1));
    assertEquals(TestSegments.footprint(a, 1), store.stats().usedBytes());
  }

  // ---------------------------------------------------------------- side table

  private static byte[] b(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static List<String> keys(List<SideTable.Entry> entries) {
    List<String> out = new ArrayList<>();
    entries.forEach(e -> out.add(new String(e.key(), java.nio.charset.StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void sideTablePutsGetsDeletesAndScansInUnsignedOrder() {
    ChunkStore store = open(LARGE);
    SideTable t = store.sideTable();
    assertEquals(Optional.empty(), t.get(b("a1")));
    t.put(b("a1"), b("one"));
    t.put(b("a2"), new byte[0]);
    t.put(new byte[] {'a', (byte) 0xFF}, b("high"));
    t.put(b("b1"), b("other prefix"));
    assertArrayEquals(b("one"), t.get(b("a1")).orElseThrow());
    assertArrayEquals(new byte[0], t.get(b("a2")).orElseThrow());
    t.put(b("a1"), b("uno"));
    assertArrayEquals(b("uno"), t.get(b("a1")).orElseThrow());
    List<SideTable.Entry> all = t.scan(b("a"), null, 100);
    assertEquals(3, all.size());
    assertArrayEquals(b("a1"), all.get(0).key());
    assertArrayEquals(b("a2"), all.get(1).key());
    assertArrayEquals(new byte[] {'a', (byte) 0xFF}, all.get(2).key(), "0xFF sorts after ASCII (unsigned)");
    // Paging with the last key seen.
    List<SideTable.Entry> page = t.scan(b("a"), null, 2);
    assertEquals(List.of("a1", "a2"), keys(page));
    assertEquals(1, t.scan(b("a"), page.get(1).key(), 2).size());
    assertEquals(4, t.scan(new byte[0], null, 100).size(), "an empty prefix scans everything");
    t.delete(b("a1"));
    t.delete(b("never there"));
    assertEquals(Optional.empty(), t.get(b("a1")));
    assertEquals(2, t.scan(b("a"), null, 100).size());
  }

  @Test
  void sideTableBatchesApplyInOrderAndBadEntriesChangeNothing() {
    ChunkStore store = open(LARGE);
    SideTable t = store.sideTable();
    t.write(new SideTable.Batch().put(b("k1"), b("v1")).put(b("k2"), b("v2")).delete(b("k1")).put(b("k3"), b("v3")));
    assertEquals(List.of("k2", "k3"), keys(t.scan(b("k"), null, 10)));
    assertThrows(IllegalArgumentException.class, () -> t.put(new byte[0], b("v")));
    assertThrows(IllegalArgumentException.class, () -> t.put(new byte[SideTable.MAX_KEY_BYTES + 1], b("v")));
    assertThrows(IllegalArgumentException.class, () -> t.put(b("k9"), new byte[SideTable.MAX_VALUE_BYTES + 1]));
    assertThrows(IllegalArgumentException.class,
        () -> new SideTable.Batch().put(b("k8"), b("ok")).put(b("k9"), new byte[SideTable.MAX_VALUE_BYTES + 1]));
    assertThrows(IllegalArgumentException.class, () -> t.scan(b("k"), null, -1));
    assertEquals(List.of("k2", "k3"), keys(t.scan(b("k"), null, 10)));
  }

  @Test
  void sideTableIsOutsideCapacityAndEvictionAndClosesWithTheStore() {
    Segment a = v1(2);
    ChunkStore store = open(TestSegments.fullFootprint(a));
    store.sideTable().put(b("note"), new byte[1000]);
    putAll(store, a);
    assertEquals(TestSegments.fullFootprint(a), store.stats().usedBytes(), "side entries are not accounted");
    store.removeSegment(a.record().id());
    assertTrue(store.sideTable().get(b("note")).isPresent(), "segments come and go without touching it");
    SideTable t = store.sideTable();
    store.close();
    assertThrows(StoreClosedException.class, () -> t.get(b("note")));
    assertThrows(StoreClosedException.class, () -> t.put(b("x"), b("y")));
    assertThrows(StoreClosedException.class, () -> t.scan(b(""), null, 1));
  }

  @Test
  void sideTableSurvivesReopen() {
    Assumptions.assumeTrue(canReopen(), "this store keeps nothing across restarts (in-memory twin)");
    ChunkStore store = open(LARGE);
    store.sideTable().write(new SideTable.Batch().put(b("p1"), b("v1")).put(b("p2"), b("v2")));
    store.sideTable().delete(b("p1"));
    store = reopenTracked(store);
    assertEquals(Optional.empty(), store.sideTable().get(b("p1")));
    assertArrayEquals(b("v2"), store.sideTable().get(b("p2")).orElseThrow());
  }
}
