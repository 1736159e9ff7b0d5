package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.download.SubnetView;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerBlockClient;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.ArrayList;
import java.util.SplittableRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reader and the node's download loop driver with in-memory twins: an origin serving an array
 * (content information and streaming ranges), and a peer whose PCCRR answers come from another
 * in-memory store. The loop, the driver and the store are the real ones; real sockets are in the ITs.
 */
class DownloadEngineTest {
  static final URI URL = URI.create("http://publisher.invalid/pkg.bin");
  static final PeerEndpoint PEER = new PeerEndpoint(new InetSocketAddress("127.0.0.2", 8080));
  static final LoopSettings SETTINGS = LoopSettings.defaults().withDiscoveryWait(Duration.ofMillis(20));

  /** An origin answering with content information for CONTENT and ranges of it. */
  static class ArrayOrigin implements OriginSource, LoopDriver.OriginRanges {
    volatile byte[] content;
    volatile ContentPlan plan;
    final AtomicLong rangeBytes = new AtomicLong();
    final AtomicInteger ranges = new AtomicInteger();
    volatile CountDownLatch gate;

    ArrayOrigin(TestContent c) {
      content = c.bytes;
      plan = c.plan();
    }

    @Override
    public Answer open(URI url) {
      if (plan == null) {
        return new Plain(content.length, new ByteArrayInputStream(content));
      }
      return new Encoded(plan, "\"v1\"");
    }

    private void gate() throws IOException {
      if (gate != null) {
        try {
          gate.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
    }

    @Override
    public byte[] range(URI url, long start, long endExclusive) throws IOException {
      gate();
      ranges.incrementAndGet();
      rangeBytes.addAndGet(endExclusive - start);
      return Arrays.copyOfRange(content, (int) start, (int) endExclusive);
    }

    @Override
    public Stream open(URI url, long start, long end, String etag, Duration readTimeout) throws IOException {
      gate();
      ranges.incrementAndGet();
      rangeBytes.addAndGet(end - start);
      ByteArrayInputStream in = new ByteArrayInputStream(content, (int) start, (int) (end - start));
      return new Stream() {
        @Override
        public java.io.InputStream in() {
          return in;
        }

        @Override
        public void abort() {
        }

        @Override
        public void close() {
        }
      };
    }
  }

  /** A peer answering from {@code peerStore}; may corrupt every block it sends. */
  static final class StorePeer implements PeerBlockClient {
    final ChunkStore peerStore;
    volatile boolean corrupt;

    StorePeer(ChunkStore peerStore) {
      this.peerStore = peerStore;
    }

    @Override
    public CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index) {
      var b = peerStore.readBlock(record.id(), index);
      if (b.isEmpty()) {
        return CompletableFuture.completedFuture(BlockFetchResult.failed(Outcome.NOT_AVAILABLE, "empty", 1000));
      }
      byte[] data = b.get();
      if (corrupt) {
        data[0] ^= 1;
      }
      // What PeerClient does: only a verified block is OK.
      if (!record.verifies(index, data, 0, data.length)) {
        return CompletableFuture.completedFuture(BlockFetchResult.failed(Outcome.BAD_DATA, "hash", 1000));
      }
      return CompletableFuture.completedFuture(BlockFetchResult.ok(data, 1000));
    }

    @Override
    public CompletableFuture<BlockList> blockList(PeerEndpoint peer, SegmentId id, List<BlockRange> needed) {
      BitSet held = peerStore.presentBlocks(id);
      List<BlockRange> ranges = new ArrayList<>();
      for (int i = held.nextSetBit(0); i >= 0; i = held.nextSetBit(i + 1)) {
        int end = held.nextClearBit(i);
        ranges.add(new BlockRange(i, end - i));
        i = end;
      }
      return CompletableFuture.completedFuture(new BlockList(BlockCipher.AES_256, id, ranges, 0));
    }
  }

  final NodeMeters meters = NodeMeters.prometheus();
  InMemoryChunkStore local = new InMemoryChunkStore(1L << 30);
  final InMemoryChunkStore peer = new InMemoryChunkStore(1L << 30);
  LoopDriver driver;
  DownloadEngine engine;

