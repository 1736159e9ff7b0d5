package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments.Segment;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The index, accounts and eviction policy on their own: no storage, no threads. */
class CapacityLedgerTest {
  private final SplittableRandom random = new SplittableRandom(21);
  private final Clock clock = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC);

  private static long block(Segment s, int i) {
    return CapacityLedger.blockFootprint(s.record().blockLength(i));
  }

  private static void hold(CapacityLedger l, CapacityLedger.Segment e, Segment s, int i) {
    l.reserve(e, block(s, i));
    assertTrue(l.commit(e, i, block(s, i)));
  }

  @Test
  void reservationsCountUntilCommittedOrReleased() {
    Segment s = TestSegments.v1(random, 3);
    CapacityLedger l = new CapacityLedger(1L << 30, CapacityLedger.DEFAULT_WRITE_WINDOW, clock);
    CapacityLedger.Segment e = l.add(s.record());
    long record = CapacityLedger.recordFootprint(s.record());
    assertEquals(record, l.usedBytes());
    l.reserve(e, block(s, 0));
    l.reserve(e, block(s, 1));
    assertEquals(2, e.writers());
    assertEquals(record + block(s, 0) + block(s, 1), l.usedBytes(), "reserved bytes count");
    assertFalse(e.has(0), "not held before the commit");
    assertTrue(l.commit(e, 0, block(s, 0)));
    l.release(e, block(s, 1));
    assertEquals(0, e.writers());
    assertEquals(record + block(s, 0), l.usedBytes());
    assertEquals(record + block(s, 0), e.bytes());
    // A second put of a held block returns its reservation.
    l.reserve(e, block(s, 0));
    assertFalse(l.commit(e, 0, block(s, 0)));
    assertEquals(record + block(s, 0), l.usedBytes());
    assertEquals(1, l.stats(0, 0).blocks());
  }

  @Test
  void roomIsMadeFromLeastRecentlyUsedUnpinnedSegmentsOnly() {
    Segment a = TestSegments.v1(random, 1);
    Segment b = TestSegments.v1(random, 1);
    Segment c = TestSegments.v1(random, 1);
    long each = TestSegments.fullFootprint(a);
    CapacityLedger l = new CapacityLedger(3 * each, Duration.ZERO, clock);
    CapacityLedger.Segment ea = l.add(a.record());
    hold(l, ea, a, 0);
    CapacityLedger.Segment eb = l.add(b.record());
    hold(l, eb, b, 0);
    CapacityLedger.Segment ec = l.add(c.record());
    hold(l, ec, c, 0);
    l.touch(ea); // a is now the most recent; b the least
    assertEquals(List.of(eb), l.roomFor(each, null, "store", "x"));
    assertTrue(l.setPinned(eb, true));
    assertEquals(each, l.stats(0, 0).pinnedBytes());
    assertEquals(List.of(ec), l.roomFor(each, null, "store", "x"), "pinned b is skipped");
    assertEquals(List.of(ea), l.roomFor(each, c.record().id(), "store", "x"), "and so is the kept one");
    l.reserve(ea, 0);
    assertEquals(List.of(ec), l.roomFor(each, null, "store", "x"), "a segment with a put in progress is skipped");
    // Nothing is planned when it would not be enough: the caller refuses and changes nothing.
    var full = assertThrows(StoreFullException.class, () -> l.roomFor(3 * each, null, "store S", "block 9"));
    assertTrue(full.getMessage().contains("store S is full: block 9"), full.getMessage());
  }

  @Test
  void segmentsBeingWrittenAreKeptForTheWriteWindowButExplicitEvictionTakesThem() {
    Segment a = TestSegments.v1(random, 2);
    Segment b = TestSegments.v1(random, 2);
    CapacityLedger l = new CapacityLedger(TestSegments.footprint(a, 0) + TestSegments.footprint(b, 0) + 100,
        Duration.ofSeconds(60), clock);
    CapacityLedger.Segment ea = l.add(a.record());
    hold(l, ea, a, 0);
    CapacityLedger.Segment eb = l.add(b.record());
    hold(l, eb, b, 0);
    var e = assertThrows(StoreFullException.class, () -> l.roomFor(block(b, 1), b.record().id(), "s", "b1"));
    assertTrue(e.getMessage().contains("being written"), e.getMessage());
    assertEquals(List.of(ea), l.evictionPlan(0, b.record().id(), Long.MIN_VALUE));
    l.remove(ea);
    assertEquals(TestSegments.footprint(b, 0), l.usedBytes());
    assertEquals(1, l.stats(0, 0).segments());
  }

  @Test
  void capacityZeroIsPassThroughAndDroppedBlocksLeaveTheBooks() {
    Segment a = TestSegments.v1(random, 2);
    CapacityLedger none = new CapacityLedger(0, Duration.ZERO, clock);
    var e = assertThrows(StoreFullException.class, () -> none.roomFor(10, null, "s", "r"));
    assertTrue(e.getMessage().contains("pass-through only"), e.getMessage());

    CapacityLedger l = new CapacityLedger(1L << 30, Duration.ZERO, clock);
    BitSet held = new BitSet();
    held.set(0, 2);
    CapacityLedger.Segment ea = l.restore(a.record(), held, true, 42, 0);
    assertEquals(TestSegments.fullFootprint(a), l.usedBytes());
    assertEquals(TestSegments.fullFootprint(a), l.stats(0, 0).pinnedBytes());
    assertTrue(l.dropBlock(ea, 1));
    assertFalse(l.dropBlock(ea, 1));
    assertEquals(TestSegments.footprint(a, 0), l.usedBytes());
    assertEquals(TestSegments.footprint(a, 0), l.stats(0, 0).pinnedBytes());
    assertEquals(1, l.stats(0, 0).blocks());
    assertThrows(IllegalArgumentException.class, () -> l.setCapacity(-1));
  }

  @Test
  void recencyChangesAreCollectedOnceForPersisting() {
    Segment a = TestSegments.v1(random, 1);
    CapacityLedger l = new CapacityLedger(1L << 30, Duration.ZERO, clock);
    CapacityLedger.Segment ea = l.restore(a.record(), new BitSet(), false, 7, 0);
    assertEquals(0, l.dirtyRecencyCount());
    l.touch(ea);
    l.touch(ea);
    List<BlockStorage.Recency> updates = l.takeDirtyRecency();
    assertEquals(1, updates.size());
    assertEquals(9, updates.get(0).tick(), "ticks continue after the restored one");
    assertTrue(l.takeDirtyRecency().isEmpty());
  }
}
