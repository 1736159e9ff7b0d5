package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.BlockVerificationException;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.retrieval.DownloadReport.BlockSource;
import dev.peerdist.node.retrieval.DownloadReport.Origin;
import dev.peerdist.node.retrieval.DownloadScheduler.Assignment;
import dev.peerdist.node.retrieval.DownloadScheduler.FallbackRequest;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link DownloadScheduler}s with a real {@link PeerBlockClient}: sends what the scheduler
 * assigns, stores every verified block in the {@link ChunkStore} (which verifies again before
 * writing, HOUSE-STYLE 12), hands blocks no peer can supply to the {@link Fallback}, and reports
 * where each block came from.
 *
 * <p>All download state is owned by one thread ({@code block-fetcher}); client and fallback
 * callbacks only post events to it (HOUSE-STYLE 14). {@link #close()} stops the thread and fails
 * downloads still running; it is idempotent and does not close the client or the store.
 */
public final class BlockFetcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockFetcher.class);

  private final PeerBlockClient client;
  private final ChunkStore store;
  private final Fallback fallback;
  private final SchedulerConfig config;
  private final Clock clock;
  private final RandomGenerator random;
  private final ScheduledThreadPoolExecutor loop;
  private final List<Download> running = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  public BlockFetcher(PeerBlockClient client, ChunkStore store, Fallback fallback, SchedulerConfig config,
      Clock clock, RandomGenerator random) {
    this.client = client;
    this.store = store;
    this.fallback = fallback;
    this.config = config;
    this.clock = clock;
    this.random = random;
    this.loop = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("block-fetcher", true));
    this.loop.setRemoveOnCancelPolicy(true);
  }

  /**
   * Downloads every block of {@code segments} not already in the store from the peers in
   * {@code offers}, falling back for the rest. The future completes when every block is stored or
   * has failed; it never completes exceptionally for peer or origin failures.
   */
  public CompletableFuture<DownloadReport> download(List<SegmentRecord> segments, List<PeerOffer> offers) {
    Download d = new Download(List.copyOf(segments), List.copyOf(offers));
    try {
      loop.execute(d::start);
    } catch (RejectedExecutionException e) {
      d.result.completeExceptionally(new IllegalStateException("block fetcher is closed"));
    }
    return d.result;
  }

  private void post(Runnable event) {
    try {
      loop.execute(event);
    } catch (RejectedExecutionException e) {
      log.debug("event after close dropped");
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      loop.submit(() -> {
        for (Download d : new ArrayList<>(running)) {
          d.result.completeExceptionally(new IllegalStateException("block fetcher closed"));
        }
        running.clear();
      }).get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("close: {}", e.toString());
    }
    loop.shutdownNow();
  }

  /** One download; every method runs on the loop thread. */
  private final class Download {
    final List<SegmentRecord> segments;
    final List<PeerOffer> offers;
    final CompletableFuture<DownloadReport> result = new CompletableFuture<>();
    final Map<SegmentId, SegmentRecord> records = new LinkedHashMap<>();
    final List<BlockSource> sources = new ArrayList<>();
    final List<BlockRef> failed = new ArrayList<>();
    DownloadScheduler scheduler;
    int fallbacksOutstanding;
    int blockListsOutstanding;
    ScheduledFuture<?> wakeup;
    Instant wakeupAt;

    Download(List<SegmentRecord> segments, List<PeerOffer> offers) {
      this.segments = segments;
      this.offers = offers;
    }

    void start() {
      running.add(this);
      scheduler = new DownloadScheduler(config, clock, random);
      try {
        for (SegmentRecord r : segments) {
          records.put(r.id(), r);
          store.putSegment(r);
          BitSet present = store.presentBlocks(r.id());
          BitSet wanted = new BitSet();
          for (int i = 0; i < r.blockCount(); i++) {
            if (present.get(i)) {
              sources.add(new BlockSource(new BlockRef(r.id(), i), Origin.ALREADY_HELD, null, "", r.blockLength(i)));
            } else {
              wanted.set(i);
            }
          }
          scheduler.want(r.id(), r.blockCount(), wanted);
        }
      } catch (ChunkStoreException e) {
        finish(e);
        return;
      }
      for (PeerOffer o : offers) {
        SegmentRecord r = records.get(o.segment());
        if (r == null) {
          continue;
        }
        scheduler.addPeer(o.peer(), o.segment(), o.blocksHeld());
        if (o.blocksHeld() < r.blockCount()) {
          askBlockList(o, r);
        }
      }
      if (blockListsOutstanding == 0) {
        pump();
      }
    }

    /**
     * A peer holding part of a segment is asked which blocks (MSG_GETBLKLIST), so that no request
     * is wasted on blocks it lacks. Scheduling starts when every such answer is in or has failed
     * (bounded by the client's request timer). An empty answer may mean "busy" (PROTOCOL.md §4.6),
     * so only a non-empty list replaces the count.
     */
    private void askBlockList(PeerOffer o, SegmentRecord r) {
      List<BlockRange> needed = new ArrayList<>();
      for (int i = 0; i < r.blockCount(); i += BlockRange.MAX_BLOCKS) {
        needed.add(new BlockRange(i, Math.min(BlockRange.MAX_BLOCKS, r.blockCount() - i)));
      }
      blockListsOutstanding++;
      CompletableFuture<BlockList> answer;
      try {
        answer = client.blockList(o.peer(), o.segment(), needed);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answer.whenComplete((list, err) -> post(() -> {
        blockListsOutstanding--;
        if (err == null && list != null && !list.ranges().isEmpty()) {
          BitSet held = new BitSet();
          for (BlockRange range : list.ranges()) {
            held.set(range.index(), Math.min(range.end(), r.blockCount()));
          }
          scheduler.addPeerBlocks(o.peer(), o.segment(), held);
        }
        if (blockListsOutstanding == 0) {
          pump();
        }
      }));
    }

    void pump() {
      if (result.isDone() || blockListsOutstanding > 0) {
        return;
      }
      for (Assignment a : scheduler.poll()) {
        SegmentRecord r = records.get(a.block().segment());
        client.fetchBlock(a.peer(), r, a.block().index()).whenComplete((res, err) -> post(() -> {
          BlockFetchResult fr = err != null
              ? BlockFetchResult.failed(Outcome.IO_ERROR, err.toString(), 0) : res;
          onFetched(a, r, fr);
        }));
      }
      for (FallbackRequest f : scheduler.takeFallbacks()) {
        SegmentRecord r = records.get(f.block().segment());
        fallbacksOutstanding++;
        CompletableFuture<byte[]> origin;
        try {
          origin = fallback.fetch(r, f.block().index());
        } catch (RuntimeException e) {
          origin = CompletableFuture.failedFuture(e);
        }
        origin.whenComplete((bytes, err) -> post(() -> onFallback(f, r, bytes, err)));
      }
      if (scheduler.finished() && fallbacksOutstanding == 0) {
        finish(null);
        return;
      }
      Optional<Instant> next = scheduler.nextWakeup();
      if (next.isPresent() && !next.get().equals(wakeupAt)) {
        if (wakeup != null) {
          wakeup.cancel(false);
        }
        wakeupAt = next.get();
        // Round up, plus a millisecond: a timer that fired even slightly early would poll before
        // the deadline, and nextWakeup() (deadlines strictly after now) read a moment later would
        // no longer name it, so nothing would ever poll again.
        long nanos = Duration.between(clock.instant(), wakeupAt).toNanos();
        long delay = Math.max(1, (nanos + 999_999) / 1_000_000 + 1);
        wakeup = loop.schedule(() -> {
          wakeupAt = null;
          pump();
        }, delay, TimeUnit.MILLISECONDS);
      }
    }

    void onFetched(Assignment a, SegmentRecord r, BlockFetchResult res) {
      if (result.isDone()) {
        return;
      }
      Outcome outcome = res.outcome();
      BlockRef ref = a.block();
      if (outcome == Outcome.OK && !scheduler.isDone(ref)) {
        try {
          store.putBlock(ref.segment(), ref.index(), res.data());
          sources.add(new BlockSource(ref, Origin.PEER, a.peer(), "", res.data().length));
        } catch (BlockVerificationException e) {
          outcome = Outcome.BAD_DATA; // cannot happen after the client's check, but never trust it
        } catch (ChunkStoreException e) {
          log.warn("cannot store block {}: {}", ref, e.getMessage());
          failed.add(ref);
        }
      }
      scheduler.onResult(a, outcome, res.data() == null ? 0 : res.data().length,
          Duration.ofNanos(res.elapsedNanos()));
      pump();
    }

    void onFallback(FallbackRequest f, SegmentRecord r, byte[] bytes, Throwable err) {
      fallbacksOutstanding--;
      if (result.isDone()) {
        return;
      }
      BlockRef ref = f.block();
      if (err != null || bytes == null) {
        log.debug("fallback failed for {}: {}", ref, err == null ? "no data" : err.toString());
        failed.add(ref);
      } else {
        try {
          store.putBlock(ref.segment(), ref.index(), bytes);
          sources.add(new BlockSource(ref, Origin.FALLBACK, null, f.reason().name(), bytes.length));
        } catch (ChunkStoreException e) {
          log.debug("fallback block {} rejected: {}", ref, e.getMessage());
          failed.add(ref);
        }
      }
      pump();
    }

    void finish(Throwable error) {
      running.remove(this);
      if (wakeup != null) {
        wakeup.cancel(false);
      }
      if (error != null) {
        result.completeExceptionally(error);
        return;
      }
      result.complete(new DownloadReport(sources, failed, scheduler.outcomes(), scheduler.droppedPeers()));
    }
  }

  /** The loop, for tests that need to run something on the owner thread. */
  ScheduledExecutorService loop() {
    return loop;
  }
}
