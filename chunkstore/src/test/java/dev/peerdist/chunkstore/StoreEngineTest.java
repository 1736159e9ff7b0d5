package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's put protocol with a storage whose block writes can be held open: a write runs
 * outside the store's mutex, every other call goes on meanwhile (puts of other blocks write at
 * the same time; a second put of the same block waits), a block is held only once its write returned, a failed write leaves nothing, and
 * removal waits for the segment's puts in progress.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreEngineTest {
  /** Map storage; block writes wait at {@link #gate} while it is closed. */
  private static final class GatedStorage implements BlockStorage {
    final Map<String, byte[]> blocks = new ConcurrentHashMap<>();
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile CountDownLatch entered = new CountDownLatch(1);
    /** Block writes begun, and the most that were in progress at once. */
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger inProgress = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    /** Holds the next block writes until {@code gate.countDown()}; {@link #entered} says one began. */
    void closeGate() {
      closeGate(1);
    }

    /** As {@link #closeGate()}; {@link #entered} opens when {@code writers} writes began. */
    void closeGate(int writers) {
      entered = new CountDownLatch(writers);
      gate = new CountDownLatch(1);
    }
    volatile RuntimeException failWith;

    @Override
    public void writeRecord(SegmentRecord record, byte[] encoded, Recency first) {}

    @Override
    public void writeBlock(SegmentId id, int index, byte[] storedValue) {
      writes.incrementAndGet();
      mostAtOnce.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
      try {
        entered.countDown();
        try {
          gate.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        if (failWith != null) {
          throw failWith;
        }
        blocks.put(id + "/" + index, storedValue);
      } finally {
        inProgress.decrementAndGet();
      }
    }

    @Override
    public byte[] readBlock(SegmentId id, int index) {
      return blocks.get(id + "/" + index);
    }

    @Override
    public void deleteBlock(SegmentId id, int index) {
      blocks.remove(id + "/" + index);
    }

    @Override
    public void deleteSegment(SegmentId id, BitSet present) {
      blocks.keySet().removeIf(k -> k.startsWith(id + "/"));
    }

    @Override
    public void writePin(SegmentId id, boolean pinned) {}

    @Override
    public void writeCapacity(long capacityBytes) {}

    @Override
    public void writeRecency(List<Recency> updates) {}

    @Override
    public void close() {
      // Nothing to release.
    }
  }

  private final SplittableRandom random = new SplittableRandom(31);
  private final GatedStorage storage = new GatedStorage();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  private StoreEngine engine(long capacity) {
    Clock clock = Clock.systemUTC();
    return new StoreEngine("test store", clock, new BlockSealer(new SplittableRandom(3)),
        new CapacityLedger(capacity, Duration.ofSeconds(60), clock), storage);
  }

  private static void put(StoreEngine e, Segment s, int i) {
    e.putBlock(s.record().id(), i, s.block(i), 0, s.block(i).length);
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void aBlockWriteInProgressHoldsNoLockAndTheBlockIsHeldOnlyAfterIt() throws Exception {
    Segment a = TestSegments.v1(random, 2);
    Segment b = TestSegments.v1(random, 1);
    StoreEngine e = engine(1L << 30);
    e.putSegment(a.record());
    e.putSegment(b.record());
    storage.closeGate(3);
    Future<?> put = pool.submit(() -> put(e, a, 0));
    // While that write is held open, every other call proceeds.
    waitUntil(() -> storage.inProgress.get() == 1);
    assertFalse(e.hasBlock(a.record().id(), 0), "not held before its write returned");
    assertTrue(e.readBlock(a.record().id(), 0).isEmpty());
    long reserved = TestSegments.footprint(a, 0) + TestSegments.footprint(b);
    assertEquals(reserved, e.stats().usedBytes(), "its bytes are reserved");
    assertEquals(0, e.stats().blocks());
    e.setPinned(b.record().id(), true);
    assertEquals(1, e.segmentsByLastAccess().stream().filter(SegmentInfo::pinned).count());
    // So do puts of other blocks, of the same segment and of another: their writes run meanwhile.
    Future<?> sameSegment = pool.submit(() -> put(e, a, 1));
    Future<?> other = pool.submit(() -> put(e, b, 0));
    assertTrue(storage.entered.await(30, TimeUnit.SECONDS), "three block writes in progress at once");
    assertEquals(3, storage.mostAtOnce.get());
    storage.gate.countDown();
    put.get(30, TimeUnit.SECONDS);
    sameSegment.get(30, TimeUnit.SECONDS);
    other.get(30, TimeUnit.SECONDS);
    assertArrayEquals(a.block(0), e.readBlock(a.record().id(), 0).orElseThrow());
    assertArrayEquals(a.block(1), e.readBlock(a.record().id(), 1).orElseThrow());
    assertEquals(TestSegments.fullFootprint(a) + TestSegments.fullFootprint(b), e.stats().usedBytes());
    assertEquals(3, e.stats().blocks());
  }

  @Test
  void aSecondPutOfABlockWaitsForTheFirstAndWritesNothing() throws Exception {
    Segment a = TestSegments.v1(random, 1);
    StoreEngine e = engine(1L << 30);
    e.putSegment(a.record());
    storage.closeGate();
    Future<?> first = pool.submit(() -> put(e, a, 0));
    assertTrue(storage.entered.await(30, TimeUnit.SECONDS));
    // The second put of the block (sealed under another IV) gets as far as the engine lets it.
    Thread[] second = new Thread[1];
    CountDownLatch started = new CountDownLatch(1);
    Future<?> again = pool.submit(() -> {
      second[0] = Thread.currentThread();
      started.countDown();
      put(e, a, 0);
    });
    assertTrue(started.await(30, TimeUnit.SECONDS));
    waitUntil(() -> second[0].getState() == Thread.State.WAITING);
    storage.gate.countDown();
    first.get(30, TimeUnit.SECONDS);
    again.get(30, TimeUnit.SECONDS);
    assertEquals(1, storage.writes.get(), "one value written in the block's place");
    assertEquals(1, storage.mostAtOnce.get());
    assertArrayEquals(a.block(0), e.readBlock(a.record().id(), 0).orElseThrow());
    assertEquals(TestSegments.fullFootprint(a), e.stats().usedBytes(), "its bytes counted once");
  }

  /** Waits (the class's timeout bounds it) until {@code condition} holds. */
  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    while (!condition.getAsBoolean()) {
      Thread.sleep(1);
    }
  }

  @Test
  void aFailedWriteLeavesNothingAndReturnsItsReservation() {
    Segment a = TestSegments.v1(random, 1);
    StoreEngine e = engine(1L << 30);
    e.putSegment(a.record());
    StoreStats before = e.stats();
    storage.failWith = new DiskFullException("disk full (test)", null);
    assertThrows(DiskFullException.class, () -> put(e, a, 0));
    assertEquals(before, e.stats());
    assertFalse(e.hasBlock(a.record().id(), 0));
    storage.failWith = null;
    put(e, a, 0);
    assertTrue(e.hasBlock(a.record().id(), 0));
  }

  @Test
  void removalWaitsForPutsInProgressAndEvictionSkipsTheirSegment() throws Exception {
    Segment a = TestSegments.v1(random, 2);
    Segment b = TestSegments.v1(random, 1);
    StoreEngine e = engine(1L << 30);
    e.putSegment(a.record());
    e.putSegment(b.record());
    put(e, b, 0);
    storage.closeGate();
    Future<?> put = pool.submit(() -> put(e, a, 1));
    assertTrue(storage.entered.await(30, TimeUnit.SECONDS));
    // Explicit eviction takes b but not a, whose put is in progress (a is the older segment).
    assertEquals(1, e.evictTo(0));
    assertTrue(e.segment(a.record().id()).isPresent());
    assertTrue(e.segment(b.record().id()).isEmpty());
    Future<Boolean> removal = pool.submit(() -> e.removeSegment(a.record().id()));
    assertThrows(TimeoutException.class, () -> removal.get(300, TimeUnit.MILLISECONDS),
        "removal waits for the put in progress");
    storage.gate.countDown();
    put.get(30, TimeUnit.SECONDS);
    assertTrue(removal.get(30, TimeUnit.SECONDS));
    assertTrue(storage.blocks.isEmpty(), "no block outlives its segment");
    assertEquals(0, e.stats().usedBytes());
    assertEquals(0, e.stats().blocks());
  }
}
