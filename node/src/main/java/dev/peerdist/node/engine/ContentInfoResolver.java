package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentDescription;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.BlockHashesHandler;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves the segments of a {@link LazyPlan}: content information for a large package without
 * every node fetching it whole from the publisher (issue 8). V1 content information is 1/2048 of
 * the package (32 bytes per 64 KiB block, PROTOCOL.md §2.3); a thousand nodes fetching it whole
 * would send half a package over the WAN. So, per segment:
 *
 * <ol>
 *   <li>The segment's <b>description</b> (offset, length, HoD, Kp) comes from the publisher: a
 *       MissingData-free PeerDist request for one byte of the segment returns it with one block hash
 *       (range semantics, §2.3). Only the publisher can say what HoD and Kp are.
 *   <li>The segment id follows (HoHoDk, §2.2); the node announces it with a probe and waits the
 *       discovery wait to hear who holds or wants it; the first holder whose list checks ends the
 *       wait.
 *   <li>The <b>block-hash list</b> comes from a node that holds the segment or wants it and ranks
 *       above this one (the subnet's likely fetcher), over {@link BlockHashesHandler}; it is checked
 *       against HoD (H(hashes) = HoD), so a peer can waste a request but not change a hash.
 *   <li>If nobody has it within {@code hashWait} — or this node ranks first — the publisher sends the
 *       whole segment's content information (a range request for the segment).
 * </ol>
 *
 * <p>So the subnet's first node to rank for a segment fetches its hashes over the WAN, and everyone
 * else gets a description (about 150 bytes) there and the hashes over the LAN. Threads: a small pool
 * ({@code ci-resolver}); each resolution is one task. Thread-safe.
 */
public final class ContentInfoResolver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ContentInfoResolver.class);
  /** Resolutions running at once. */
  static final int THREADS = 4;
  /** How often the node asks again while a better-ranked wanter fetches the hashes. */
  static final long POLL_MILLIS = 150;
  /** How often the node looks for answers to its probe during the discovery wait. */
  static final long HOLDER_POLL_MILLIS = 5;

  /** The publisher: V1 content information for a byte range (PROTOCOL.md §5.2, §2.3). */
  @FunctionalInterface
  public interface Publisher {
    /** Content information for {@code [first, lastInclusive]} of {@code url}. */
    ContentInformation range(URI url, long first, long lastInclusive) throws IOException, InterruptedException;
  }

  /** Subnet-mates: who might have a segment's hash list, and asking them for it. */
  public interface HashListPeers {
    /** Multicasts a probe for {@code id}, so that holders answer and wanters hear this node. */
    void announce(SegmentId id);

    /** Peers that answered a probe for {@code id} recently, and peers asked for everything. */
    List<PeerEndpoint> holders(SegmentId id);

    /** Wanters of {@code id} heard recently that rank above this node for it, best first. */
    List<PeerEndpoint> betterRanked(SegmentId id);

    /** The hash list {@code peer} has for {@code id}, or empty (404, refused, unreachable). */
    Optional<byte[]> hashes(PeerEndpoint peer, SegmentId id, byte[] proof);
  }

  private final Publisher publisher;
  private final HashListPeers subnet;
  private final ChunkStore store;
  private final Duration wait;
  private final Duration hashWait;
  private final ThreadPoolExecutor pool;
  private final AtomicLong fromPeers = new AtomicLong();
  private final AtomicLong fromPublisher = new AtomicLong();

  /**
   * @param wait how long after announcing a segment answers may take (the discovery wait)
   * @param hashWait how long a node waits for a better-ranked wanter's hash list before asking the
   *     publisher itself
   */
  public ContentInfoResolver(Publisher publisher, HashListPeers subnet, ChunkStore store, Duration wait, Duration hashWait) {
    this.publisher = publisher;
    this.subnet = subnet;
    this.store = store;
    this.wait = wait;
    this.hashWait = hashWait;
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "ci-resolver-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.pool.allowCoreThreadTimeOut(true);
  }

  /** Hash lists that came from subnet-mates / from the publisher, for metrics and tests. */
  public long fromPeers() {
    return fromPeers.get();
  }

  public long fromPublisher() {
    return fromPublisher.get();
  }

  /**
   * Resolves the segment at {@code offset} ({@code length} bytes) of {@code url}; {@code known} is
   * its description when the caller has it already.
   */
  public CompletableFuture<SegmentRecord> resolve(URI url, String etag, long offset, int length,
      SegmentDescription known) {
    CompletableFuture<SegmentRecord> f = new CompletableFuture<>();
    try {
      pool.execute(() -> {
        try {
          f.complete(resolveNow(url, offset, length, known));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          f.completeExceptionally(new IOException("interrupted resolving segment at " + offset + " of " + url));
        } catch (IOException | RuntimeException e) {
          f.completeExceptionally(e instanceof IOException ? e
              : new IOException("content information of " + url + " at " + offset + ": " + e.getMessage(), e));
        }
      });
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new IOException("the node is closing"));
    }
    return f;
  }

  private SegmentRecord resolveNow(URI url, long offset, int length, SegmentDescription known)
      throws IOException, InterruptedException {
    SegmentDescription d = known != null ? known : describe(url, offset, offset);
    check(url, d, offset, length);
    if (d.hasAllBlockHashes()) {
      return record(d, d.blockHashes());
    }
    SegmentId id = d.segmentId();
    Optional<SegmentRecord> stored = store.segment(id);
    if (stored.isPresent()) {
      return stored.get();
    }
    subnet.announce(id);
    byte[] proof = BlockHashesHandler.proof(d.hashOfData());
    Set<PeerEndpoint> tried = new LinkedHashSet<>();
    // The discovery wait, cut short by the first holder whose list checks: a reply ends the wait
    // (PROTOCOL.md §3.6, iPXE). Sleeping it out in full cost every segment a peer could give
    // 300 ms before its first byte (docs/PERFORMANCE.md). A node nobody answers still waits it all
    // before it looks for better-ranked wanters or asks the publisher.
    long waitEnd = System.nanoTime() + wait.toNanos();
    while (true) {
      Optional<SegmentRecord> r = fromNewHolders(id, proof, d, tried);
      if (r.isPresent()) {
        return r.get();
      }
      long left = waitEnd - System.nanoTime();
      if (left <= 0) {
        break;
      }
      Thread.sleep(Math.max(1, Math.min(HOLDER_POLL_MILLIS, left / 1_000_000L)));
    }
    long deadline = System.nanoTime() + hashWait.toNanos();
    while (true) {
      Optional<SegmentRecord> fromHolder = fromNewHolders(id, proof, d, tried);
      if (fromHolder.isPresent()) {
        return fromHolder.get();
      }
      List<PeerEndpoint> better = subnet.betterRanked(id);
      if (better.isEmpty() || System.nanoTime() > deadline) {
        break; // this node ranks first (or waited long enough): the publisher it is
      }
      for (PeerEndpoint p : better.subList(0, Math.min(3, better.size()))) {
        Optional<SegmentRecord> r = fromPeer(p, id, proof, d);
        if (r.isPresent()) {
          return r.get();
        }
      }
      Thread.sleep(POLL_MILLIS);
    }
    SegmentDescription whole = describe(url, offset, offset + length - 1);
    check(url, whole, offset, length);
    if (!whole.hasAllBlockHashes() || !whole.segmentId().equals(id)) {
      throw new IOException("the publisher's content information for bytes " + offset + "-" + (offset + length - 1)
          + " of " + url + " does not list the whole segment " + id);
    }
    fromPublisher.incrementAndGet();
    return record(whole, whole.blockHashes());
  }

  /** Asks each holder of {@code id} not in {@code tried} yet (and adds it there); the first valid list. */
  private Optional<SegmentRecord> fromNewHolders(SegmentId id, byte[] proof, SegmentDescription d,
      Set<PeerEndpoint> tried) {
    for (PeerEndpoint p : subnet.holders(id)) {
      if (tried.add(p)) {
        Optional<SegmentRecord> r = fromPeer(p, id, proof, d);
        if (r.isPresent()) {
          return r;
        }
      }
    }
    return Optional.empty();
  }

  private Optional<SegmentRecord> fromPeer(PeerEndpoint p, SegmentId id, byte[] proof, SegmentDescription d) {
    Optional<byte[]> raw = subnet.hashes(p, id, proof);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    HashAlgorithm a = d.algorithm();
    byte[] all = raw.get();
    if (all.length != d.blockCount() * a.length()) {
      LOG.debug("hash list of {} from {}: {} bytes, expected {}", id, p, all.length, d.blockCount() * a.length());
      return Optional.empty();
    }
    List<byte[]> hashes = new ArrayList<>(d.blockCount());
    for (int i = 0; i < d.blockCount(); i++) {
      hashes.add(java.util.Arrays.copyOfRange(all, i * a.length(), (i + 1) * a.length()));
    }
    try {
      SegmentRecord r = record(d, hashes); // checks H(hashes) = HoD and the id (PROTOCOL.md §2.2)
      fromPeers.incrementAndGet();
      return Optional.of(r);
    } catch (IllegalArgumentException e) {
      LOG.debug("hash list of {} from {} does not verify: {}", id, p, e.getMessage());
      return Optional.empty();
    }
  }

  private SegmentDescription describe(URI url, long first, long lastInclusive) throws IOException, InterruptedException {
    ContentInformation info = publisher.range(url, first, lastInclusive);
    if (info.segmentCount() < 1) {
      throw new IOException("the publisher listed no segment for bytes " + first + "-" + lastInclusive + " of " + url);
    }
    return info.segment(0);
  }

  private static void check(URI url, SegmentDescription d, long offset, int length) throws IOException {
    if (d.offsetInContent() != offset || d.segmentLength() != length) {
      throw new IOException("the publisher described a segment of " + url + " at " + d.offsetInContent() + " with "
          + d.segmentLength() + " bytes where one of " + length + " bytes at " + offset + " was expected (did the file"
          + " change?)");
    }
  }

  private static SegmentRecord record(SegmentDescription d, List<byte[]> hashes) {
    return SegmentRecord.v1(d.algorithm(), d.hashOfData(), d.segmentSecret(), d.segmentLength(), hashes);
  }

  /** Stops the pool; resolutions in progress fail. Idempotent. */
  @Override
  public void close() {
    pool.shutdownNow();
  }
}