  DownloadEngine engine(ArrayOrigin origin, StorePeer peers, boolean peerAnswers) {
    driver = new LoopDriver(local, peers, origin, null, meters, SETTINGS, new SubnetView(SETTINGS), 1, 0, false,
        p -> false, Clock.systemUTC(), new SplittableRandom(3));
    if (peerAnswers) {
      driver.alwaysAsk(PEER, "test");
    }
    engine = new DownloadEngine(local, origin, driver, meters, 3L * 4 * 65536, Clock.systemUTC());
    return engine;
  }

  @AfterEach
  void close() {
    LoopDriver.cancelGraceMillis = LoopDriver.CANCEL_GRACE_MILLIS;
    if (driver != null) {
      driver.close();
    }
    local.close();
    peer.close();
    meters.close();
  }

  static byte[] readAll(Download d) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] b;
    while ((b = d.next()) != null) {
      out.write(b);
    }
    return out.toByteArray();
  }

  @Test
  void firstDownloadFromOriginSecondFromStore() throws Exception {
    TestContent c = new TestContent(1, 1_000_000, 4 * 65536);
    ArrayOrigin origin = new ArrayOrigin(c);
    engine(origin, new StorePeer(peer), false);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    assertEquals(c.bytes.length, d.record().bytes(ByteSource.ORIGIN));
    assertEquals(c.bytes.length, d.record().originBytes(FallbackReason.NO_PEER));
    assertEquals(DownloadRecord.State.DONE, d.record().state());
    for (SegmentRecord r : c.records) {
      assertEquals(r.blockCount(), local.presentBlocks(r.id()).cardinality(), "segment stored whole");
    }
    long before = origin.rangeBytes.get();
    Download again = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(again));
    assertEquals(before, origin.rangeBytes.get(), "no origin bytes the second time");
    assertEquals(c.bytes.length, again.record().bytes(ByteSource.LOCAL));
    assertEquals((long) c.records.size(), again.record().toMap().get("segments_from_store"));
  }

  @Test
  void peersSupplyWhatTheyHoldAndOriginTheRest() throws Exception {
    TestContent c = new TestContent(2, 700_000, 4 * 65536);
    // The peer holds the first segment whole and block 0 of the second.
    SegmentRecord s0 = c.records.get(0);
    SegmentRecord s1 = c.records.get(1);
    peer.putSegment(s0);
    peer.putSegment(s1);
    for (int i = 0; i < s0.blockCount(); i++) {
      peer.putBlock(s0.id(), i, Arrays.copyOfRange(c.bytes, i * 65536, (i + 1) * 65536));
    }
    int off1 = s0.segmentLength();
    peer.putBlock(s1.id(), 0, Arrays.copyOfRange(c.bytes, off1, off1 + 65536));
    ArrayOrigin origin = new ArrayOrigin(c);
    engine(origin, new StorePeer(peer), true);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    long fromPeer = s0.segmentLength() + 65536L;
    assertEquals(fromPeer, d.record().bytes(ByteSource.PEER));
    assertEquals(c.bytes.length - fromPeer, d.record().bytes(ByteSource.ORIGIN));
    assertEquals(c.bytes.length - fromPeer, origin.rangeBytes.get());
    assertEquals(c.bytes.length - fromPeer, d.record().originBytes(FallbackReason.BLOCK_NOT_HELD));
  }

  @Test
  void storedBlocksReachTheirReaderAsVerifiedWithoutAReadBack() throws Exception {
    TestContent c = new TestContent(9, 700_000, 4 * 65536);
    SegmentRecord s0 = c.records.get(0);
    peer.putSegment(s0);
    for (int i = 0; i < s0.blockCount(); i++) {
      peer.putBlock(s0.id(), i, Arrays.copyOfRange(c.bytes, i * 65536, (i + 1) * 65536));
    }
    AtomicInteger reads = new AtomicInteger();
    InMemoryChunkStore real = local;
    // The same store, counting readBlock: what the reader reads back.
    local = null;
    ChunkStore counting = (ChunkStore) java.lang.reflect.Proxy.newProxyInstance(ChunkStore.class.getClassLoader(),
        new Class<?>[] {ChunkStore.class}, (proxy, m, args) -> {
          if (m.getName().equals("readBlock")) {
            reads.incrementAndGet();
          }
          try {
            return m.invoke(real, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    ArrayOrigin origin = new ArrayOrigin(c);
    driver = new LoopDriver(counting, new StorePeer(peer), origin, null, meters, SETTINGS, new SubnetView(SETTINGS), 1,
        0, false, p -> false, Clock.systemUTC(), new SplittableRandom(3));
    driver.alwaysAsk(PEER, "test");
    engine = new DownloadEngine(counting, origin, driver, meters, 3L * 4 * 65536, Clock.systemUTC());
    try {
      Download d = engine.open(URL);
      assertArrayEquals(c.bytes, readAll(d));
      assertEquals(s0.segmentLength(), d.record().bytes(ByteSource.PEER));
      assertEquals(c.bytes.length - s0.segmentLength(), d.record().bytes(ByteSource.ORIGIN));
      assertEquals(0, reads.get(), "peer and origin blocks were handed over as verified, not read back");
      assertEquals(0, driver.handOffBytes(), "every handed-over block was taken");
      for (SegmentRecord r : c.records) {
        assertEquals(r.blockCount(), real.presentBlocks(r.id()).cardinality(), "and stored");
      }
      Download again = engine.open(URL);
      assertArrayEquals(c.bytes, readAll(again));
      int blocks = c.records.stream().mapToInt(SegmentRecord::blockCount).sum();
      assertEquals(blocks, reads.get(), "from the store the second time");
    } finally {
      driver.close();
      driver = null;
      real.close();
      local = new InMemoryChunkStore(1L << 30);
    }
  }

  @Test
  void aStoreThatCannotKeepBlocksStillDeliversThem() throws Exception {
    TestContent c = new TestContent(8, 900_000, 4 * 65536);
    local.close();
    local = new InMemoryChunkStore(65536); // room for one block
    ArrayOrigin origin = new ArrayOrigin(c);
    engine(origin, new StorePeer(peer), false);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    assertEquals(DownloadRecord.State.DONE, d.record().state());
    assertTrue(meters.scrape().contains("peerdist_store_passthrough_bytes_total"), "pass-through is counted");
    assertTrue(local.stats().usedBytes() <= 65536);
  }

  @Test
  void corruptPeerBlocksAreNeverStoredOrDelivered() throws Exception {
    TestContent c = new TestContent(3, 300_000, 4 * 65536);
    for (SegmentRecord r : c.records) {
      peer.putSegment(r);
    }
    for (int i = 0; i * 65536 < c.bytes.length; i++) {
      int seg = i / 4;
      int off = i * 65536;
      peer.putBlock(c.records.get(seg).id(), i % 4, Arrays.copyOfRange(c.bytes, off, Math.min(c.bytes.length, off + 65536)));
    }
    StorePeer peers = new StorePeer(peer);
    peers.corrupt = true;
    engine(new ArrayOrigin(c), peers, true);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    assertEquals(0, d.record().bytes(ByteSource.PEER));
    // The first segment's four blocks lost their one holder to a hash mismatch. The second
    // segment's block says the same when that segment was wanted before the ban, and no_peer when
    // after it (the banned peer is nobody's holder any more): which one depends on thread timing.
    long mismatch = d.record().originBytes(FallbackReason.HASH_MISMATCH);
    long lateSegment = c.bytes.length - 4 * 65536;
    assertTrue(mismatch == c.bytes.length || mismatch == 4 * 65536
        && d.record().originBytes(FallbackReason.NO_PEER) == lateSegment,
        "origin bytes: hash_mismatch " + mismatch + ", no_peer " + d.record().originBytes(FallbackReason.NO_PEER));
    String scrape = meters.scrape();
    assertTrue(scrape.contains("peerdist_origin_fallbacks_total{reason=\"hash_mismatch\"} 5.0")
        || scrape.contains("peerdist_origin_fallbacks_total{reason=\"hash_mismatch\"} 4.0")
        && scrape.contains("peerdist_origin_fallbacks_total{reason=\"no_peer\"} 1.0"), scrape);
    double bad = meters.registry().counter(NodeMeters.CORRUPT_BLOCKS).count();
    assertTrue(bad >= 1 && bad <= SETTINGS.requestsPerPeer(),
        "the peer is banned after the requests already in flight: " + bad);
  }

  /** A range body whose bytes arrive when the test releases them; reads wait, abort fails them. */
  static final class TrickleStream extends java.io.InputStream implements LoopDriver.OriginRanges.Stream {
    private final byte[] data;
    private int pos;
    private int released;
    private boolean aborted;

    TrickleStream(byte[] data, int released) {
      this.data = data;
      this.released = released;
    }

    synchronized void release(int bytes) {
      released = Math.min(data.length, released + bytes);
      notifyAll();
    }

    synchronized int consumed() {
      return pos;
    }

    synchronized boolean aborted() {
      return aborted;
    }

    @Override
    public synchronized int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
      while (pos >= released && pos < data.length && !aborted) {
        try {
          wait();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      if (aborted) {
        throw new IOException("aborted");
      }
      if (pos >= data.length) {
        return -1;
      }
      int n = Math.min(len, released - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public synchronized int available() {
      return aborted ? 0 : released - pos;
    }

    @Override
    public java.io.InputStream in() {
      return this;
    }

    @Override
    public synchronized void abort() {
      aborted = true;
      notifyAll();
    }
  }

  @Test
  void aCancelledOriginRangeKeepsTheBlocksThatHadArrived() throws Exception {
    // One segment of 16 blocks; the publisher's first range trickles: block 0 at once, the rest
    // when the test says. Ranges opened later (a takeover) get everything.
    TestContent c = new TestContent(8, 16 * 65536, 16 * 65536);
    SegmentId seg = c.records.get(0).id();
    TrickleStream[] first = new TrickleStream[1];
    AtomicInteger opened = new AtomicInteger();
    ArrayOrigin origin = new ArrayOrigin(c) {
      @Override
      public Stream open(URI url, long start, long end, String etag, Duration readTimeout) throws IOException {
        if (opened.getAndIncrement() > 0) {
          return super.open(url, start, end, etag, readTimeout);
        }
        first[0] = new TrickleStream(Arrays.copyOfRange(c.bytes, (int) start, (int) end), 65536);
        return first[0];
      }
    };
    SubnetView view = new SubnetView(SETTINGS);
    // The job must read blocks 1-3 after the cancel before the stalled-read timer drops it: on a
    // busy test machine 200 ms may not be enough for that.
    LoopDriver.cancelGraceMillis = 10_000;
    driver = new LoopDriver(local, new StorePeer(peer), origin, null, meters, SETTINGS, view, 1, 0, false,
        p -> false, Clock.systemUTC(), new SplittableRandom(3));
    engine = new DownloadEngine(local, origin, driver, meters, 3L * 4 * 65536, Clock.systemUTC());
    Download d = engine.open(URL);
    CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
      try {
        return readAll(d);
      } catch (IOException e) {
        return null; // closed at the end of the test
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((first[0] == null || first[0].consumed() < 65536) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(first[0] != null && first[0].consumed() == 65536, "the first range started and block 0 arrived");
    // A subnet-mate that outranks this node for the segment says it is fetching it: this node
    // stops its range (demotion, docs/DOWNLOAD.md).
    long better = 2;
    while (Long.compareUnsigned(SubnetView.score(better, seg), SubnetView.score(1, seg)) <= 0) {
      better++;
    }
    view.heard(better, List.of(seg), 1, System.nanoTime());
    while (driver.stats().originCancels == 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertEquals(1, driver.stats().originCancels, "the range was cancelled");
    // Blocks 1-3 arrive after the cancel, while the job still waits for block 1: they are read
    // and stored, and the connection is dropped without waiting for block 4.
    first[0].release(3 * 65536);
    while (!first[0].aborted() && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    assertTrue(first[0].aborted(), "the cancelled range's connection was dropped");
    assertEquals(4 * 65536, first[0].consumed(), "blocks 0-3 read, nothing waited for after them");
    while (local.presentBlocks(seg).cardinality() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    for (int b = 0; b < 4; b++) {
      assertTrue(local.presentBlocks(seg).get(b), "block " + b + " kept from the cancelled range");
    }
    d.close();
    reader.cancel(true);
  }

  @Test
  void concurrentDownloadsOfTheSameContentFetchOnce() throws Exception {
    TestContent c = new TestContent(4, 900_000, 4 * 65536);
    ArrayOrigin origin = new ArrayOrigin(c);
    origin.gate = new CountDownLatch(1);
    engine(origin, new StorePeer(peer), false);
    Download a = engine.open(URL);
    Download b = engine.open(URL);
    CompletableFuture<byte[]> fa = CompletableFuture.supplyAsync(() -> {
      try {
        return readAll(a);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    CompletableFuture<byte[]> fb = CompletableFuture.supplyAsync(() -> {
      try {
        return readAll(b);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(100);
    origin.gate.countDown();
    assertArrayEquals(c.bytes, fa.get(10, TimeUnit.SECONDS));
    assertArrayEquals(c.bytes, fb.get(10, TimeUnit.SECONDS));
    assertEquals(c.bytes.length, origin.rangeBytes.get(), "each byte fetched from the origin once");
  }

  @Test
  void changedFileOnThePublisherFailsInsteadOfDeliveringWrongBytes() throws Exception {
    TestContent c = new TestContent(5, 200_000, 4 * 65536);
    ArrayOrigin origin = new ArrayOrigin(c);
    byte[] changed = c.bytes.clone();
    changed[70_000] ^= 1;
    origin.content = changed;
    engine(origin, new StorePeer(peer), false);
    Download d = engine.open(URL);
    IOException e = assertThrows(IOException.class, () -> readAll(d));
    assertTrue(e.getMessage().contains("does not match its content information"), e.getMessage());
    assertEquals(DownloadRecord.State.FAILED, d.record().state());
    assertFalse(local.hasBlock(c.records.get(0).id(), 1), "the bad block is not stored");
  }

  @Test
  void plainContentStreamsThroughAndSaysSo() throws Exception {
    TestContent c = new TestContent(6, 150_000, 4 * 65536);
    ArrayOrigin origin = new ArrayOrigin(c);
    origin.plan = null;
    engine(origin, new StorePeer(peer), false);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    assertFalse(d.record().peerdist());
    assertEquals(c.bytes.length, d.record().originBytes(FallbackReason.NOT_PEERDIST));
    assertEquals(1, engine.recent().size());
    assertEquals(d.record(), engine.find(d.record().id()).orElseThrow());
  }

  @Test
  void partialPlanDeliversOnlyTheSlice() throws Exception {
    TestContent c = new TestContent(7, 600_000, 4 * 65536);
    ContentPlan whole = c.plan();
    var s0 = whole.segments().get(0);
    var s1 = whole.segments().get(1);
    ContentPlan slice = new ContentPlan(List.of(
        new ContentPlan.Segment(s0.record(), 0, 100_000, s0.record().segmentLength() - 100_000),
        new ContentPlan.Segment(s1.record(), s1.offsetInContent(), 0, 5)), s0.record().segmentLength() - 100_000 + 5);
    ArrayOrigin origin = new ArrayOrigin(c);
    origin.plan = slice;
    engine(origin, new StorePeer(peer), false);
    byte[] got = readAll(engine.open(URL));
    assertArrayEquals(Arrays.copyOfRange(c.bytes, 100_000, (int) s1.offsetInContent() + 5), got);
  }
}
