package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.BlockVerificationException;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.VerifiedBlock;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.HeardProbe;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.node.download.Action;
import dev.peerdist.node.download.DownloadLoop;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.download.SegmentRef;
import dev.peerdist.node.download.SubnetView;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.retrieval.BlockFetchResult;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerBlockClient;
import dev.peerdist.node.retrieval.PeerExchangeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the node's one {@link DownloadLoop} with the real world (issue 8): PCCRD probes and answers
 * through the {@link PeerDirectory}, PCCRR requests through the {@link PeerBlockClient}, origin
 * ranges through {@link OriginRanges}, and the {@link ChunkStore}, which this driver is the one
 * writer of for downloads.
 *
 * <p>Threads (HOUSE-STYLE 14): every call into the loop runs on {@code download-loop}; client,
 * discovery and origin callbacks only post events to it. Verified peer blocks are written by
 * {@code store-writer} threads, origin ranges are streamed by {@code origin-fetch} threads, each
 * verifying and writing its own blocks in order. Readers ({@link DownloadEngine}) wait on the
 * {@link Segment} they hold.
 *
 * <p>A block the store cannot keep (full disk, too small a cache) is still delivered: it is kept in
 * memory for its reader (at most {@value #PASS_THROUGH_LIMIT} bytes in all; beyond that the block is
 * fetched again when its reader gets to it), counted as {@code store_full}.
 *
 * <p>A block that was stored is also handed to its reader as the plaintext just verified (at most
 * {@value #HAND_OFF_LIMIT} bytes in all, beyond that the reader reads it back from the store): the
 * read-back (store read, decryption, a second SHA-256) was a third of a block's cost on the
 * receiving path (docs/PERFORMANCE.md). Only verified bytes are handed over: the opener's or the
 * origin stream's {@link VerifiedBlock}, or bytes the store's own check accepted.
 */
public final class LoopDriver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LoopDriver.class);
  /** The loop's decisions, one line each at DEBUG (PEERDIST_LOG_LEVELS=dev.peerdist.node.engine.LoopDriver.actions=debug). */
  private static final Logger ACTIONS = LoggerFactory.getLogger(LoopDriver.class.getName() + ".actions");
  /** Every subnet-mate's probe as the loop hears it, one line each at DEBUG (PEERDIST_LOG_LEVELS=dev.peerdist.node.engine.LoopDriver.heard=debug). */
  private static final Logger HEARD = LoggerFactory.getLogger(LoopDriver.class.getName() + ".heard");
  /** Once a second while busy, at debug: what the loop waits for ({@code DownloadLoop.describe()}). */
  private static final Logger STATE = LoggerFactory.getLogger(LoopDriver.class.getName() + ".state");
  /** When the loop's state was last logged (loop thread only). */
  private long lastStateLog;
  /** Bytes kept in memory for readers when the store cannot keep them. */
  static final long PASS_THROUGH_LIMIT = 64L << 20;
  /**
   * Verified plaintext of stored blocks kept for their readers. Small against the daemon's 96 MiB
   * heap: a reader keeping up takes each block within a few blocks of its arrival; one that lags
   * reads the rest back from the store.
   */
  static final long HAND_OFF_LIMIT = 4L << 20;
  /** Events the loop thread runs before it carries out the loop's decisions (then it runs the rest). */
  static final int MAX_EVENT_BATCH = 256;
  /** Bits 4–7 of the probe tag's flags: how many leading probe ids this node fetches from the origin. */
  public static final int FETCHING_SHIFT = 4;
  /** Peers remembered for the status page. */
  static final int MAX_PEERS_SEEN = 256;
  /** A read from the origin that gets no byte for this long has failed (slow is fine, dead is not). */
  static final Duration ORIGIN_READ_TIMEOUT = Duration.ofSeconds(20);
  /**
   * How long a cancelled origin range may still wait for the block it is reading before its
   * connection is dropped ({@code OriginJob.cancel}): a block of a flowing range arrives in a few
   * milliseconds at 100 Mbit/s; a stalled one is not waited for.
   */
  static final long CANCEL_GRACE_MILLIS = 200;
  /** {@link #CANCEL_GRACE_MILLIS}, longer in a test whose machine may be slow to schedule the job. */
  static volatile long cancelGraceMillis = CANCEL_GRACE_MILLIS;

  /** Streams an origin range (PROTOCOL.md §5.2 step 5); the daemon's is the {@code OriginClient}. */
  @FunctionalInterface
  public interface OriginRanges {
    /** Opens {@code [start, end)} of {@code url}; the stream's length is what the origin sends. */
    Stream open(URI url, long start, long end, String etag, Duration readTimeout) throws IOException;

    /** An open range body. */
    interface Stream extends AutoCloseable {
      InputStream in();

      /** Drops the connection; a blocked read fails. Any thread. */
      void abort();

      @Override
      void close() throws IOException;
    }
  }

  /**
   * One wanted segment as its readers see it: which blocks are ready, where each came from, and
   * the blocks kept in memory because the store could not keep them.
   */
  public static final class Segment {
    /** The segment-complete listeners heard of it (loop thread only). */
    boolean completeReported;
    final SegmentRecord record;
    final URI url;
    final String etag;
    final long offsetInContent;
    final byte[] source;
    final byte[] reason;
    final BitSet ready;
    final Map<Integer, byte[]> passThrough = new ConcurrentHashMap<>();
    /** Verified plaintext of blocks that were also stored, for the reader (bounded by HAND_OFF_LIMIT). */
    final Map<Integer, byte[]> handOff = new ConcurrentHashMap<>();
    int refs;
    /** Set by {@link LoopDriver#release} before it empties {@link #handOff}. */
    volatile boolean released;
    String failure;

    Segment(SegmentRecord record, URI url, String etag, long offsetInContent, BitSet present) {
      this.record = record;
      this.url = url;
      this.etag = etag;
      this.offsetInContent = offsetInContent;
      this.source = new byte[record.blockCount()];
      this.reason = new byte[record.blockCount()];
      this.ready = (BitSet) present.clone();
    }

    public SegmentRecord record() {
      return record;
    }

    /**
     * Waits until block {@code i} is ready.
     *
     * @throws IOException when the segment failed
     * @throws InterruptedException when the reader is interrupted
     */
    public synchronized void await(int i) throws IOException, InterruptedException {
      while (!await(i, 1000)) {
        // keep waiting
      }
    }

    /**
     * Waits at most {@code millis} for block {@code i}; true when it is ready.
     *
     * @throws IOException when the segment failed
     * @throws InterruptedException when the reader is interrupted
     */
    public synchronized boolean await(int i, long millis) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + millis * 1_000_000L;
      while (!ready.get(i)) {
        if (failure != null) {
          throw new IOException(failure);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000L));
      }
      return true;
    }

    /** The verified plaintext kept in memory for block {@code i}, taken out; null if none. */
    public byte[] takePassThrough(int i) {
      return passThrough.remove(i);
    }

    /**
     * The verified plaintext of stored block {@code i} as it arrived, taken out (the caller then
     * tells {@link LoopDriver#handOffTaken}); null when it was not kept: read it from the store.
     */
    public byte[] takeHandOff(int i) {
      return handOff.remove(i);
    }

    /** Where block {@code i} came from when this node fetched it, else null (it was in the store). */
    public synchronized ByteSource source(int i) {
      return source[i] == 0 ? null : ByteSource.values()[source[i] - 1];
    }

    /** Why origin block {@code i} came from the origin, or null. */
    public synchronized FallbackReason reason(int i) {
      return reason[i] == 0 ? null : FallbackReason.values()[reason[i] - 1];
    }

    synchronized void acquired(int i, ByteSource from, FallbackReason why) {
      source[i] = (byte) (from.ordinal() + 1);
      reason[i] = why == null ? 0 : (byte) (why.ordinal() + 1);
      ready.set(i);
      notifyAll();
    }

    synchronized void fail(String why) {
      if (failure == null) {
        failure = why;
      }
      notifyAll();
    }

    synchronized void allReady() {
      ready.set(0, record.blockCount());
      notifyAll();
    }
  }

  private final ChunkStore store;
  private final PeerBlockClient peers;
  private final OriginRanges origin;
  private final PeerDirectory directory;
  private final NodeMeters meters;
  private final LoopSettings settings;
  private final Clock clock;
  private final long nodeId;
  private final int pccrrPort;
  private final int roleFlags;
  private final Predicate<PeerEndpoint> isSelf;
  private final SubnetView view;
  private final DownloadLoop loop;
  private final ScheduledThreadPoolExecutor loopThread;
  private final ThreadPoolExecutor writers;
  private final ThreadPoolExecutor originThreads;
  private final Map<SegmentId, Segment> segments = new ConcurrentHashMap<>();
  private final Map<Long, OriginJob> originJobs = new ConcurrentHashMap<>();
  private final List<PeerEndpoint> alwaysAsk = new CopyOnWriteArrayList<>();
  private final Map<PeerEndpoint, String[]> seen = new ConcurrentHashMap<>();
  private final AtomicLong passThroughBytes = new AtomicLong();
  private final AtomicLong handOffBytes = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Events for the loop thread ({@link #post}), run in batches by {@link #drainEvents}. */
  private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
  /** A {@link #drainEvents} task is queued and has not started yet. */
  private final AtomicBoolean drainPosted = new AtomicBoolean();
  private volatile long originRate;
  private final List<java.util.function.Consumer<SegmentRecord>> completed = new CopyOnWriteArrayList<>();
  /** Recent PCCRD answers by segment (any segment, wanted or not): who holds it, when heard. */
  private final Map<SegmentId, Map<PeerEndpoint, long[]>> recentAnswers = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<SegmentId, Map<PeerEndpoint, long[]>> eldest) {
      return size() > 1024;
    }
  };
  /** One endpoint per responder of a dual-stack subnet ({@link ResponderAddresses}). */
  private final ResponderAddresses responderAddresses = new ResponderAddresses(4096, 60_000_000_000L);
  /** When the content-information resolver probed a segment (the loop's discovery wait counts from then). */
  private final Map<SegmentId, Long> announced = new LinkedHashMap<>(64, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<SegmentId, Long> eldest) {
      return size() > 1024;
    }
  };
  /**
   * For block hashes from peers; made on first use: building a JDK HttpClient loads the default
   * TLS context (the CA store), a fifth of a daemon's start-up CPU (JFR), which then stays off the
   * way to ready (a node asks only once it downloads, and a node that is only asked never does).
   */
  private java.net.http.HttpClient hashClient;

  private synchronized java.net.http.HttpClient hashClient() {
    if (hashClient == null) {
      hashClient = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
    }
    return hashClient;
  }

  /**
   * @param directory PCCRD, or null when discovery is off
   * @param nodeId this node's id (48 bits) for its probe tags
   * @param cacheServer whether this node is a dedicated cache server (said in its probe tags)
   * @param isSelf true for this node's own PCCRR endpoint
   */
  public LoopDriver(ChunkStore store, PeerBlockClient peers, OriginRanges origin, PeerDirectory directory,
      NodeMeters meters, LoopSettings settings, SubnetView view, long nodeId, int pccrrPort, boolean cacheServer,
      Predicate<PeerEndpoint> isSelf, Clock clock, RandomGenerator random) {
    this.store = store;
    this.peers = peers;
    this.origin = origin;
    this.directory = directory;
    this.meters = meters;
    this.settings = settings;
    this.clock = clock;
    this.nodeId = nodeId;
    this.pccrrPort = pccrrPort;
    this.roleFlags = cacheServer ? ProbeTag.CACHE_SERVER : 0;
    this.isSelf = isSelf;
    this.view = view;
    this.loop = new DownloadLoop(nodeId, settings, view, System::nanoTime, random);
    loop.echoesOwnProbes(directory != null && directory.echoesOwnProbes()); // before the loop thread starts
    this.loopThread = new ScheduledThreadPoolExecutor(1, named("download-loop"));
    this.loopThread.setRemoveOnCancelPolicy(true);
    this.writers = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("store-writer"));
    this.originThreads = new ThreadPoolExecutor(settings.originFlows() + 1, settings.originFlows() + 1, 30,
        TimeUnit.SECONDS, new LinkedBlockingQueue<>(), named("origin-fetch"));
    this.originThreads.allowCoreThreadTimeOut(true);
    this.writers.allowCoreThreadTimeOut(true);
    long tick = settings.tick().toNanos();
    loopThread.scheduleAtFixedRate(() -> run(this::tick), tick, tick, TimeUnit.NANOSECONDS);
    if (directory != null) {
      // Probes other than the loop's (the resolver announcing a segment it resolves) say nothing
      // of origin fetches: their keys are not the loop's, so its fetching count would mark the wrong
      // segments (or, for a segment the node fetches, none); the loop's own carry theirs (probe()).
      directory.tagProbes(() -> new ProbeTag(nodeId, pccrrPort, roleFlags));
      directory.listen(new SubnetListener() {
        @Override
        public void probeHeard(HeardProbe probe) {
          heard(probe);
        }

        @Override
        public void matchReceived(ProbeMatch match) {
          matched(match);
        }

        @Override
        public void ownProbeHeard(long sentNanos) {
          long after = System.nanoTime() - sentNanos;
          meters.ownProbeReturned(after);
          if (HEARD.isDebugEnabled()) {
            HEARD.debug("own probe back after {} ms", after / 1_000_000);
          }
          post(() -> loop.ownProbeHeard(sentNanos));
        }
      });
    }
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** What this node hears of its subnet (the responder thins its answers with it). */
  public SubnetView view() {
    return view;
  }

  public long nodeId() {
    return nodeId;
  }

  /** The loop's counters, for metrics and tests (read on any thread; values may be a moment old). */
  public DownloadLoop.Stats stats() {
    return loop.stats();
  }

  // ------------------------------------------------------------------ readers

  /**
   * A reader needs {@code record} (at {@code offsetInContent} of {@code url}); the segment is
   * fetched unless the store holds it. Pair with {@link #release}.
   */
  public Segment acquire(SegmentRecord record, URI url, String etag, long offsetInContent) {
    if (closed.get()) {
      throw new IllegalStateException("the node is closing");
    }
    store.putSegment(record);
    synchronized (segments) {
      Segment s = segments.get(record.id());
      if (s != null) {
        s.refs++;
        return s;
      }
      BitSet present = store.presentBlocks(record.id());
      s = new Segment(record, url, etag, offsetInContent, present);
      s.refs = 1;
      meters.cacheLookup(present.cardinality() == record.blockCount());
      if (present.cardinality() == record.blockCount()) {
        return s; // all local: nothing to fetch, nothing to track
      }
      segments.put(record.id(), s);
      SegmentRef ref = new SegmentRef(record.id(), record.blockCount(), record.blockSize(),
          record.blockLength(record.blockCount() - 1), offsetInContent);
      Long probedAt;
      synchronized (announced) {
        probedAt = announced.remove(record.id());
      }
      long since = probedAt == null ? Long.MIN_VALUE : probedAt;
      // Answers to that probe came before the segment was wanted: the loop hears them now.
      List<Object[]> earlier = new ArrayList<>();
      synchronized (recentAnswers) {
        Map<PeerEndpoint, long[]> m = recentAnswers.get(record.id());
        if (m != null) {
          long now = System.nanoTime();
          m.forEach((p, t) -> {
            if (now - t[0] < 60_000_000_000L) {
              earlier.add(new Object[] {p, t});
            }
          });
        }
      }
      post(() -> {
        loop.want(ref, present, since);
        for (Object[] a : earlier) {
          long[] t = (long[]) a[1];
          loop.matched((PeerEndpoint) a[0], record.id(), (int) t[1], t[2] == 1);
        }
        for (PeerEndpoint p : alwaysAsk) {
          loop.matched(p, record.id(), -1, false);
        }
        loop.tick();
      });
      return s;
    }
  }

  /** A reader is done with {@code s}. */
  public void release(Segment s) {
    synchronized (segments) {
      if (--s.refs > 0 || segments.get(s.record.id()) != s) {
        return;
      }
      segments.remove(s.record.id());
    }
    s.released = true;
    for (int i = 0; i < s.record.blockCount(); i++) {
      byte[] kept = s.passThrough.remove(i);
      if (kept != null) {
        passThroughBytes.addAndGet(-kept.length);
      }
      byte[] handed = s.handOff.remove(i);
      if (handed != null) {
        handOffBytes.addAndGet(-handed.length);
      }
    }
    post(() -> {
      loop.unwant(s.record.id());
      // The reader can take the last block and let go before the loop hears of it (blocks are
      // ready when stored, the loop is told after): the listeners still hear of a complete segment.
      if (!s.completeReported && store.presentBlocks(s.record.id()).cardinality() == s.record.blockCount()) {
        segmentComplete(s);
      }
    });
  }

  /**
   * Tells {@code listener} about every segment this node finishes fetching (all its blocks stored),
   * on the loop thread: it must return at once (a hosted-cache offer, for instance, goes to its own
   * thread).
   */
  public void onSegmentComplete(java.util.function.Consumer<SegmentRecord> listener) {
    completed.add(listener);
  }

  /** Adds a peer asked for every segment (configured peers, cache servers found by DNS-SD). */
  public void alwaysAsk(PeerEndpoint peer, String via) {
    if (isSelf.test(peer)) {
      return;
    }
    remember(peer, via);
    if (!alwaysAsk.contains(peer)) {
      alwaysAsk.add(peer);
      post(() -> loop.alwaysAsk(peer));
    }
  }

  /**
   * Replaces peers asked for every segment (a configuration reload): {@code before} are no longer
   * asked for segments wanted from now on, {@code after} are.
   */
  public void replaceAlwaysAsk(List<PeerEndpoint> before, List<PeerEndpoint> after, String via) {
    alwaysAsk.removeAll(before);
    for (PeerEndpoint p : after) {
      alwaysAsk(p, via);
    }
  }

  /**
   * The subnet as the content-information resolver needs it ({@link ContentInfoResolver}): probes
   * announcing a segment, who answered for it, who wants it and ranks above this node, and asking a
   * peer for a segment's block-hash list ({@code BlockHashesHandler} on its PCCRR port).
   */
  public ContentInfoResolver.HashListPeers subnet() {
    return new ContentInfoResolver.HashListPeers() {
      @Override
      public void announce(SegmentId id) {
        synchronized (announced) {
          announced.put(id, System.nanoTime());
        }
        if (directory != null) {
          try {
            directory.sendProbe(List.of(DiscoveryKey.of(DiscoveryKey.Form.V1, id.toBytes())));
          } catch (RuntimeException e) {
            LOG.debug("announce of {} not sent: {}", id, e.toString());
          }
        }
      }

      @Override
      public List<PeerEndpoint> holders(SegmentId id) {
        List<PeerEndpoint> out = new ArrayList<>();
        long now = System.nanoTime();
        synchronized (recentAnswers) {
          Map<PeerEndpoint, long[]> m = recentAnswers.get(id);
          if (m != null) {
            m.forEach((p, t) -> {
              if (now - t[0] < 60_000_000_000L) {
                out.add(p);
              }
            });
          }
        }
        for (PeerEndpoint p : alwaysAsk) {
          if (!out.contains(p)) {
            out.add(p);
          }
        }
        return out;
      }

      @Override
      public List<PeerEndpoint> betterRanked(SegmentId id) {
        return view.betterRanked(id, nodeId, System.nanoTime(), 4);
      }

      @Override
      public java.util.Optional<byte[]> hashes(PeerEndpoint peer, SegmentId id, byte[] proof) {
        return blockHashes(peer, id, proof);
      }
    };
  }

  private java.util.Optional<byte[]> blockHashes(PeerEndpoint peer, SegmentId id, byte[] proof) {
    String host = peer.address().getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    URI uri = URI.create("http://" + host + ":" + peer.address().getPort()
        + dev.peerdist.node.http.BlockHashesHandler.PATH + id.toHex());
    java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1))
        .header(dev.peerdist.node.http.BlockHashesHandler.PROOF_HEADER, java.util.HexFormat.of().formatHex(proof))
        .GET().build();
    try {
      java.net.http.HttpResponse<byte[]> r = hashClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      meters.peerRequest("block_hashes", r.statusCode() == 200 ? "ok" : "http_" + r.statusCode());
      return r.statusCode() == 200 && r.body().length <= 512 * 64 ? java.util.Optional.of(r.body())
          : java.util.Optional.empty();
    } catch (IOException e) {
      meters.peerRequest("block_hashes", "io_error");
      return java.util.Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }

  /** Peers seen (discovery answers, configured, DNS-SD), for {@code /status}. */
  public List<Map<String, Object>> peersSeen() {
    List<Map<String, Object>> out = new ArrayList<>();
    Instant now = clock.instant();
    for (Map.Entry<PeerEndpoint, String[]> e : seen.entrySet()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("peer", e.getKey().toString());
      m.put("via", e.getValue()[0]);
      m.put("age_s", Duration.between(Instant.parse(e.getValue()[1]), now).toSeconds());
      out.add(m);
    }
    return out;
  }

  private void remember(PeerEndpoint peer, String via) {
    if (seen.size() < MAX_PEERS_SEEN || seen.containsKey(peer)) {
      seen.put(peer, new String[] {via, clock.instant().toString()});
    }
  }

  // ------------------------------------------------------------------ discovery events

  private void heard(HeardProbe probe) {
    long id;
    int fetching = 0;
    PeerEndpoint endpoint = null;
    if (probe.tag().isPresent()) {
      ProbeTag t = probe.tag().get();
      id = t.nodeId();
      fetching = (t.flags() >>> FETCHING_SHIFT) & 0xF;
      if (t.pccrrPort() > 0) {
        endpoint = new PeerEndpoint(new java.net.InetSocketAddress(probe.source().getAddress(), t.pccrrPort()));
      }
    } else {
      // Not a peerdist node: counted among the wanters, never elected (negative ids).
      id = -1 - (probe.source().getAddress().hashCode() & 0x7FFF_FFFFL);
    }
    List<SegmentId> ids = new ArrayList<>(probe.keys().size());
    for (DiscoveryKey k : probe.keys()) {
      try {
        ids.add(SegmentId.of(k.toBytes()));
      } catch (IllegalArgumentException e) {
        return; // not a segment id length we know
      }
    }
    if (HEARD.isDebugEnabled()) {
      HEARD.debug("heard {} from {}: fetching {} of {}", Long.toHexString(id), probe.source(), fetching, ids);
    }
    view.heard(id, endpoint, ids, fetching, System.nanoTime());
  }

  private void matched(ProbeMatch answer) {
    PeerEndpoint peer = responderAddresses.endpoint(answer.endpointId(), answer.peer(), System.nanoTime());
    ProbeMatch m = peer == answer.peer() ? answer
        : new ProbeMatch(peer, answer.blocksHeld(), answer.complete(), answer.latency(), answer.endpointId());
    if (isSelf.test(m.peer())) {
      return;
    }
    remember(m.peer(), "pccrd");
    meters.discovery(m.latency(), true);
    synchronized (recentAnswers) {
      long now = System.nanoTime();
      for (DiscoveryKey k : m.blocksHeld().keySet()) {
        try {
          boolean whole = Boolean.TRUE.equals(m.complete().get(k));
          recentAnswers.computeIfAbsent(SegmentId.of(k.toBytes()), x -> new LinkedHashMap<>())
              .put(m.peer(), new long[] {now, m.blocksHeld().get(k), whole ? 1 : 0});
        } catch (IllegalArgumentException e) {
          // not a segment id we know the shape of
        }
      }
    }
    post(() -> {
      for (Map.Entry<DiscoveryKey, Integer> e : m.blocksHeld().entrySet()) {
        SegmentId id;
        try {
          id = SegmentId.of(e.getKey().toBytes());
        } catch (IllegalArgumentException x) {
          continue;
        }
        boolean complete = Boolean.TRUE.equals(m.complete().get(e.getKey()));
        loop.matched(m.peer(), id, e.getValue(), complete);
      }
      act();
    });
  }

  // ------------------------------------------------------------------ the loop thread

  /**
   * Hands {@code r} to the loop thread. Events wait in {@link #events} and the loop thread runs
   * them in batches, carrying out the loop's decisions once per batch: a block that arrives while
   * the loop thread is busy costs no wake-up and no task of its own. One scheduled task per
   * event (a wake-up of the loop thread and a decision pass for every block stored) was about a
   * tenth of the store writers' Java samples (JFR, 512 MiB node to node; docs/PERFORMANCE.md,
   * "Node to node per block, 2026-12-05").
   */
  private void post(Runnable r) {
    events.add(r);
    if (drainPosted.compareAndSet(false, true)) {
      postDrain();
    }
  }

  private void postDrain() {
    try {
      loopThread.execute(this::drainEvents);
    } catch (RejectedExecutionException e) {
      LOG.debug("download loop closed; events dropped");
    }
  }

  /**
   * Runs the waiting events (at most {@link #MAX_EVENT_BATCH}), then the decisions. Loop thread.
   * The flag is cleared before the queue is read, so an event added after the last poll always
   * posts a new drain.
   */
  private void drainEvents() {
    drainPosted.set(false);
    Runnable r;
    for (int n = 0; n < MAX_EVENT_BATCH && (r = events.poll()) != null; n++) {
      guarded(r);
    }
    guarded(this::act);
    if (!events.isEmpty() && drainPosted.compareAndSet(false, true)) {
      postDrain();
    }
  }

  /** Runs {@code r} and then the decisions (those not when {@code r} fails). Loop thread. */
  private void run(Runnable r) {
    guarded(() -> {
      r.run();
      act();
    });
  }

  /** Runs {@code r}; a failure is logged and does not stop the loop thread. */
  private static void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("download loop: {}", e.toString(), e);
    }
  }

  private void tick() {
    loop.tick();
    if (STATE.isDebugEnabled() && loop.busy()) {
      long now = System.nanoTime();
      if (now - lastStateLog >= 1_000_000_000L) {
        lastStateLog = now;
        STATE.debug("loop state:\n{}", loop.describe());
      }
    }
    originRate = loop.originRate();
  }

  /**
   * The wanters of {@code segment} this node has heard, best-ranked first, each as its node id,
   * how long ago it was heard and how long ago it said it fetches the segment (ms): the view an
   * origin fetch was decided on, for the action log.
   */
  private String wantersHeard(SegmentId segment) {
    long now = System.nanoTime();
    StringBuilder b = new StringBuilder();
    long[] times = new long[2];
    for (long id : view.ranking(segment, now)) {
      view.lastHeardAndFetching(id, segment, times);
      b.append(b.length() == 0 ? "" : " ").append(Long.toHexString(id)).append(id == nodeId ? "(self)" : "")
          .append(':').append(ago(times[0], now)).append('/').append(ago(times[1], now));
    }
    return b.length() == 0 ? "none" : b.toString();
  }

  private static String ago(long at, long now) {
    return at == Long.MIN_VALUE ? "-" : Long.toString((now - at) / 1_000_000);
  }

  /** Carries out what the loop decided. Loop thread. */
  private void act() {
    List<Action> actions = loop.drain();
    if (ACTIONS.isDebugEnabled()) {
      for (Action a : actions) {
        if (!(a instanceof Action.GetBlock)) {
          ACTIONS.debug("{}", a);
        }
        if (a instanceof Action.FetchOrigin f) {
          ACTIONS.debug("  as this node heard the wanters then: {}", wantersHeard(f.segment()));
        }
      }
    }
    for (Action a : actions) {
      if (a instanceof Action.SendProbe p) {
        probe(p);
      } else if (a instanceof Action.GetBlock g) {
        getBlock(g);
      } else if (a instanceof Action.AskBlockList l) {
        getBlockList(l);
      } else if (a instanceof Action.FetchOrigin f) {
        fetchOrigin(f);
      } else if (a instanceof Action.CancelOrigin c) {
        OriginJob j = originJobs.remove(c.id());
        if (j != null) {
          j.cancel();
        }
      } else if (a instanceof Action.SegmentDone d) {
        Segment s = segments.get(d.segment());
        if (s != null) {
          s.allReady();
          segmentComplete(s);
        }
      } else if (a instanceof Action.SegmentFailed f) {
        Segment s = segments.get(f.segment());
        if (s != null) {
          s.fail(f.why());
        }
      }
    }
  }

  /** Tells the segment-complete listeners, once per segment. Loop thread. */
  private void segmentComplete(Segment s) {
    if (s.completeReported) {
      return;
    }
    s.completeReported = true;
    for (java.util.function.Consumer<SegmentRecord> l : completed) {
      try {
        l.accept(s.record);
      } catch (RuntimeException e) {
        LOG.warn("segment-complete listener failed: {}", e.toString());
      }
    }
  }

  private void probe(Action.SendProbe p) {
    if (directory == null) {
      return;
    }
    List<DiscoveryKey> v1 = new ArrayList<>();
    List<DiscoveryKey> v2 = new ArrayList<>();
    for (SegmentId id : p.segments()) {
      Segment s = segments.get(id);
      boolean isV2 = s != null && s.record.version() == ContentVersion.V2;
      (isV2 ? v2 : v1).add(DiscoveryKey.of(isV2 ? DiscoveryKey.Form.V2 : DiscoveryKey.Form.V1, id.toBytes()));
    }
    int fetching = Math.min(15, p.fetching());
    int probeFlags = fetching > 0 ? ProbeTag.ORIGIN_ACTIVE | (fetching << FETCHING_SHIFT) : 0;
    // The flags say what this node does now, so they travel with this probe: the supplier is read
    // on the discovery thread when the probe goes out, by then perhaps after the next probe's flags
    // were set (a loaded site's heartbeats went out saying "not fetching").
    ProbeTag tag = new ProbeTag(nodeId, pccrrPort, probeFlags | roleFlags);
    try {
      if (!v1.isEmpty()) {
        directory.sendProbe(v1, tag);
      }
      if (!v2.isEmpty()) {
        directory.sendProbe(v2, tag);
      }
    } catch (RuntimeException e) {
      LOG.debug("probe not sent: {}", e.toString());
    }
  }

  private void getBlock(Action.GetBlock g) {
    Segment s = segments.get(g.segment());
    if (s == null) {
      post(() -> loop.blockResult(g.id(), Outcome.IO_ERROR, 0));
      return;
    }
    peers.fetchBlock(g.peer(), s.record, g.index()).whenComplete((r, err) -> {
      BlockFetchResult res = err != null ? BlockFetchResult.failed(Outcome.IO_ERROR, err.toString(), 0) : r;
      meters.peerRequest("getblks", res.outcome().label());
      if (res.outcome() == Outcome.BAD_DATA) {
        meters.corruptBlock();
        LOG.debug("bad block {} of {} from {}: {}", g.index(), g.segment(), g.peer(), res.detail());
      }
      if (!res.ok()) {
        post(() -> loop.blockResult(g.id(), res.outcome(), res.elapsedNanos()));
        return;
      }
      try {
        writers.execute(() -> {
          // The opener verified the block: the store keeps it without hashing (or encrypting) again.
          VerifiedBlock v = res.verified() != null && res.verified().index() == g.index()
              && res.verified().record().id().equals(s.record.id()) ? res.verified() : null;
          Outcome o = keep(s, g.index(), res.data(), 0, res.data().length, true, v, ByteSource.PEER, null);
          post(() -> loop.blockResult(g.id(), o, res.elapsedNanos()));
        });
      } catch (RejectedExecutionException e) {
        post(() -> loop.blockResult(g.id(), Outcome.IO_ERROR, 0));
      }
    });
  }

  /**
   * Stores a verified block (with {@code verified}, the store does not hash it again) or keeps it
   * for the reader when the store cannot; marks it ready. Returns what the loop should hear: OK, or BUSY when it had to be dropped.
   */
  private Outcome keep(Segment s, int index, byte[] data, int off, int len, boolean owned, VerifiedBlock verified,
      ByteSource from, FallbackReason why) {
    try {
      if (verified != null) {
        store.putBlock(verified);
      } else {
        store.putBlock(s.record.id(), index, data, off, len); // checks the hash itself, or throws
      }
      handOff(s, index, data, off, len, owned);
      s.acquired(index, from, why);
      return Outcome.OK;
    } catch (BlockVerificationException e) {
      return Outcome.BAD_DATA;
    } catch (ChunkStoreException e) {
      // StoreFullException among others: the bytes are verified, so the reader still gets them.
      return passThrough(s, index, data, off, len, from, why, e.getMessage());
    }
  }

  private Outcome passThrough(Segment s, int index, byte[] data, int off, int len, ByteSource from,
      FallbackReason why, String problem) {
    if (passThroughBytes.addAndGet(len) > PASS_THROUGH_LIMIT) {
      passThroughBytes.addAndGet(-len);
      return Outcome.BUSY; // fetched again when memory frees up
    }
    LOG.debug("block {} of {} not stored ({}); passed through to its reader", index, s.record.id(), problem);
    meters.passedThrough(len);
    // Always a copy: the caller reuses its buffer (an origin stream reads the next block into it).
    byte[] copy = java.util.Arrays.copyOfRange(data, off, off + len);
    s.passThrough.put(index, copy);
    s.acquired(index, from, why);
    return Outcome.OK;
  }

  /**
   * Keeps the verified plaintext of a stored block for its reader while the budget allows.
   * {@code owned}: the array is nobody else's (a peer block's opened plaintext) and kept as it is;
   * otherwise (an origin stream reuses its buffer) the block is copied.
   */
  private void handOff(Segment s, int index, byte[] data, int off, int len, boolean owned) {
    if (handOffBytes.addAndGet(len) > HAND_OFF_LIMIT) {
      handOffBytes.addAndGet(-len);
      return;
    }
    byte[] block = data;
    if (!owned || off != 0 || len != data.length) {
      block = java.util.Arrays.copyOfRange(data, off, off + len);
    }
    if (s.handOff.put(index, block) != null) {
      handOffBytes.addAndGet(-len); // the same block twice (a hedged request): keep one
    }
    if (s.released && s.handOff.remove(index) != null) {
      handOffBytes.addAndGet(-len); // its reader let go meanwhile: nobody will take it
    }
  }

  /** The reader took a handed-off block: its memory is free again. */
  void handOffTaken(int bytes) {
    handOffBytes.addAndGet(-bytes);
  }

  /** Bytes of verified plaintext held for readers now (tests: the budget returns to 0). */
  long handOffBytes() {
    return handOffBytes.get();
  }

  /** The reader took a passed-through block: its memory is free again. */
  void passThroughTaken(int bytes) {
    passThroughBytes.addAndGet(-bytes);
  }

  private void getBlockList(Action.AskBlockList l) {
    List<BlockRange> ranges = new ArrayList<>();
    for (int i = 0; i < l.blocks(); i += BlockRange.MAX_BLOCKS) {
      ranges.add(new BlockRange(i, Math.min(BlockRange.MAX_BLOCKS, l.blocks() - i)));
    }
    peers.blockList(l.peer(), l.segment(), ranges).whenComplete((list, err) -> {
      if (err != null || list == null) {
        Throwable c = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
            ? err.getCause() : err;
        Outcome o = c instanceof PeerExchangeException p ? p.outcome() : Outcome.IO_ERROR;
        meters.peerRequest("getblklist", o.label());
        post(() -> loop.blockListFailed(l.id(), o));
        return;
      }
      meters.peerRequest("getblklist", "ok");
      BitSet held = new BitSet(l.blocks());
      for (BlockRange r : list.ranges()) {
        held.set(r.index(), Math.min(r.end(), l.blocks()));
      }
      post(() -> loop.blockList(l.id(), held));
    });
  }

  // ------------------------------------------------------------------ origin

  private void fetchOrigin(Action.FetchOrigin f) {
    Segment s = segments.get(f.segment());
    if (s == null) {
      post(() -> loop.originEnd(f.id(), true, "no reader"));
      return;
    }
    OriginJob job = new OriginJob(f, s);
    originJobs.put(f.id(), job);
    try {
      originThreads.execute(job);
    } catch (RejectedExecutionException e) {
      originJobs.remove(f.id());
      post(() -> loop.originEnd(f.id(), false, "node closing"));
    }
  }

  /** One streaming origin range: read, verify, store and report block by block. */
  private final class OriginJob implements Runnable {
    final Action.FetchOrigin f;
    final Segment s;
    volatile boolean cancelled;
    volatile OriginRanges.Stream stream;

    OriginJob(Action.FetchOrigin f, Segment s) {
      this.f = f;
      this.s = s;
    }

    /**
     * The loop gave this range's blocks back (a better-ranked fetcher is alive). The bytes already
     * received are kept: {@link #run} reads the whole blocks that have arrived (what the stream
     * has without waiting), stores them and then drops the connection. Those bytes crossed the
     * WAN either way, and a block kept here is one the node need not copy over the LAN; closing at
     * once threw away the receive buffers, about 1 MB a cancel on live-16 (docs/SIMULATOR.md,
     * "Cancelled ranges in the live harness"). A read waiting on a stalled connection is not kept
     * waiting: the connection is dropped after {@link #CANCEL_GRACE_MILLIS} if the job is still on it.
     */
    void cancel() {
      cancelled = true;
      OriginRanges.Stream st = stream;
      if (st != null) {
        try {
          loopThread.schedule(() -> {
            if (stream == st) {
              st.abort();
            }
          }, cancelGraceMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          st.abort(); // closing: no time for the blocks already here
        }
      }
    }

    @Override
    public void run() {
      SegmentRecord r = s.record;
      long from = s.offsetInContent + (long) f.first() * r.blockSize();
      int last = f.first() + f.count() - 1;
      long to = s.offsetInContent + (long) last * r.blockSize() + r.blockLength(last);
      boolean ok = false;
      String why = "";
      int b = f.first();
      try (OriginRanges.Stream st = origin.open(s.url, from, to, s.etag, ORIGIN_READ_TIMEOUT)) {
        stream = st;
        InputStream in = st.in();
        byte[] buf = new byte[r.blockSize()];
        Throttle throttle = new Throttle();
        for (; b <= last; b++) {
          int len = r.blockLength(b);
          if (cancelled && in.available() < len) {
            break; // cancelled: the blocks that had arrived are kept, the rest is not waited for
          }
          int n = in.readNBytes(buf, 0, len);
          if (n < len) {
            throw new IOException("the publisher ended the range after block " + (b - 1));
          }
          // PROTOCOL.md §2.2: origin bytes must hash to the content information as well; a mismatch
          // means the file changed since its content information was made.
          VerifiedBlock verified = r.verify(b, buf, 0, len);
          if (verified == null) {
            String msg = "block " + b + " of segment " + r.id() + " from the publisher does not match its"
                + " content information (did " + s.url + " change?)";
            s.fail(msg);
            why = msg;
            break;
          }
          // Counted before the block is marked ready, so a reader never sees a block its meter lacks.
          meters.originFallback(f.reason(), len);
          Outcome o = keep(s, b, buf, 0, len, false, verified, ByteSource.ORIGIN, f.reason());
          if (o == Outcome.OK) {
            int block = b;
            post(() -> loop.originBlock(f.id(), r.id(), block));
          }
          if (!cancelled) {
            throttle.after(len);
          }
        }
        if (cancelled && b <= last) {
          st.abort(); // the rest of the range is not wanted: no keep-alive clean-up reading it
        }
        ok = b > last || cancelled;
      } catch (IOException e) {
        why = cancelled ? "cancelled" : e.getMessage();
        if (!cancelled) {
          LOG.debug("origin range of {} failed at block {}: {}", s.url, b, e.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        why = "interrupted";
      } finally {
        stream = null;
        originJobs.remove(f.id());
      }
      boolean success = ok;
      String reason = why;
      ACTIONS.debug("origin range {} ended at block {}: ok {} {}", f.id(), b, ok, why);
      post(() -> loop.originEnd(f.id(), success, reason));
    }
  }

  /** Keeps one origin stream within this node's share of the subnet WAN budget. */
  private final class Throttle {
    private final long start = System.nanoTime();
    private long bytes;

    void after(int n) throws InterruptedException {
      long rate = originRate;
      if (rate <= 0) {
        return;
      }
      bytes += n;
      long due = start + bytes * 1_000_000_000L / rate;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(Math.min(wait, 1_000_000_000L));
      }
    }
  }

  /** Stops the loop and the fetches; readers waiting fail. Idempotent; closes nothing it was given. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (directory != null) {
      directory.listen(SubnetListener.NONE);
    }
    for (OriginJob j : originJobs.values()) {
      j.cancel();
    }
    loopThread.shutdownNow();
    originThreads.shutdownNow();
    writers.shutdownNow();
    for (Segment s : segments.values()) {
      s.fail("the node is closing");
    }
  }
}
