package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.SegmentDescription;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.BlockHashesHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a segment's block-hash list comes from: subnet-mates first, checked; the publisher last. */
class ContentInfoResolverTest {
  static final URI URL = URI.create("http://publisher.invalid/pkg.bin");
  static final PeerEndpoint A = new PeerEndpoint(new InetSocketAddress("10.0.0.1", 80));
  static final PeerEndpoint B = new PeerEndpoint(new InetSocketAddress("10.0.0.2", 80));

  final TestContent content = new TestContent(9, 3 * 65536 + 100, 4 * 65536);
  final SegmentRecord record = content.records.get(0);
  final InMemoryChunkStore store = new InMemoryChunkStore(1L << 30);
  final AtomicInteger wholeSegmentRequests = new AtomicInteger();
  final List<String> asked = new ArrayList<>();
  final Map<PeerEndpoint, byte[]> peerHashes = new ConcurrentHashMap<>();
  List<PeerEndpoint> holders = List.of();
  List<PeerEndpoint> better = List.of();
  ContentInfoResolver resolver;

  @AfterEach
  void close() {
    if (resolver != null) {
      resolver.close();
    }
    store.close();
  }

  /** The publisher: descriptions with as many block hashes as the range covers (PROTOCOL.md §2.3). */
  ContentInformation describe(long first, long last) {
    int blocks = (int) Math.min(record.blockCount(), last / 65536 + 1);
    if (blocks == record.blockCount()) {
      wholeSegmentRequests.incrementAndGet();
    }
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      hashes.add(record.blockHash(i));
    }
    return ContentInformation.v1(record.algorithm(), 0, 0, List.of(SegmentDescription.v1(record.algorithm(), 0,
        record.segmentLength(), record.hashOfData(), record.segmentSecret(), hashes)));
  }

  ContentInfoResolver resolver() {
    return resolver(Duration.ofMillis(10));
  }

  ContentInfoResolver resolver(Duration discoveryWait) {
    resolver = new ContentInfoResolver(this::range, new ContentInfoResolver.HashListPeers() {
      @Override
      public void announce(SegmentId id) {
        asked.add("announce " + id.equals(record.id()));
      }

      @Override
      public List<PeerEndpoint> holders(SegmentId id) {
        return holders;
      }

      @Override
      public List<PeerEndpoint> betterRanked(SegmentId id) {
        return better;
      }

      @Override
      public Optional<byte[]> hashes(PeerEndpoint peer, SegmentId id, byte[] proof) {
        asked.add("hashes " + peer.address().getHostString());
        assertTrue(java.util.Arrays.equals(BlockHashesHandler.proof(record.hashOfData()), proof), "the proof of HoD");
        return Optional.ofNullable(peerHashes.get(peer));
      }
    }, store, discoveryWait, Duration.ofMillis(600));
    return resolver;
  }

  private ContentInformation range(URI url, long first, long last) {
    return describe(first, last);
  }

  byte[] allHashes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < record.blockCount(); i++) {
      out.writeBytes(record.blockHash(i));
    }
    return out.toByteArray();
  }

  SegmentRecord resolve() throws Exception {
    return resolver().resolve(URL, "", 0, record.segmentLength(), null).get(10, TimeUnit.SECONDS);
  }

  @Test
  void aHolderSuppliesTheHashListAndThePublisherOnlyTheDescription() throws Exception {
    holders = List.of(A);
    peerHashes.put(A, allHashes());
    assertEquals(record, resolve());
    assertEquals(0, wholeSegmentRequests.get());
    assertEquals(List.of("announce true", "hashes 10.0.0.1"), asked);
    assertEquals(1, resolver.fromPeers());
  }

  @Test
  void aHolderThatAnswersEndsTheDiscoveryWait() throws Exception {
    // A discovery wait far longer than the get below: only an early end lets the resolution finish.
    holders = List.of(A);
    peerHashes.put(A, allHashes());
    SegmentRecord r = resolver(Duration.ofHours(1)).resolve(URL, "", 0, record.segmentLength(), null)
        .get(60, TimeUnit.SECONDS);
    assertEquals(record, r);
    assertEquals(List.of("announce true", "hashes 10.0.0.1"), asked);
    assertEquals(0, wholeSegmentRequests.get());
  }

  @Test
  void aHolderWithABadListDoesNotEndTheDiscoveryWaitEarly() throws Exception {
    // The bad list is refused; better-ranked wanters heard within the wait are still asked.
    holders = List.of(A);
    byte[] bad = allHashes();
    bad[5] ^= 1;
    peerHashes.put(A, bad);
    better = List.of(B);
    peerHashes.put(B, allHashes());
    assertEquals(record, resolver(Duration.ofMillis(50)).resolve(URL, "", 0, record.segmentLength(), null)
        .get(10, TimeUnit.SECONDS));
    assertEquals(List.of("announce true", "hashes 10.0.0.1", "hashes 10.0.0.2"), asked);
    assertEquals(0, wholeSegmentRequests.get());
  }

  @Test
  void aHashListThatDoesNotHashToHodIsRefusedAndThePublisherAsked() throws Exception {
    holders = List.of(A);
    byte[] bad = allHashes();
    bad[5] ^= 1;
    peerHashes.put(A, bad);
    assertEquals(record, resolve());
    assertEquals(1, wholeSegmentRequests.get());
    assertEquals(0, resolver.fromPeers());
    assertEquals(1, resolver.fromPublisher());
  }

  @Test
  void aBetterRankedWanterIsWaitedForUntilItHasTheList() throws Exception {
    better = List.of(B);
    new Thread(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      }
      peerHashes.put(B, allHashes());
    }).start();
    assertEquals(record, resolve());
    assertEquals(0, wholeSegmentRequests.get(), "waited for the subnet's fetcher instead of the publisher");
    assertTrue(asked.stream().filter(a -> a.equals("hashes 10.0.0.2")).count() >= 2, asked.toString());
  }

  @Test
  void aNodeThatRanksFirstAsksThePublisherAtOnce() throws Exception {
    assertEquals(record, resolve());
    assertEquals(1, wholeSegmentRequests.get());
    assertEquals(List.of("announce true"), asked);
  }

  @Test
  void aBetterRankedWanterThatNeverHasItCostsOnlyTheHashWait() throws Exception {
    better = List.of(B);
    assertEquals(record, resolve());
    assertEquals(1, wholeSegmentRequests.get());
  }

  @Test
  void aSegmentAlreadyInTheStoreNeedsNobody() throws Exception {
    store.putSegment(record);
    assertEquals(record, resolve());
    assertEquals(List.of(), asked);
    assertEquals(0, wholeSegmentRequests.get());
  }

  @Test
  void aDescriptionAtTheWrongPlaceFailsNamingTheChange() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> resolver().resolve(URL, "", 0, record.segmentLength() - 1, null).get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IOException);
    assertTrue(e.getCause().getMessage().contains("did the file change?"), e.getCause().getMessage());
  }
}
