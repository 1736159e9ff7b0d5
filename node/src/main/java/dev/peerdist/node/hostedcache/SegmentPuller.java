package dev.peerdist.node.hostedcache;

import dev.peerdist.chunkstore.BlockVerificationException;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerBlockClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls offered segments from the clients that offered them (PROTOCOL.md §6.1: after an offer the
 * hosted cache connects back to the client's address on its CONNECTION_INFORMATION port and
 * fetches blocks by MS-PCCRR). Every block is decrypted and verified against the segment's block
 * hash by the PCCRR client, and verified again by the store before it is written; a block that
 * fails is never stored, and the rest of that client's segment is abandoned.
 *
 * <p>Bounded (HOUSE-STYLE 4): {@code threads} segments are pulled at once, at most {@code
 * maxQueued} wait, at most {@code maxPerClient} of them (running or waiting) for one client address,
 * and a segment already running or waiting is not queued twice. A block a client answers empty
 * (busy or not held, §4.6), that timed out or whose connection failed is asked again up to
 * {@link #RETRIES} times, 200 ms apart and doubling; a segment whose pull stopped that way is gone
 * over again up to {@link #ROUNDS} times, a second apart and doubling; then it is left for the next
 * offer. A block that fails verification ends the pull at once.
 *
 * <p>Pulled segments are stored like downloaded ones: not pinned, evictable in least-recently-used
 * order. A hosted cache is a cache of what its branch downloads; pinning every offer would fill it
 * with whatever was offered first. Pre-populated content (package import, {@code prepopulate}) is
 * what gets pinned.
 */
public final class SegmentPuller implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentPuller.class);
  /** Extra attempts at a block a client answered empty or late, or whose connection failed. */
  static final int RETRIES = 3;
  /** Pause before asking again for a block answered empty. */
  static final Duration RETRY_PAUSE = Duration.ofMillis(200);
  /** Rounds over a segment's missing blocks before the pull waits for the next offer. */
  static final int ROUNDS = 4;
  /** Pause before the next round (doubling). */
  static final Duration ROUND_PAUSE = Duration.ofSeconds(1);

  /** Where pull outcomes are counted. */
  public interface Listener {
    /** One block: {@code result} is {@code ok} or an outcome label; {@code bytes} stored. */
    void block(String result, long bytes);
  }

  private final ChunkStore store;
  private final PeerBlockClient peers;
  private final Duration blockTimeout;
  private final int maxPerClient;
  private final Listener listener;
  private final ThreadPoolExecutor pool;
  private final Set<SegmentId> active = new HashSet<>();
  private final Map<InetAddress, Integer> perClient = new HashMap<>();

  /**
   * @param threads segments pulled at once
   * @param maxQueued segments waiting beyond those
   * @param maxPerClient segments running or waiting for one client address
   * @param blockTimeout how long one block may take (the PCCRR client's own timer also applies)
   */
  public SegmentPuller(ChunkStore store, PeerBlockClient peers, int threads, int maxQueued, int maxPerClient,
      Duration blockTimeout, Listener listener) {
    if (threads < 1 || maxQueued < 1 || maxPerClient < 1) {
      throw new IllegalArgumentException("threads, maxQueued and maxPerClient must be >= 1");
    }
    this.store = store;
    this.peers = peers;
    this.blockTimeout = blockTimeout;
    this.maxPerClient = maxPerClient;
    this.listener = listener;
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxQueued),
        r -> {
          Thread t = new Thread(r, "pchc-pull-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
  }

  /** True when a segment offered by {@code client} would be accepted now. */
  public synchronized boolean hasRoom(InetAddress client) {
    return pool.getQueue().remainingCapacity() > 0 && perClient.getOrDefault(client, 0) < maxPerClient
        && !pool.isShutdown();
  }

  /**
   * Queues a pull of the blocks of {@code record} the store lacks, from {@code source}.
   *
   * @return false when there is no room, the client has too many pulls, or the segment is already
   *     being pulled
   */
  public synchronized boolean submit(SegmentRecord record, InetSocketAddress source) {
    InetAddress client = source.getAddress();
    if (active.contains(record.id()) || perClient.getOrDefault(client, 0) >= maxPerClient) {
      return false;
    }
    try {
      pool.execute(() -> {
        try {
          pull(record, new PeerEndpoint(source));
        } finally {
          done(record.id(), client);
        }
      });
    } catch (RejectedExecutionException e) {
      return false;
    }
    active.add(record.id());
    perClient.merge(client, 1, Integer::sum);
    return true;
  }

  private synchronized void done(SegmentId id, InetAddress client) {
    active.remove(id);
    perClient.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
  }

  /** Segments running or waiting. */
  public synchronized int pending() {
    return active.size();
  }

  private void pull(SegmentRecord record, PeerEndpoint source) {
    SegmentId id = record.id();
    try {
      store.putSegment(record);
    } catch (StoreFullException e) {
      listener.block("store_full", 0);
      return;
    } catch (RuntimeException e) {
      LOG.warn("hosted cache: cannot record segment {}: {}", id, e.toString());
      return;
    }
    int stored = 0;
    for (int round = 0; ; round++) {
      BitSet held = store.presentBlocks(id);
      String result = "ok";
      int at = -1;
      for (int i = held.nextClearBit(0); i < record.blockCount(); i = held.nextClearBit(i + 1)) {
        if (Thread.currentThread().isInterrupted()) {
          return;
        }
        result = pullBlock(record, source, i);
        if (!result.equals("ok")) {
          at = i;
          break;
        }
        stored++;
      }
      if (result.equals("ok")) {
        LOG.debug("hosted cache: pulled {} blocks of {} from {}", stored, id, source);
        return;
      }
      // A client that stopped answering for a while (a loaded machine) gets a few more rounds, a
      // second apart and doubling; what it sent wrong, or a full store, ends the pull.
      boolean again = round + 1 < ROUNDS && (result.equals("timeout") || result.equals("io_error")
          || result.equals("busy") || result.equals("not_available"));
      LOG.debug("hosted cache: pull of {} from {} stopped at block {}: {}{}", id, source, at, result,
          again ? "; trying again" : "");
      if (!again) {
        return;
      }
      try {
        Thread.sleep(ROUND_PAUSE.toMillis() << round);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private String pullBlock(SegmentRecord record, PeerEndpoint source, int index) {
    for (int attempt = 0; ; attempt++) {
      BlockFetchResult r;
      String failure = null;
      try {
        r = peers.fetchBlock(source, record, index).get(blockTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        r = null;
        failure = "timeout";
      } catch (ExecutionException e) {
        r = null;
        failure = "io_error";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
      if (r != null && r.ok()) {
        try {
          store.putBlock(record.id(), index, r.data());
        } catch (BlockVerificationException e) {
          listener.block("bad_data", 0);
          return "bad_data";
        } catch (StoreFullException e) {
          listener.block("store_full", 0);
          return "store_full";
        } catch (RuntimeException e) {
          listener.block("store_error", 0);
          return "store_error";
        }
        listener.block("ok", r.data().length);
        return "ok";
      }
      String label = failure != null ? failure : r.outcome().name().toLowerCase(java.util.Locale.ROOT);
      // Busy, not held yet, slow or a dropped connection are worth asking again (a client under load
      // answers late); a block that failed verification is not.
      boolean retry = attempt < RETRIES && (failure != null || r.outcome() == Outcome.NOT_AVAILABLE
          || r.outcome() == Outcome.BUSY || r.outcome() == Outcome.TIMEOUT || r.outcome() == Outcome.IO_ERROR);
      listener.block(label, 0);
      if (!retry) {
        return label;
      }
      try {
        Thread.sleep(RETRY_PAUSE.toMillis() << attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
    }
  }

  /** Stops pulling; running pulls are interrupted. Idempotent. */
  @Override
  public void close() {
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
