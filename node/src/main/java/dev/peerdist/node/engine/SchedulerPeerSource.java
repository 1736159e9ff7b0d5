package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.BlockFetcher;
import dev.peerdist.node.retrieval.BlockRef;
import dev.peerdist.node.retrieval.DownloadReport;
import dev.peerdist.node.retrieval.Fallback;
import dev.peerdist.node.retrieval.PeerBlockClient;
import dev.peerdist.node.retrieval.PeerOffer;
import dev.peerdist.node.retrieval.SchedulerConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;

/**
 * {@link PeerSource} over the retrieval scheduler: runs {@link BlockFetcher} (spread over peers,
 * speed weighting, back-off, hedging, dropping peers that sent bad data, MSG_GETBLKLIST for
 * partial holders, PROTOCOL.md §4.4–§4.6) for one segment at a time, and maps its
 * {@link DownloadReport} to per-block outcomes for the engine.
 *
 * <p>The fetcher's {@link Fallback} deliberately fails at once: the engine fetches what peers did
 * not supply from the origin itself, in contiguous range requests. The reason a block was missing
 * is the last failure a peer gave for it (recorded by a wrapper around the client, which also
 * counts every request in the meters), or, for a block no peer was asked for, why: a peer was
 * dropped for bad data, else none of the peers holds it.
 *
 * <p>One instance (one fetcher thread) serves the whole node; the engine runs at most one fetch per
 * segment at a time, which is what keys the per-block record by (segment, index). {@link #close()}
 * stops the fetcher, not the client or the store.
 */
public final class SchedulerPeerSource implements PeerSource, AutoCloseable {
  private final BlockFetcher fetcher;
  private final NodeMeters meters;
  private final Duration giveUp;
  /** Last failed outcome per block while its segment is being fetched. */
  private final Map<BlockRef, FallbackReason> lastFailure = new ConcurrentHashMap<>();
  /** Last failed outcome of any block per segment, for blocks never asked of a peer that gave up. */
  private final Map<SegmentId, FallbackReason> lastSegmentFailure = new ConcurrentHashMap<>();

  /**
   * @param client the PCCRR client (not closed here)
   * @param store where verified blocks go (not closed here)
   * @param config the scheduler policy
   * @param giveUp longest wait for one segment; blocks still missing then are reported as timed out
   */
  public SchedulerPeerSource(PeerBlockClient client, ChunkStore store, NodeMeters meters, SchedulerConfig config,
      Duration giveUp, Clock clock, RandomGenerator random) {
    this.meters = meters;
    this.giveUp = giveUp;
    this.fetcher = new BlockFetcher(new Recording(client), store, SchedulerPeerSource::noOrigin, config, clock,
        random);
  }

  /**
   * The retrieval policy for the daemon: the scheduler's defaults, but a peer that timed out or
   * refused is retried at most 3 times per block with short back-offs, since the engine has the
   * origin to fall back on (a vanished peer should cost well under a second, not the scheduler's
   * peer-only budget of 6 attempts and up to 8 s back-off).
   */
  public static SchedulerConfig daemonConfig() {
    SchedulerConfig d = SchedulerConfig.defaults();
    return new SchedulerConfig(d.maxInFlightPerPeer(), d.initialHedgeDelay(), d.minHedgeDelay(),
        d.hedgePercentile(), d.hedgeFactor(), d.busyBackoff(), Duration.ofMillis(250), Duration.ofSeconds(2), 3);
  }

  /** The engine does the origin part itself; failing fast leaves the block in the report's failed list. */
  private static CompletableFuture<byte[]> noOrigin(SegmentRecord segment, int index) {
    return CompletableFuture.failedFuture(new IllegalStateException("origin blocks are fetched by the engine"));
  }

