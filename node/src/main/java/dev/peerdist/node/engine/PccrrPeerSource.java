package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.PeerClient;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link PeerSource} over the PCCRR client: one MSG_GETBLKS per block (PROTOCOL.md §4.6), up to
 * {@code inFlight} requests at once for a segment, spread over the candidates (peers claiming
 * the whole segment first), each failed block retried on the next peer, a peer that sent bad
 * data dropped for the rest of the segment. {@link PeerClient} decrypts and verifies; the block
 * is verified once more by the store before it is written, so a corrupt block is never stored.
 */
public final class PccrrPeerSource implements PeerSource {
  private final PeerClient client;
  private final ChunkStore store;
  private final NodeMeters meters;
  private final int inFlight;
  private final long giveUpMillis;

  /**
   * @param inFlight most requests outstanding for one segment
   * @param giveUpMillis longest wait for one answer beyond the client's own request timer
   */
  public PccrrPeerSource(PeerClient client, ChunkStore store, NodeMeters meters, int inFlight, long giveUpMillis) {
    this.client = client;
    this.store = store;
    this.meters = meters;
    this.inFlight = inFlight;
    this.giveUpMillis = giveUpMillis;
  }

  private record Done(int index, PeerEndpoint peer, BlockFetchResult result) {}

  @Override
  public Map<Integer, Outcome> fetch(SegmentRecord record, BitSet wanted, List<PeerCandidate> peers)
      throws InterruptedException {
    List<PeerEndpoint> order = new ArrayList<>();
    peers.stream()
        .sorted(Comparator.comparing((PeerCandidate c) -> !c.complete())
            .thenComparing(c -> -c.blocksHeld()))
        .forEach(c -> {
          if (!order.contains(c.endpoint())) {
            order.add(c.endpoint());
          }
        });
    Map<Integer, Outcome> out = new HashMap<>();
    Map<Integer, Integer> attempts = new HashMap<>();
    Map<Integer, FallbackReason> lastReason = new HashMap<>();
    Set<PeerEndpoint> dropped = new HashSet<>();
    FallbackReason droppedWhy = null;
    LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();
    List<Integer> queue = new ArrayList<>();
    wanted.stream().forEach(queue::add);
    int outstanding = 0;
    int next = 0;
    while (next < queue.size() || outstanding > 0) {
      while (outstanding < inFlight && next < queue.size()) {
        int index = queue.get(next++);
        PeerEndpoint peer = pick(order, dropped, index, attempts.getOrDefault(index, 0));
        if (peer == null) {
          // No peer left to ask: the block's own last failure, else why the peers were dropped.
          out.put(index, new Missing(lastReason.getOrDefault(index,
              droppedWhy == null ? FallbackReason.PEER_ERROR : droppedWhy)));
          continue;
        }
        attempts.merge(index, 1, Integer::sum);
        outstanding++;
        CompletableFuture<BlockFetchResult> f = client.fetchBlock(peer, record, index);
        f.whenComplete((r, t) -> done.add(new Done(index, peer,
            t != null ? BlockFetchResult.failed(dev.peerdist.node.retrieval.Outcome.IO_ERROR, String.valueOf(t.getMessage()), 0) : r)));
      }
      if (outstanding == 0) {
        continue;
      }
      Done d = done.poll(client.config().requestTimeout().toMillis() + giveUpMillis, TimeUnit.MILLISECONDS);
      if (d == null) {
        // The client's own timer should have fired; stop waiting and let the origin serve the rest.
        for (Integer w : queue) {
          out.putIfAbsent(w, new Missing(FallbackReason.TIMEOUT));
        }
        return out;
      }
      outstanding--;
      BlockFetchResult r = d.result();
      meters.peerRequest("getblks", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
      if (r.ok() && store(record, d.index(), r.data())) {
        out.put(d.index(), new Fetched(d.peer()));
        continue;
      }
      FallbackReason why = reason(r.outcome());
      if (r.ok() || r.outcome() == dev.peerdist.node.retrieval.Outcome.BAD_DATA) {
        why = FallbackReason.HASH_MISMATCH;
        meters.corruptBlock();
        dropped.add(d.peer());
        droppedWhy = why;
      } else if (r.outcome() == dev.peerdist.node.retrieval.Outcome.IO_ERROR) {
        dropped.add(d.peer());
        droppedWhy = why;
      }
      lastReason.put(d.index(), why);
      // Retry on another peer by queueing the block again.
      queue.add(d.index());
    }
    return out;
  }

  private boolean store(SegmentRecord record, int index, byte[] data) {
    if (data == null || !record.verifies(index, data, 0, data.length)) {
      return false;
    }
    try {
      store.putBlock(record.id(), index, data);
      return true;
    } catch (StoreFullException e) {
      return false;
    }
  }

  /** The next peer for a block: rotate by index so blocks spread over peers; skip dropped ones. */
  private static PeerEndpoint pick(List<PeerEndpoint> order, Set<PeerEndpoint> dropped, int index, int attempt) {
    List<PeerEndpoint> live = order.stream().filter(p -> !dropped.contains(p)).toList();
    if (attempt >= Math.min(live.size(), 3) || live.isEmpty()) {
      return null;
    }
    return live.get((index + attempt) % live.size());
  }

  private static FallbackReason reason(dev.peerdist.node.retrieval.Outcome o) {
    return switch (o) {
      case NOT_AVAILABLE -> FallbackReason.BLOCK_NOT_HELD;
      case BUSY -> FallbackReason.PEER_BUSY;
      case BAD_DATA -> FallbackReason.HASH_MISMATCH;
      case TIMEOUT -> FallbackReason.TIMEOUT;
      default -> FallbackReason.PEER_ERROR;
    };
  }
}
