package dev.peerdist.node.hostedcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerBlockClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hosted cache's pull: what is asked again (slow, busy, dropped) and what is not (bad data). */
class SegmentPullerTest {
  private static final int BLOCK = SegmentRecord.V1_BLOCK_SIZE;

  private static SegmentRecord record(byte[] segment) {
    HashAlgorithm a = HashAlgorithm.SHA_256;
    List<byte[]> hashes = new ArrayList<>();
    for (int off = 0; off < segment.length; off += BLOCK) {
      hashes.add(a.hash(Arrays.copyOfRange(segment, off, Math.min(segment.length, off + BLOCK))));
    }
    byte[] hod = PccrcKeys.v1HashOfData(a, hashes);
    byte[] secret = PccrcKeys.serverSecret(a, "test".getBytes());
    return SegmentRecord.v1(a, hod, PccrcKeys.segmentSecret(a, secret, hod), segment.length, hashes);
  }

  /** A client that answers each block's first {@code failures} requests with {@code how}, then the block. */
  private static final class FlakyClient implements PeerBlockClient {
    final byte[] segment;
    final int failures;
    final String how;
    final Map<Integer, AtomicInteger> asked = new ConcurrentHashMap<>();
    final AtomicInteger all = new AtomicInteger();

    FlakyClient(byte[] segment, int failures, String how) {
      this.segment = segment;
      this.failures = failures;
      this.how = how;
    }

    @Override
    public CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index) {
      // "gone": the first requests of all fail (a client away for a while); else per block.
      int n = how.equals("gone") ? all.incrementAndGet()
          : asked.computeIfAbsent(index, i -> new AtomicInteger()).incrementAndGet();
      byte[] data = Arrays.copyOfRange(segment, index * BLOCK, Math.min(segment.length, (index + 1) * BLOCK));
      if (n > failures) {
        return CompletableFuture.completedFuture(BlockFetchResult.ok(data, 1000));
      }
      return switch (how) {
        case "never" -> new CompletableFuture<>(); // never answers: the puller's own timer fires
        case "dropped", "gone" -> CompletableFuture.failedFuture(new java.io.IOException("connection reset"));
        case "busy" -> CompletableFuture.completedFuture(BlockFetchResult.failed(Outcome.BUSY, "busy", 1000));
        case "corrupt" -> {
          data[0] ^= 1;
          yield CompletableFuture.completedFuture(BlockFetchResult.ok(data, 1000));
        }
        default -> throw new IllegalStateException(how);
      };
    }

    @Override
    public CompletableFuture<BlockList> blockList(PeerEndpoint peer, SegmentId id, List<BlockRange> needed) {
      throw new UnsupportedOperationException();
    }
  }

  private static int pull(String how, int failures) throws Exception {
    byte[] segment = new byte[4 * BLOCK];
    new Random(7).nextBytes(segment);
    SegmentRecord r = record(segment);
    try (InMemoryChunkStore store = new InMemoryChunkStore(1L << 30);
        SegmentPuller puller = new SegmentPuller(store, new FlakyClient(segment, failures, how), 1, 4, 4,
            Duration.ofMillis(100), (result, bytes) -> { })) {
      assertTrue(puller.submit(r, new InetSocketAddress("127.0.0.1", 9)));
      for (int i = 0; i < 600 && puller.pending() > 0; i++) {
        Thread.sleep(50);
      }
      assertEquals(0, puller.pending(), "the pull ended");
      return store.presentBlocks(r.id()).cardinality();
    }
  }

  @Test
  void slowDroppedAndBusyAnswersAreAskedAgain() throws Exception {
    assertEquals(4, pull("never", 1), "a block that timed out once");
    assertEquals(4, pull("dropped", 2), "a block whose connection dropped twice");
    assertEquals(4, pull("busy", SegmentPuller.RETRIES), "a block answered busy up to the retry limit");
    assertEquals(4, pull("gone", 2 * (SegmentPuller.RETRIES + 1)), "a client gone for two rounds");
  }

  @Test
  void aCorruptBlockIsNeverStoredNorAskedAgainAndAClientThatNeverAnswersIsLeft() throws Exception {
    assertEquals(0, pull("corrupt", 1), "nothing stored after bad data: the pull stops at the first block");
    assertEquals(0, pull("never", 1000), "a client that never answers is left after the rounds");
  }
}