  @Override
  public Map<Integer, Outcome> fetch(SegmentRecord record, BitSet wanted, List<PeerCandidate> peers)
      throws InterruptedException {
    Map<PeerEndpoint, Integer> held = new LinkedHashMap<>();
    for (PeerCandidate c : peers) {
      // PCCRD BlockCount (PROTOCOL.md §3.4); an always-asked peer of unknown holdings counts as a
      // partial holder, so the fetcher asks it MSG_GETBLKLIST first (§4.4).
      int n = c.complete() ? record.blockCount()
          : Math.max(1, Math.min(record.blockCount(), c.blocksHeld()));
      held.merge(c.endpoint(), n, Math::max);
    }
    List<PeerOffer> offers = held.entrySet().stream()
        .map(e -> new PeerOffer(e.getKey(), record.id(), e.getValue())).toList();
    Map<Integer, Outcome> out = new HashMap<>();
    try {
      DownloadReport report;
      try {
        report = fetcher.download(List.of(record), offers).get(giveUp.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        missing(wanted, out, FallbackReason.TIMEOUT);
        return out;
      } catch (ExecutionException e) {
        // The fetcher was closed or the store failed: the origin serves the rest.
        missing(wanted, out, FallbackReason.PEER_ERROR);
        return out;
      }
      for (DownloadReport.BlockSource s : report.sources()) {
        if (s.origin() == DownloadReport.Origin.PEER && wanted.get(s.block().index())) {
          out.put(s.block().index(), new Fetched(s.peer()));
        }
      }
      // A block never asked: a peer was dropped for bad data, or gave up after failing, or none
      // of the peers holds it.
      FallbackReason unasked = !report.droppedPeers().isEmpty() ? FallbackReason.HASH_MISMATCH
          : lastSegmentFailure.getOrDefault(record.id(), FallbackReason.BLOCK_NOT_HELD);
      for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
        if (!out.containsKey(i)) {
          FallbackReason why = lastFailure.get(new BlockRef(record.id(), i));
          out.put(i, new Missing(why != null ? why : unasked));
        }
      }
      return out;
    } finally {
      lastSegmentFailure.remove(record.id());
      for (int i = 0; i < record.blockCount(); i++) {
        lastFailure.remove(new BlockRef(record.id(), i));
      }
    }
  }

  private static void missing(BitSet wanted, Map<Integer, Outcome> out, FallbackReason why) {
    wanted.stream().forEach(i -> out.put(i, new Missing(why)));
  }

  /**
   * Why a peer did not supply a block, as the engine's metric label. An empty MSG_BLK cannot be
   * told apart from busy on the wire (§4.6); it is counted as not held, as the peer did not serve it.
   */
  static FallbackReason reason(dev.peerdist.node.retrieval.Outcome o) {
    return switch (o) {
      case BUSY -> FallbackReason.PEER_BUSY;
      case NOT_AVAILABLE -> FallbackReason.BLOCK_NOT_HELD;
      case BAD_DATA -> FallbackReason.HASH_MISMATCH;
      case TIMEOUT -> FallbackReason.TIMEOUT;
      default -> FallbackReason.PEER_ERROR;
    };
  }

  @Override
  public void close() {
    fetcher.close();
  }

  /** The client as the fetcher sees it: counts every request and remembers each block's last failure. */
  private final class Recording implements PeerBlockClient {
    private final PeerBlockClient client;

    Recording(PeerBlockClient client) {
      this.client = client;
    }

    @Override
    public CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index) {
      return client.fetchBlock(peer, record, index).thenApply(r -> {
        meters.peerRequest("getblks", r.outcome().name().toLowerCase(Locale.ROOT));
        if (!r.ok()) {
          if (r.outcome() == dev.peerdist.node.retrieval.Outcome.BAD_DATA) {
            meters.corruptBlock();
          }
          lastFailure.put(new BlockRef(record.id(), index), reason(r.outcome()));
          if (r.outcome() != dev.peerdist.node.retrieval.Outcome.NOT_AVAILABLE) {
            lastSegmentFailure.put(record.id(), reason(r.outcome()));
          }
        }
        return r;
      });
    }

    @Override
    public CompletableFuture<BlockList> blockList(PeerEndpoint peer, SegmentId id, List<BlockRange> needed) {
      return client.blockList(peer, id, needed).whenComplete((list, err) ->
          meters.peerRequest("getblklist", err == null ? "ok" : "io_error"));
    }
  }
}
