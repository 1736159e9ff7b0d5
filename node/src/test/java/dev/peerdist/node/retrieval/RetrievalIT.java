package dev.peerdist.node.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.PccrrResponder;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.retrieval.DownloadReport.Origin;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Downloads over real loopback sockets: real {@link PeerHttpServer}s on 127.0.0.1 with in-memory
 * stores, the real {@link PeerClient} and {@link BlockFetcher}. Segment sizes are smaller than a
 * real 32 MiB V1 segment to keep the test fast; the retrieval layer treats segments independently.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetrievalIT {
  private final Random random = new Random(11);
  // Two V1 segments (6 full blocks; 3 blocks with a short last one) and two V2 segments.
  private final List<TestSegments.Segment> content = List.of(
      TestSegments.v1(random, 6),
      TestSegments.v1(random, dev.peerdist.chunkstore.content.HashAlgorithm.SHA_256, 2 * 65536 + 1000),
      TestSegments.v2(random, 5000),
      TestSegments.v2(random, 128 * 1024));
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T own(T c) {
    closeables.add(c);
    return c;
  }

  private List<SegmentRecord> records() {
    return content.stream().map(TestSegments.Segment::record).toList();
  }

  /** A store holding the chosen blocks: {@code holds.test(segmentNo, blockIndex)}. */
  private InMemoryChunkStore storeWith(java.util.function.BiPredicate<Integer, Integer> holds) {
    InMemoryChunkStore store = own(new InMemoryChunkStore(64L << 20));
    for (int s = 0; s < content.size(); s++) {
      TestSegments.Segment seg = content.get(s);
      store.putSegment(seg.record());
      for (int i = 0; i < seg.record().blockCount(); i++) {
        if (holds.test(s, i)) {
          store.putBlock(seg.record().id(), i, seg.block(i));
        }
      }
    }
    return store;
  }

  private PeerEndpoint serve(InMemoryChunkStore store) {
    PeerHttpServer server = own(PeerHttpServer.start(store, PeerServerConfig.defaults()));
    return new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
  }

  private List<PeerOffer> offers(PeerEndpoint peer, InMemoryChunkStore store) {
    List<PeerOffer> out = new ArrayList<>();
    for (SegmentRecord r : records()) {
      int held = store.presentBlocks(r.id()).cardinality();
      if (held > 0) {
        out.add(new PeerOffer(peer, r.id(), held));
      }
    }
    return out;
  }

  private static List<PeerOffer> claimAll(PeerEndpoint peer, List<SegmentRecord> records) {
    return records.stream().map(r -> new PeerOffer(peer, r.id(), r.blockCount())).toList();
  }

  private DownloadReport download(InMemoryChunkStore target, Fallback fallback, List<PeerOffer> offers,
      Duration requestTimeout) throws Exception {
    return download(target, fallback, offers, requestTimeout, SchedulerConfig.defaults());
  }

  private DownloadReport download(InMemoryChunkStore target, Fallback fallback, List<PeerOffer> offers,
      Duration requestTimeout, SchedulerConfig base) throws Exception {
    PeerClient client = own(new PeerClient(PeerClientConfig.defaults().withRequestTimeout(requestTimeout)));
    SchedulerConfig config = base
        .withBackoffs(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofSeconds(1));
    BlockFetcher fetcher = own(new BlockFetcher(client, target, fallback, config, Clock.systemUTC(),
        new SplittableRandom(3)));
    return fetcher.download(records(), offers).get(30, TimeUnit.SECONDS);
  }

  private void assertHoldsEverythingVerified(InMemoryChunkStore store) {
    for (TestSegments.Segment seg : content) {
      for (int i = 0; i < seg.record().blockCount(); i++) {
        assertArrayEquals(seg.block(i), store.readBlock(seg.record().id(), i).orElseThrow(),
            "block " + i + " of " + seg.record());
      }
    }
  }

  private int totalBlocks() {
    return content.stream().mapToInt(s -> s.record().blockCount()).sum();
  }

  @Test
  void twoNodesClientFetchesV1AndV2FromOneSeeder() throws Exception {
    InMemoryChunkStore seederStore = storeWith((s, i) -> true);
    PeerEndpoint seeder = serve(seederStore);
    InMemoryChunkStore mine = own(new InMemoryChunkStore(64L << 20));
    DownloadReport report = download(mine, Fallback.none(), offers(seeder, seederStore), Duration.ofSeconds(2));
    assertTrue(report.complete(), report.failed().toString());
    assertEquals(totalBlocks(), report.sources().size());
    assertTrue(report.sources().stream().allMatch(s -> s.origin() == Origin.PEER && s.peer().equals(seeder)));
    assertEquals(totalBlocks(), report.count(seeder, Outcome.OK));
    assertHoldsEverythingVerified(mine);
  }

  @Test
  void threeNodesEachHoldingPartOfTheContent() throws Exception {
    // Peer A: even blocks of the V1 segments and the first V2 segment; peer B: odd blocks and the second.
    InMemoryChunkStore a = storeWith((s, i) -> s < 2 ? i % 2 == 0 : s == 2);
    InMemoryChunkStore b = storeWith((s, i) -> s < 2 ? i % 2 == 1 : s == 3);
    PeerEndpoint pa = serve(a);
    PeerEndpoint pb = serve(b);
    // The client already has one block; it must not fetch it again.
    InMemoryChunkStore mine = storeWith((s, i) -> s == 0 && i == 5);
    List<PeerOffer> offers = new ArrayList<>(offers(pa, a));
    offers.addAll(offers(pb, b));
    DownloadReport report = download(mine, Fallback.none(), offers, Duration.ofSeconds(2));
    assertTrue(report.complete(), report.failed().toString());
    assertEquals(1, report.sources().stream().filter(s -> s.origin() == Origin.ALREADY_HELD).count());
    long fromA = report.sources().stream().filter(s -> pa.equals(s.peer())).count();
    long fromB = report.sources().stream().filter(s -> pb.equals(s.peer())).count();
    assertEquals(totalBlocks() - 1, fromA + fromB);
    assertTrue(fromA > 0 && fromB > 0);
    // Both peers hold part of the V1 segments: MSG_GETBLKLIST told the client which blocks, so no
    // request was wasted on a block a peer lacks.
    assertEquals(0, report.count(pa, Outcome.NOT_AVAILABLE), report.peerOutcomes().toString());
    assertEquals(0, report.count(pb, Outcome.NOT_AVAILABLE), report.peerOutcomes().toString());
    assertHoldsEverythingVerified(mine);
  }

  @Test
  void corruptingStallingAndClosingPeersAreCountedAndTheDownloadCompletes() throws Exception {
    InMemoryChunkStore goodStore = storeWith((s, i) -> true);
    PeerEndpoint good = serve(goodStore);
    PccrrResponder truth = new PccrrResponder(goodStore, new dev.peerdist.node.http.PeerServerStats());
    MisbehavingPeer corrupt = own(new MisbehavingPeer(MisbehavingPeer.Mode.CORRUPT, truth::answer));
    MisbehavingPeer stall = own(new MisbehavingPeer(MisbehavingPeer.Mode.STALL, truth::answer));
    MisbehavingPeer closer = own(new MisbehavingPeer(MisbehavingPeer.Mode.CLOSE_MID, truth::answer));
    List<PeerOffer> offers = new ArrayList<>();
    offers.addAll(claimAll(corrupt.endpoint(), records()));
    offers.addAll(claimAll(stall.endpoint(), records()));
    offers.addAll(claimAll(closer.endpoint(), records()));
    offers.addAll(claimAll(good, records()));
    InMemoryChunkStore mine = own(new InMemoryChunkStore(64L << 20));
    // No hedging here: every request to a bad peer must end in its own failure before the block
    // is asked elsewhere, so each bad peer's failure is recorded (all four peers get requests in the
    // first round because none has been measured yet).
    DownloadReport report = download(mine, Fallback.none(), offers, Duration.ofMillis(500),
        SchedulerConfig.defaults().withHedgeDelays(Duration.ofSeconds(20), Duration.ofSeconds(20)));
    assertTrue(report.complete(), report.failed().toString());
    assertHoldsEverythingVerified(mine);
    assertTrue(report.count(corrupt.endpoint(), Outcome.BAD_DATA) >= 1, report.peerOutcomes().toString());
    assertEquals(0, report.count(corrupt.endpoint(), Outcome.OK));
    assertTrue(report.droppedPeers().contains(corrupt.endpoint()));
    assertTrue(report.count(stall.endpoint(), Outcome.TIMEOUT) >= 1, report.peerOutcomes().toString());
    assertEquals(0, report.count(stall.endpoint(), Outcome.OK));
    assertTrue(report.count(closer.endpoint(), Outcome.IO_ERROR) >= 1, report.peerOutcomes().toString());
    assertEquals(0, report.count(closer.endpoint(), Outcome.OK));
    assertTrue(report.sources().stream().allMatch(s -> good.equals(s.peer())), "only the good peer supplied blocks");
  }

  @Test
  void blocksNoPeerHasComeFromTheFallbackAndBadFallbackBytesAreRejected() throws Exception {
    // The peer has only the first V1 segment; the fallback supplies the rest but lies about one block.
    InMemoryChunkStore peerStore = storeWith((s, i) -> s == 0);
    PeerEndpoint peer = serve(peerStore);
    TestSegments.Segment liar = content.get(2);
    Fallback origin = (record, index) -> {
      for (TestSegments.Segment seg : content) {
        if (seg.record().equals(record)) {
          byte[] b = seg.block(index);
          if (seg == liar) {
            b[0] ^= 1;
          }
          return CompletableFuture.completedFuture(b);
        }
      }
      return CompletableFuture.failedFuture(new IllegalStateException("unknown"));
    };
    InMemoryChunkStore mine = own(new InMemoryChunkStore(64L << 20));
    DownloadReport report = download(mine, origin, offers(peer, peerStore), Duration.ofSeconds(2));
    assertEquals(List.of(new BlockRef(liar.record().id(), 0)), report.failed());
    assertEquals(6, report.sources().stream().filter(s -> s.origin() == Origin.PEER).count());
    assertEquals(totalBlocks() - 6 - 1,
        report.sources().stream().filter(s -> s.origin() == Origin.FALLBACK && s.reason().equals("NO_PEER")).count());
    assertTrue(mine.readBlock(liar.record().id(), 0).isEmpty(), "a bad block is never stored");
  }
}
