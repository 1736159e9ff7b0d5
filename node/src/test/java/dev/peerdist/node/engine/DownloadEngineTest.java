package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's policy with in-memory twins: an origin serving an array, and a peer source that
 * copies verified blocks from another in-memory store (a "peer"). Real sockets are in the ITs.
 */
class DownloadEngineTest {
  static final URI URL = URI.create("http://publisher.invalid/pkg.bin");
  static final PeerEndpoint PEER = new PeerEndpoint(new InetSocketAddress("127.0.0.2", 8080));

  /** An origin answering with content information for CONTENT and ranges of it. */
  static final class ArrayOrigin implements Origin {
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
      return new PeerDist(plan, "\"v1\"");
    }

    @Override
    public byte[] range(URI url, long start, long endExclusive) throws IOException {
      if (gate != null) {
        try {
          gate.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      ranges.incrementAndGet();
      rangeBytes.addAndGet(endExclusive - start);
      return Arrays.copyOfRange(content, (int) start, (int) endExclusive);
    }
  }

  /** A peer holding what {@code peerStore} holds; may corrupt every block it sends. */
  static final class StorePeers implements PeerSource {
    final ChunkStore peerStore;
    final ChunkStore local;
    volatile boolean corrupt;

    StorePeers(ChunkStore peerStore, ChunkStore local) {
      this.peerStore = peerStore;
      this.local = local;
    }

    @Override
    public Map<Integer, Outcome> fetch(SegmentRecord record, BitSet wanted, List<PeerCandidate> peers) {
      Map<Integer, Outcome> out = new HashMap<>();
      for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
        var b = peerStore.readBlock(record.id(), i);
        if (b.isEmpty()) {
          out.put(i, new Missing(FallbackReason.BLOCK_NOT_HELD));
          continue;
        }
        byte[] data = b.get();
        if (corrupt) {
          data[0] ^= 1;
        }
        if (!record.verifies(i, data, 0, data.length)) {
          out.put(i, new Missing(FallbackReason.HASH_MISMATCH));
          continue;
        }
        local.putBlock(record.id(), i, data);
        out.put(i, new Fetched(PEER));
      }
      return out;
    }
  }

  final NodeMeters meters = NodeMeters.prometheus();
  final InMemoryChunkStore local = new InMemoryChunkStore(1L << 30);
  final InMemoryChunkStore peer = new InMemoryChunkStore(1L << 30);
  DownloadEngine engine;

  DownloadEngine engine(Origin origin, PeerSource peers, boolean peerAnswers) {
    PeerLocator locator = new PeerLocator(null, () -> peerAnswers ? List.of(PEER) : List.of(), p -> false,
        Duration.ofMillis(10), meters, Clock.systemUTC());
    engine = new DownloadEngine(local, origin, locator, peers, meters, new DownloadEngine.Settings(3, 2, 4),
        Clock.systemUTC());
    return engine;
  }

  @AfterEach
  void close() {
    if (engine != null) {
      engine.close();
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
    engine(origin, new StorePeers(peer, local), false);
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
    engine(origin, new StorePeers(peer, local), true);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    long fromPeer = s0.segmentLength() + 65536L;
    assertEquals(fromPeer, d.record().bytes(ByteSource.PEER));
    assertEquals(c.bytes.length - fromPeer, d.record().bytes(ByteSource.ORIGIN));
    assertEquals(c.bytes.length - fromPeer, origin.rangeBytes.get());
    assertEquals(c.bytes.length - fromPeer, d.record().originBytes(FallbackReason.BLOCK_NOT_HELD));
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
    StorePeers peers = new StorePeers(peer, local);
    peers.corrupt = true;
    engine(new ArrayOrigin(c), peers, true);
    Download d = engine.open(URL);
    assertArrayEquals(c.bytes, readAll(d));
    assertEquals(0, d.record().bytes(ByteSource.PEER));
    assertEquals(c.bytes.length, d.record().originBytes(FallbackReason.HASH_MISMATCH));
    assertTrue(meters.scrape().contains("peerdist_origin_fallbacks_total{reason=\"hash_mismatch\"} 5.0"));
  }

  @Test
  void concurrentDownloadsOfTheSameContentFetchOnce() throws Exception {
    TestContent c = new TestContent(4, 900_000, 4 * 65536);
    ArrayOrigin origin = new ArrayOrigin(c);
    origin.gate = new CountDownLatch(1);
    engine(origin, new StorePeers(peer, local), false);
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
    engine(origin, new StorePeers(peer, local), false);
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
    engine(origin, new StorePeers(peer, local), false);
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
    engine(origin, new StorePeers(peer, local), false);
    byte[] got = readAll(engine.open(URL));
    assertArrayEquals(Arrays.copyOfRange(c.bytes, 100_000, (int) s1.offsetInContent() + 5), got);
  }
}
