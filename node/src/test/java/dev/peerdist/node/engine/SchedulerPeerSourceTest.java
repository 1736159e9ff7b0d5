package dev.peerdist.node.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerBlockClient;
import dev.peerdist.node.retrieval.SchedulerConfig;
import dev.peerdist.node.retrieval.PeerClientConfig;
import dev.peerdist.chunkstore.content.SegmentId;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine's peer seam over the real scheduler and fetcher, with scripted peers (no sockets). */
class SchedulerPeerSourceTest {
  static final int BLOCK = SegmentRecord.V1_BLOCK_SIZE;
  static final PeerEndpoint P1 = peer(9001);
  static final PeerEndpoint P2 = peer(9002);

  final TestContent content = new TestContent(7, 8 * BLOCK, 8 * BLOCK);
  final SegmentRecord record = content.records.get(0);
  final InMemoryChunkStore local = new InMemoryChunkStore(1L << 30);
  final NodeMeters meters = NodeMeters.prometheus();
  SchedulerPeerSource source;

  static PeerEndpoint peer(int port) {
    return new PeerEndpoint(new InetSocketAddress("127.0.0.1", port));
  }

  byte[] block(int i) {
    return Arrays.copyOfRange(content.bytes, i * BLOCK, (i + 1) * BLOCK);
  }

