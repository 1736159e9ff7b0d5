package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.download.SubnetView;
import dev.peerdist.node.engine.DownloadEngineTest.ArrayOrigin;
import dev.peerdist.node.http.PccrrResponder;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.http.PeerServerStats;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.retrieval.MisbehavingPeer;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The node's download loop over real loopback sockets: real PCCRR servers (in-memory stores) and
 * peers that misbehave on purpose, the real {@link PeerClient}, the real {@link LoopDriver} and
 * reader. The origin is an in-memory twin (the publisher has its own ITs; EndToEndIT runs both).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoopDriverIT {
  static final URI URL = URI.create("http://publisher.invalid/pkg.bin");
  static final LoopSettings SETTINGS = LoopSettings.defaults().withDiscoveryWait(Duration.ofMillis(50));
  // Three segments of 6 blocks (the last one short): small, but every path of the loop is walked.
  final TestContent content = new TestContent(21, 16 * 65536 + 4321, 6 * 65536);
  final List<AutoCloseable> closeables = new ArrayList<>();
  final NodeMeters meters = NodeMeters.prometheus();
  final InMemoryChunkStore mine = own(new InMemoryChunkStore(1L << 30));

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    meters.close();
  }

  private <T extends AutoCloseable> T own(T c) {
    closeables.add(c);
    return c;
  }

  private byte[] block(int segment, int index) {
    int off = segment * 6 * 65536 + index * 65536;
    return Arrays.copyOfRange(content.bytes, off, Math.min(content.bytes.length, off + 65536));
  }

  /** A store with the blocks {@code holds.test(segment, index)}. */
  private InMemoryChunkStore storeWith(BiPredicate<Integer, Integer> holds) {
    InMemoryChunkStore s = own(new InMemoryChunkStore(1L << 30));
    for (int g = 0; g < content.records.size(); g++) {
      SegmentRecord r = content.records.get(g);
      s.putSegment(r);
      for (int i = 0; i < r.blockCount(); i++) {
        if (holds.test(g, i)) {
          s.putBlock(r.id(), i, block(g, i));
        }
      }
    }
    return s;
  }

  private PeerHttpServer serve(InMemoryChunkStore store) {
    return own(PeerHttpServer.start(store, PeerServerConfig.defaults()));
  }

  private static PeerEndpoint endpoint(PeerHttpServer s) {
    return new PeerEndpoint(new InetSocketAddress(s.address().getAddress(), s.port()));
  }

  private record Run(byte[] bytes, DownloadRecord record, LoopDriver driver) {}

  private Run download(ArrayOrigin origin, List<PeerEndpoint> peers, Duration requestTimeout) throws Exception {
    PeerClient client = own(new PeerClient(PeerClientConfig.defaults().withRequestTimeout(requestTimeout)));
    LoopDriver driver = own(new LoopDriver(mine, client, origin, null, meters, SETTINGS, new SubnetView(SETTINGS),
        7, 0, false, p -> false, Clock.systemUTC(), new SplittableRandom(5)));
    peers.forEach(p -> driver.alwaysAsk(p, "test"));
    DownloadEngine engine = new DownloadEngine(mine, origin, driver, meters, 64L << 20, Clock.systemUTC());
    try (Download d = engine.open(URL)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b;
      while ((b = d.next()) != null) {
        out.write(b);
      }
      return new Run(out.toByteArray(), d.record(), driver);
    }
  }

  @Test
  void twoPeersHoldingHalvesEachServeTheirsAndTheOriginNothing() throws Exception {
    PeerHttpServer a = serve(storeWith((g, i) -> i % 2 == 0));
    PeerHttpServer b = serve(storeWith((g, i) -> i % 2 == 1));
    ArrayOrigin origin = new ArrayOrigin(content);
    Run run = download(origin, List.of(endpoint(a), endpoint(b)), Duration.ofSeconds(2));
    assertArrayEquals(content.bytes, run.bytes());
    assertEquals(content.bytes.length, run.record().bytes(ByteSource.PEER));
    assertEquals(0, origin.rangeBytes.get(), "nothing from the origin");
    assertTrue(a.stats().bytesServed() > 0 && b.stats().bytesServed() > 0, "both peers served");
  }

  @Test
  void aCorruptPeerIsBannedAndTheGoodOneSuppliesEverything() throws Exception {
    InMemoryChunkStore good = storeWith((g, i) -> true);
    PccrrResponder honest = new PccrrResponder(good, new PeerServerStats());
    MisbehavingPeer bad = own(new MisbehavingPeer(MisbehavingPeer.Mode.CORRUPT, honest::answer));
    PeerHttpServer ok = serve(good);
    ArrayOrigin origin = new ArrayOrigin(content);
    Run run = download(origin, List.of(bad.endpoint(), endpoint(ok)), Duration.ofSeconds(2));
    assertArrayEquals(content.bytes, run.bytes(), "only verified bytes reach the caller");
    assertEquals(1, run.driver().stats().peersBanned);
    assertTrue(meters.registry().counter(dev.peerdist.node.metrics.NodeMeters.CORRUPT_BLOCKS).count() >= 1);
    for (SegmentRecord r : content.records) {
      for (int i = 0; i < r.blockCount(); i++) {
        int g = content.records.indexOf(r);
        assertArrayEquals(block(g, i), mine.readBlock(r.id(), i).orElseThrow(), "stored block verified");
      }
    }
  }

  @Test
  void aPeerThatNeverAnswersCostsTimeoutsThenTheOriginWithTheReasonTimeout() throws Exception {
    InMemoryChunkStore full = storeWith((g, i) -> true);
    PccrrResponder honest = new PccrrResponder(full, new PeerServerStats());
    MisbehavingPeer stall = own(new MisbehavingPeer(MisbehavingPeer.Mode.STALL, honest::answer));
    ArrayOrigin origin = new ArrayOrigin(content);
    Run run = download(origin, List.of(stall.endpoint()), Duration.ofMillis(300));
    assertArrayEquals(content.bytes, run.bytes());
    assertEquals(content.bytes.length, run.record().bytes(ByteSource.ORIGIN));
    assertEquals(content.bytes.length, run.record().originBytes(FallbackReason.TIMEOUT), run.record().toMap().toString());
  }

  @Test
  void aPeerThatClosesMidAnswerIsRetriedAndTheDownloadCompletes() throws Exception {
    InMemoryChunkStore full = storeWith((g, i) -> true);
    PccrrResponder honest = new PccrrResponder(full, new PeerServerStats());
    MisbehavingPeer closer = own(new MisbehavingPeer(MisbehavingPeer.Mode.CLOSE_MID, honest::answer));
    PeerHttpServer ok = serve(storeWith((g, i) -> g == 0));
    ArrayOrigin origin = new ArrayOrigin(content);
    Run run = download(origin, List.of(closer.endpoint(), endpoint(ok)), Duration.ofSeconds(1));
    assertArrayEquals(content.bytes, run.bytes());
    long fromOrigin = run.record().bytes(ByteSource.ORIGIN);
    assertEquals(fromOrigin, run.record().originBytes(FallbackReason.PEER_ERROR), run.record().toMap().toString());
    assertTrue(run.record().bytes(ByteSource.PEER) >= content.records.get(0).segmentLength(), "segment 0 from the good peer");
  }
}
