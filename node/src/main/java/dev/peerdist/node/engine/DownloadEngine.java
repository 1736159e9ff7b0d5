package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.metrics.NodeMeters;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The download engine (issue 5): content information from the publisher, then for each segment
 * the local store, else peers found by one probe for several segments, else the publisher by
 * MissingDataRequest range (PROTOCOL.md §1 "typical distributed-mode flow", §5.2). Every block is
 * verified before it is stored, and the caller reads only stored, verified bytes, in order,
 * while up to {@code readAhead} later segments are being located and fetched.
 *
 * <p>Single flight: a segment is fetched by at most one task per node; a second download of the
 * same content joins the running fetch. Fetched blocks are in the store, so the discovery
 * responder and the PCCRR server offer them at once.
 *
 * <p>Threads: a bounded pool ({@code peerdist-fetch-N}) runs probe rounds and segment fetches;
 * no task waits for another task of the pool, so the pool cannot deadlock. The caller's thread
 * reads.
 */
public final class DownloadEngine implements Downloads, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadEngine.class);
  /** Recent downloads kept for {@code /status}. */
  static final int RECENT = 32;
  /** Largest origin range request, in V1 blocks (bounds memory per request: 1 MiB). */
  static final int MAX_ORIGIN_BLOCKS = 16;
  /** Range requests to the origin in flight per segment. */
  static final int ORIGIN_PARALLEL = 4;
  /** Chunk size of plain (non-PeerDist) downloads. */
  static final int PLAIN_CHUNK = 64 * 1024;

  /**
   * Limits of the engine.
   *
   * @param readAhead segments located and fetched ahead of the reader, per download (≥ 1)
   * @param probeBatch segment ids per probe (≥ 1)
   * @param threads fetch pool size (≥ 1)
   */
  public record Settings(int readAhead, int probeBatch, int threads) {
    public Settings {
      if (readAhead < 1 || probeBatch < 1 || threads < 1) {
        throw new IllegalArgumentException("engine settings must be positive: " + readAhead + ", "
            + probeBatch + ", " + threads);
      }
    }
  }

  private final ChunkStore store;
  private final Origin origin;
  private final PeerLocator locator;
  private final PeerSource peers;
  private final NodeMeters meters;
  private final Settings settings;
  private final Clock clock;
  private final ThreadPoolExecutor pool;
  private final ThreadPoolExecutor originPool;
  private final Map<SegmentId, CompletableFuture<SegmentOutcome>> inflight = new ConcurrentHashMap<>();
  private final Deque<DownloadRecord> recent = new ArrayDeque<>();
  private final AtomicLong ids = new AtomicLong();

  public DownloadEngine(ChunkStore store, Origin origin, PeerLocator locator, PeerSource peers,
      NodeMeters meters, Settings settings, Clock clock) {
    this.store = store;
    this.origin = origin;
    this.locator = locator;
    this.peers = peers;
    this.meters = meters;
    this.settings = settings;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.pool = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "peerdist-fetch-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    AtomicInteger o = new AtomicInteger();
    int originThreads = Math.max(ORIGIN_PARALLEL, Math.min(16, settings.threads() * 2));
    this.originPool = new ThreadPoolExecutor(originThreads, originThreads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "peerdist-origin-" + o.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    originPool.allowCoreThreadTimeOut(true);
  }

  /** Where each block of a fetched segment came from. */
  static final class SegmentOutcome {
    final ByteSource[] sources;
    final FallbackReason[] reasons;

    SegmentOutcome(int blocks) {
      sources = new ByteSource[blocks];
      reasons = new FallbackReason[blocks];
    }
  }

  @Override
  public Download open(URI url) throws IOException {
    Origin.Answer answer = origin.open(url);
    DownloadRecord record = new DownloadRecord(Long.toString(ids.incrementAndGet(), 36)
        + Long.toString(clock.millis() % 1_000_000, 36), url, clock);
    synchronized (recent) {
      recent.addFirst(record);
      while (recent.size() > RECENT) {
        recent.removeLast();
      }
    }
    if (answer instanceof Origin.PeerDist pd) {
      record.begin(true, pd.plan().length(), pd.plan().segments().size());
      return new PlanDownload(record, url, pd.plan());
    }
    Origin.Plain plain = (Origin.Plain) answer;
    record.begin(false, plain.length(), 0);
    return new PlainDownload(record, plain);
  }

  /**
   * Fetches (or joins the fetch of) every block of {@code s}'s segment into the store.
   */
  CompletableFuture<SegmentOutcome> segment(ContentPlan.Segment s, List<PeerCandidate> candidates, URI url) {
    SegmentId id = s.record().id();
    CompletableFuture<SegmentOutcome> f = new CompletableFuture<>();
    CompletableFuture<SegmentOutcome> running = inflight.putIfAbsent(id, f);
    if (running != null) {
      return running;
    }
    pool.execute(() -> {
      try {
        f.complete(fetchSegment(s, candidates, url));
      } catch (Throwable t) {
        f.completeExceptionally(t);
      } finally {
        inflight.remove(id, f);
      }
    });
    return f;
  }

  private SegmentOutcome fetchSegment(ContentPlan.Segment s, List<PeerCandidate> candidates, URI url)
      throws IOException, InterruptedException {
    SegmentRecord record = s.record();
    store.putSegment(record);
    int n = record.blockCount();
    SegmentOutcome out = new SegmentOutcome(n);
    BitSet present = store.presentBlocks(record.id());
    BitSet wanted = new BitSet(n);
    for (int i = 0; i < n; i++) {
      if (present.get(i)) {
        out.sources[i] = ByteSource.LOCAL;
      } else {
        wanted.set(i);
      }
    }
    meters.cacheLookup(wanted.isEmpty());
    if (wanted.isEmpty()) {
      return out;
    }
    if (candidates.isEmpty()) {
      wanted.stream().forEach(i -> out.reasons[i] = FallbackReason.NO_PEER);
    } else {
      Map<Integer, PeerSource.Outcome> got = peers.fetch(record, (BitSet) wanted.clone(), candidates);
      for (int i = wanted.nextSetBit(0); i >= 0; i = wanted.nextSetBit(i + 1)) {
        PeerSource.Outcome o = got.get(i);
        if (o instanceof PeerSource.Fetched && store.hasBlock(record.id(), i)) {
          out.sources[i] = ByteSource.PEER;
        } else {
          out.reasons[i] = o instanceof PeerSource.Missing m ? m.reason() : FallbackReason.PEER_ERROR;
        }
      }
      for (int i = 0; i < n; i++) {
        if (out.sources[i] == ByteSource.PEER) {
          wanted.clear(i);
        }
      }
    }
    fromOrigin(s, wanted, out, url);
    return out;
  }

  /** Fetches the {@code wanted} blocks from the publisher in runs of contiguous blocks. */
  private void fromOrigin(ContentPlan.Segment s, BitSet wanted, SegmentOutcome out, URI url)
      throws IOException, InterruptedException {
    SegmentRecord record = s.record();
    List<int[]> runs = new ArrayList<>();
    int i = wanted.nextSetBit(0);
    while (i >= 0) {
      int end = i;
      while (end + 1 < record.blockCount() && wanted.get(end + 1) && end + 1 - i < MAX_ORIGIN_BLOCKS) {
        end++;
      }
      runs.add(new int[] {i, end});
      i = wanted.nextSetBit(end + 1);
    }
    // Up to ORIGIN_PARALLEL range requests in flight (a window: memory stays bounded), verified
    // and stored in order on this thread. The origin pool is separate from the fetch pool, so
    // waiting here cannot starve the tasks waited for.
    Deque<Future<byte[]>> window = new ArrayDeque<>();
    int submitted = 0;
    try {
      for (int r = 0; r < runs.size(); r++) {
        while (submitted < runs.size() && submitted - r < ORIGIN_PARALLEL) {
          int[] run = runs.get(submitted++);
          long from = s.offsetInContent() + (long) run[0] * record.blockSize();
          long to = s.offsetInContent() + (long) run[1] * record.blockSize() + record.blockLength(run[1]);
          window.addLast(originPool.submit(() -> origin.range(url, from, to)));
        }
        byte[] bytes;
        try {
          bytes = window.pollFirst().get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IOException("range request to " + url + " failed: " + e.getCause(), e.getCause());
        }
        storeOriginRun(s, runs.get(r)[0], runs.get(r)[1], bytes, out, url);
      }
    } finally {
      for (Future<byte[]> f : window) {
        f.cancel(true);
      }
    }
  }

  private void storeOriginRun(ContentPlan.Segment s, int first, int last, byte[] bytes, SegmentOutcome out, URI url)
      throws IOException {
    SegmentRecord record = s.record();
    long start = (long) first * record.blockSize();
    long stop = (long) last * record.blockSize() + record.blockLength(last);
    if (bytes.length != stop - start) {
      throw new IOException("the publisher sent " + bytes.length + " bytes for a range of " + (stop - start)
          + " at " + (s.offsetInContent() + start) + " of " + url);
    }
    int off = 0;
    for (int b = first; b <= last; b++) {
      int len = record.blockLength(b);
      // PROTOCOL.md §2.2: the origin's bytes must hash to the content information too; a
      // mismatch means the file changed since the content information was made.
      if (!record.verifies(b, bytes, off, len)) {
        throw new IOException("block " + b + " of segment " + record.id() + " from the publisher does not"
            + " match its content information (did " + url + " change?)");
      }
      store.putBlock(record.id(), b, bytes, off, len);
      FallbackReason why = out.reasons[b] == null ? FallbackReason.NO_PEER : out.reasons[b];
      out.reasons[b] = why;
      out.sources[b] = ByteSource.ORIGIN;
      meters.originFallback(why, len);
      off += len;
    }
  }

  /** Reads a PeerDist download in order, keeping up to readAhead segments in flight. */
  private final class PlanDownload implements Download {
    private final DownloadRecord record;
    private final URI url;
    private final List<ContentPlan.Segment> segments;
    private final List<CompletableFuture<SegmentOutcome>> slots;
    private int started;
    private int current;
    private int block = -1;
    private SegmentOutcome outcome;
    private boolean closed;

    PlanDownload(DownloadRecord record, URI url, ContentPlan plan) {
      this.record = record;
      this.url = url;
      this.segments = plan.segments();
      this.slots = new ArrayList<>(segments.size());
      for (int i = 0; i < segments.size(); i++) {
        slots.add(new CompletableFuture<>());
      }
    }

    @Override
    public DownloadRecord record() {
      return record;
    }

    @Override
    public long contentLength() {
      return record.contentLength();
    }

    @Override
    public List<SegmentId> segmentIds() {
      return segments.stream().map(x -> x.record().id()).toList();
    }

    /** Starts probe rounds for segments up to readAhead past the reader. */
    private void startAhead() {
      int limit = Math.min(segments.size(), current + settings.readAhead());
      while (started < limit) {
        int from = started;
        int to = Math.min(limit, from + settings.probeBatch());
        started = to;
        pool.execute(() -> locateAndFetch(from, to));
      }
    }

    private void locateAndFetch(int from, int to) {
      try {
        List<SegmentRecord> unknown = new ArrayList<>();
        for (int i = from; i < to; i++) {
          SegmentRecord r = segments.get(i).record();
          if (store.presentBlocks(r.id()).cardinality() < r.blockCount()) {
            unknown.add(r);
          }
        }
        Map<SegmentId, List<PeerCandidate>> found = locator.locate(unknown);
        for (int i = from; i < to; i++) {
          ContentPlan.Segment s = segments.get(i);
          CompletableFuture<SegmentOutcome> slot = slots.get(i);
          segment(s, found.getOrDefault(s.record().id(), List.of()), url).whenComplete((v, t) -> {
            if (t != null) {
              slot.completeExceptionally(t);
            } else {
              slot.complete(v);
            }
          });
        }
      } catch (Throwable t) {
        for (int i = from; i < to; i++) {
          slots.get(i).completeExceptionally(t);
        }
      }
    }

    @Override
    public byte[] next() throws IOException {
      if (closed) {
        throw new IOException("download closed");
      }
      try {
        while (current < segments.size()) {
          ContentPlan.Segment s = segments.get(current);
          SegmentRecord r = s.record();
          if (outcome == null) {
            startAhead();
            outcome = slots.get(current).get();
            if (countsAsStoreHit(outcome)) {
              record.segmentFromStore();
            }
            block = s.take() == 0 ? r.blockCount() : s.skip() / r.blockSize();
          }
          long end = (long) s.skip() + s.take();
          if (block >= r.blockCount() || (long) block * r.blockSize() >= end) {
            current++;
            outcome = null;
            continue;
          }
          long segStart = (long) block * r.blockSize();
          long deliverFrom = Math.max(s.skip(), segStart);
          long deliverTo = Math.min(end, segStart + r.blockLength(block));
          byte[] data = readBlock(s, block);
          ByteSource src = outcome.sources[block];
          int len = (int) (deliverTo - deliverFrom);
          byte[] chunk = len == data.length ? data
              : java.util.Arrays.copyOfRange(data, (int) (deliverFrom - segStart), (int) (deliverTo - segStart));
          if (src == ByteSource.ORIGIN) {
            record.countOrigin(outcome.reasons[block], len);
          } else {
            record.count(src, len);
          }
          meters.downloaded(src, len);
          record.delivered(len);
          block++;
          return chunk;
        }
        record.finish(DownloadRecord.State.DONE, null);
        meters.download(true, true);
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
        throw new InterruptedIOException("download interrupted");
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        String why = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        fail(why);
        throw new IOException(why, c);
      } catch (IOException | RuntimeException e) {
        fail(e.getMessage());
        throw e;
      }
    }

    private boolean countsAsStoreHit(SegmentOutcome o) {
      for (ByteSource b : o.sources) {
        if (b != ByteSource.LOCAL) {
          return false;
        }
      }
      return true;
    }

    /** The verified plaintext of a block; refetched from the publisher if it was evicted meanwhile. */
    private byte[] readBlock(ContentPlan.Segment s, int index) throws IOException {
      SegmentRecord r = s.record();
      Optional<byte[]> b = store.readBlock(r.id(), index);
      if (b.isPresent()) {
        return b.get();
      }
      long start = (long) index * r.blockSize();
      int len = r.blockLength(index);
      byte[] bytes = origin.range(url, s.offsetInContent() + start, s.offsetInContent() + start + len);
      if (bytes.length != len || !r.verifies(index, bytes, 0, len)) {
        throw new IOException("block " + index + " of segment " + r.id() + " from the publisher does not match"
            + " its content information (did " + url + " change?)");
      }
      outcome.sources[index] = ByteSource.ORIGIN;
      outcome.reasons[index] = FallbackReason.EVICTED;
      meters.originFallback(FallbackReason.EVICTED, len);
      return bytes;
    }

    private void fail(String why) {
      if (record.state() == DownloadRecord.State.RUNNING) {
        record.finish(DownloadRecord.State.FAILED, why);
        meters.download(false, true);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        record.finish(DownloadRecord.State.CANCELLED, null);
      }
    }
  }

  /** Streams content the publisher sent plainly (§5.2 step 2), counting it as origin bytes. */
  private final class PlainDownload implements Download {
    private final DownloadRecord record;
    private final Origin.Plain plain;
    private long read;
    private boolean closed;

    PlainDownload(DownloadRecord record, Origin.Plain plain) {
      this.record = record;
      this.plain = plain;
    }

    @Override
    public DownloadRecord record() {
      return record;
    }

    @Override
    public long contentLength() {
      return plain.length();
    }

    @Override
    public byte[] next() throws IOException {
      if (closed) {
        throw new IOException("download closed");
      }
      try {
        InputStream in = plain.body();
        byte[] buf = in.readNBytes(PLAIN_CHUNK);
        if (buf.length == 0) {
          if (plain.length() >= 0 && read != plain.length()) {
            throw new IOException("the publisher ended the content after " + read + " of " + plain.length()
                + " bytes");
          }
          record.finish(DownloadRecord.State.DONE, null);
          meters.download(true, false);
          return null;
        }
        read += buf.length;
        record.countOrigin(FallbackReason.NOT_PEERDIST, buf.length);
        record.delivered(buf.length);
        meters.downloaded(ByteSource.ORIGIN, buf.length);
        meters.originFallback(FallbackReason.NOT_PEERDIST, buf.length);
        return buf;
      } catch (IOException e) {
        if (record.state() == DownloadRecord.State.RUNNING) {
          record.finish(DownloadRecord.State.FAILED, e.getMessage());
          meters.download(false, false);
        }
        throw e;
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        record.finish(DownloadRecord.State.CANCELLED, null);
        try {
          plain.body().close();
        } catch (IOException e) {
          LOG.debug("closing a plain body: {}", e.getMessage());
        }
      }
    }
  }

  @Override
  public List<DownloadRecord> recent() {
    synchronized (recent) {
      return new ArrayList<>(recent);
    }
  }

  @Override
  public Optional<DownloadRecord> find(String id) {
    synchronized (recent) {
      return recent.stream().filter(r -> r.id().equals(id)).findFirst();
    }
  }

  /** Stops the fetch pool; downloads in progress fail. Idempotent. */
  @Override
  public void close() {
    pool.shutdownNow();
    originPool.shutdownNow();
  }
}