  /** A scripted client: {@code answer} decides each (peer, block); block lists from {@code lists}. */
  SchedulerPeerSource source(BiFunction<PeerEndpoint, Integer, BlockFetchResult> answer,
      Map<PeerEndpoint, BitSet> lists) {
    PeerBlockClient client = new PeerBlockClient() {
      @Override
      public CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint p, SegmentRecord r, int index) {
        return CompletableFuture.supplyAsync(() -> answer.apply(p, index));
      }

      @Override
      public CompletableFuture<BlockList> blockList(PeerEndpoint p, SegmentId id, List<BlockRange> needed) {
        BitSet held = lists.get(p);
        if (held == null) {
          return CompletableFuture.failedFuture(new IllegalStateException("no list"));
        }
        List<BlockRange> ranges = held.stream().mapToObj(i -> new BlockRange(i, 1)).toList();
        return CompletableFuture.completedFuture(
            new BlockList(PeerClientConfig.defaults().cryptoAlgoId(), id, ranges, 0));
      }
    };
    local.putSegment(record);
    source = new SchedulerPeerSource(client, local, meters, SchedulerPeerSource.daemonConfig(),
        Duration.ofSeconds(20), Clock.systemUTC(), new SplittableRandom(1));
    return source;
  }

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  BitSet all() {
    BitSet b = new BitSet();
    b.set(0, record.blockCount());
    return b;
  }

  @Test
  void everyBlockFromPeersSpreadOverBoth() throws Exception {
    Set<PeerEndpoint> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
    source((p, i) -> {
      used.add(p);
      return BlockFetchResult.ok(block(i), 1_000_000);
    }, Map.of());
    Map<Integer, PeerSource.Outcome> got = source.fetch(record, all(),
        List.of(new PeerCandidate(P1, 8, true), new PeerCandidate(P2, 8, true)));
    assertEquals(8, got.size());
    Set<PeerEndpoint> from = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      assertTrue(got.get(i) instanceof PeerSource.Fetched, "block " + i + ": " + got.get(i));
      from.add(((PeerSource.Fetched) got.get(i)).peer());
      assertArrayEquals(block(i), local.readBlock(record.id(), i).orElseThrow());
    }
    assertEquals(Set.of(P1, P2), from, "both peers served blocks");
    assertTrue(meters.scrape().contains("result=\"ok\""), meters.scrape());
  }

  @Test
  void onlyTheWantedBlocksAreReported() throws Exception {
    source((p, i) -> BlockFetchResult.ok(block(i), 1_000_000), Map.of());
    for (int i = 0; i < 4; i++) {
      local.putBlock(record.id(), i, block(i));
    }
    BitSet wanted = new BitSet();
    wanted.set(4, 8);
    Map<Integer, PeerSource.Outcome> got = source.fetch(record, wanted, List.of(new PeerCandidate(P1, 8, true)));
    assertEquals(Set.of(4, 5, 6, 7), got.keySet());
    assertTrue(got.values().stream().allMatch(o -> o instanceof PeerSource.Fetched));
  }

  @Test
  void badDataIsNeverStoredAndTheRestIsMissingAsHashMismatch() throws Exception {
    source((p, i) -> i == 0
        ? BlockFetchResult.failed(Outcome.BAD_DATA, "junk", 1_000)
        : BlockFetchResult.ok(block(i), 1_000_000), Map.of());
    Map<Integer, PeerSource.Outcome> got = source.fetch(record, all(), List.of(new PeerCandidate(P1, 8, true)));
    assertEquals(new PeerSource.Missing(FallbackReason.HASH_MISMATCH), got.get(0));
    assertFalse(local.hasBlock(record.id(), 0), "a corrupt block is never stored");
    for (int i = 1; i < 8; i++) {
      PeerSource.Outcome o = got.get(i);
      assertTrue(o instanceof PeerSource.Fetched || o.equals(new PeerSource.Missing(FallbackReason.HASH_MISMATCH)),
          "block " + i + ": " + o);
      assertEquals(o instanceof PeerSource.Fetched, local.hasBlock(record.id(), i));
    }
    assertTrue(meters.scrape().contains("peerdist_corrupt_blocks_total 1.0"), meters.scrape());
  }

  @Test
  void deadPeerIsGivenUpOnAndEveryBlockEndsAsPeerError() throws Exception {
    // 64 blocks: without giving up on the peer, each round of requests would wait a back-off and
    // the fetch would run into the give-up timer (reported as TIMEOUT).
    SegmentRecord big = new TestContent(8, 64 * BLOCK, 64 * BLOCK).records.get(0);
    source((p, i) -> BlockFetchResult.failed(Outcome.IO_ERROR, "refused", 1_000), Map.of());
    local.putSegment(big);
    BitSet wanted = new BitSet();
    wanted.set(0, 64);
    Map<Integer, PeerSource.Outcome> got = source.fetch(big, wanted, List.of(new PeerCandidate(P1, -1, false)));
    assertEquals(64, got.size());
    got.values().forEach(o -> assertEquals(new PeerSource.Missing(FallbackReason.PEER_ERROR), o));
  }

  @Test
  void timeoutsAreReportedAsTimeout() throws Exception {
    source((p, i) -> BlockFetchResult.failed(Outcome.TIMEOUT, "slow", 1_000), Map.of());
    Map<Integer, PeerSource.Outcome> got = source.fetch(record, all(), List.of(new PeerCandidate(P1, 8, true)));
    got.values().forEach(o -> assertEquals(new PeerSource.Missing(FallbackReason.TIMEOUT), o));
  }

  @Test
  void partialHolderIsAskedForItsListAndOnlyForThoseBlocks() throws Exception {
    BitSet held = new BitSet();
    held.set(2);
    held.set(5);
    Set<Integer> asked = java.util.concurrent.ConcurrentHashMap.newKeySet();
    source((p, i) -> {
      asked.add(i);
      return BlockFetchResult.ok(block(i), 1_000_000);
    }, Map.of(P1, held));
    Map<Integer, PeerSource.Outcome> got = source.fetch(record, all(), List.of(new PeerCandidate(P1, 2, false)));
    assertEquals(Set.of(2, 5), asked);
    for (int i = 0; i < 8; i++) {
      if (held.get(i)) {
        assertEquals(new PeerSource.Fetched(P1), got.get(i));
      } else {
        assertEquals(new PeerSource.Missing(FallbackReason.BLOCK_NOT_HELD), got.get(i));
      }
    }
  }
}
