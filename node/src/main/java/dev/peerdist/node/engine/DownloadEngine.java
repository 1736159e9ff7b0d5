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
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-order reader on top of the node's download loop (issue 8): content information from the
 * publisher (PROTOCOL.md §5.2 step 1), then the segments of the plan, each acquired from the
 * {@link LoopDriver} up to {@code readAheadBytes} ahead of the reader, and handed to the caller block
 * by block as soon as each is verified and stored. Where each byte came from — local store, a peer,
 * or the origin and why — is counted in the download's {@link DownloadRecord}.
 *
 * <p>The caller's thread reads; the loop's threads fetch. A second download of the same content
 * shares the segments being fetched.
 */
public final class DownloadEngine implements Downloads, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadEngine.class);
  /** Recent downloads kept for {@code /status}. */
  static final int RECENT = 32;
  /** Chunk size of plain (non-PeerDist) downloads. */
  static final int PLAIN_CHUNK = 64 * 1024;

  private final ChunkStore store;
  private final OriginSource origin;
  private final LoopDriver driver;
  private final NodeMeters meters;
  private final long readAheadBytes;
  /** How often a waiting reader looks for newly resolved read-ahead segments. */
  static final long READ_AHEAD_POLL_MILLIS = 50;
  private final Clock clock;
  private final Deque<DownloadRecord> recent = new ArrayDeque<>();
  private final AtomicLong ids = new AtomicLong();

  public DownloadEngine(ChunkStore store, OriginSource origin, LoopDriver driver, NodeMeters meters, long readAheadBytes,
      Clock clock) {
    if (readAheadBytes < 1) {
      throw new IllegalArgumentException("readAheadBytes must be positive, got " + readAheadBytes);
    }
    this.store = store;
    this.origin = origin;
    this.driver = driver;
    this.meters = meters;
    this.readAheadBytes = readAheadBytes;
    this.clock = clock;
  }

  @Override
  public Download open(URI url) throws IOException {
    OriginSource.Answer answer = origin.open(url);
    DownloadRecord record = new DownloadRecord(Long.toString(ids.incrementAndGet(), 36)
        + Long.toString(clock.millis() % 1_000_000, 36), url, clock);
    synchronized (recent) {
      recent.addFirst(record);
      while (recent.size() > RECENT) {
        recent.removeLast();
      }
    }
    if (answer instanceof OriginSource.Encoded pd) {
      record.begin(true, pd.plan().length(), pd.plan().size());
      return new PlanDownload(record, url, pd.plan(), pd.etag());
    }
    OriginSource.Plain plain = (OriginSource.Plain) answer;
    record.begin(false, plain.length(), 0);
    return new PlainDownload(record, plain);
  }

  /** Reads a PeerDist download in order, keeping up to readAheadBytes of segments acquired ahead. */
  private final class PlanDownload implements Download {
    private final DownloadRecord record;
    private final URI url;
    private final String etag;
    private final SegmentPlan plan;
    private final LoopDriver.Segment[] held;
    private int acquired;
    private int current;
    private int block = -1;
    private boolean fetchedAny;
    private boolean closed;

    PlanDownload(DownloadRecord record, URI url, SegmentPlan plan, String etag) {
      this.record = record;
      this.url = url;
      this.etag = etag;
      this.plan = plan;
      this.held = new LoopDriver.Segment[plan.size()];
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
      List<SegmentId> ids = new ArrayList<>();
      for (int i = 0; i < plan.size(); i++) {
        java.util.concurrent.CompletableFuture<SegmentRecord> f = plan.record(i);
        if (f.isDone() && !f.isCompletedExceptionally()) {
          ids.add(f.join().id());
        }
      }
      return ids;
    }

    /**
     * Acquires segments from the reader's on while they fit the read-ahead (at least the current
     * one), starting the resolution of their records; a segment whose record is not resolved yet is
     * acquired on a later call (the current one is waited for in {@link #next}).
     */
    private void acquireAhead() throws IOException, InterruptedException {
      long ahead = 0;
      for (int i = current; i < acquired; i++) {
        ahead += plan.take(i) + plan.skip(i);
      }
      while (acquired < plan.size() && (acquired == current || ahead < readAheadBytes)) {
        java.util.concurrent.CompletableFuture<SegmentRecord> f = plan.record(acquired);
        if (!f.isDone() && acquired != current) {
          // Start resolving the rest of the read-ahead too, without waiting for it.
          long more = ahead;
          for (int j = acquired + 1; j < plan.size() && more < readAheadBytes; j++) {
            plan.record(j);
            more += plan.take(j) + plan.skip(j);
          }
          return;
        }
        SegmentRecord r;
        try {
          r = f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          throw c instanceof IOException io ? io : new IOException(String.valueOf(c.getMessage()), c);
        }
        held[acquired] = driver.acquire(r, url, etag, plan.offsetInContent(acquired));
        ahead += plan.take(acquired) + plan.skip(acquired);
        acquired++;
      }
    }

    @Override
    public byte[] next() throws IOException {
      if (closed) {
        throw new IOException("download closed");
      }
      try {
        while (current < plan.size()) {
          acquireAhead();
          SegmentRecord r = held[current].record();
          if (block < 0) {
            block = plan.take(current) == 0 ? r.blockCount() : plan.skip(current) / r.blockSize();
            fetchedAny = false;
          }
          long end = (long) plan.skip(current) + plan.take(current);
          if (block >= r.blockCount() || (long) block * r.blockSize() >= end) {
            if (!fetchedAny) {
              record.segmentFromStore();
            }
            driver.release(held[current]);
            held[current] = null;
            current++;
            block = -1;
            continue;
          }
          LoopDriver.Segment seg = held[current];
          // While the reader waits for its block, read-ahead segments whose content information
          // has just been resolved are handed to the loop: waiting until the current block arrives
          // (blocks come in any order) would leave the next segment's origin fetcher idle.
          while (!seg.await(block, READ_AHEAD_POLL_MILLIS)) {
            acquireAhead();
          }
          long segStart = (long) block * r.blockSize();
          long deliverFrom = Math.max(plan.skip(current), segStart);
          long deliverTo = Math.min(end, segStart + r.blockLength(block));
          ByteSource src = seg.source(block);
          FallbackReason why = seg.reason(block);
          byte[] data = seg.takePassThrough(block);
          byte[] handed = data == null ? seg.takeHandOff(block) : null;
          if (data != null) {
            driver.passThroughTaken(data.length);
          } else if (handed != null) {
            // Stored, and verified as it arrived: no read back (LoopDriver, HAND_OFF_LIMIT).
            driver.handOffTaken(handed.length);
            data = handed;
          } else {
            data = readStored(r, block);
            if (data == null) {
              data = refetch(r, plan.offsetInContent(current), block);
              src = ByteSource.ORIGIN;
              why = FallbackReason.EVICTED;
            }
          }
          if (src == null) {
            src = ByteSource.LOCAL;
          } else {
            fetchedAny = true;
          }
          int len = (int) (deliverTo - deliverFrom);
          byte[] chunk = len == data.length ? data
              : Arrays.copyOfRange(data, (int) (deliverFrom - segStart), (int) (deliverTo - segStart));
          if (src == ByteSource.ORIGIN) {
            record.countOrigin(why == null ? FallbackReason.NO_PEER : why, len);
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
      } catch (IOException | RuntimeException e) {
        fail(e.getMessage());
        throw e;
      }
    }

    private byte[] readStored(SegmentRecord r, int index) {
      Optional<byte[]> b = store.readBlock(r.id(), index);
      return b.orElse(null);
    }

    /** A verified block that left the store (evicted) before its reader got to it: the publisher again. */
    private byte[] refetch(SegmentRecord r, long offsetInContent, int index) throws IOException {
      long start = offsetInContent + (long) index * r.blockSize();
      int len = r.blockLength(index);
      byte[] bytes = origin.range(url, start, start + len);
      if (bytes.length != len || !r.verifies(index, bytes, 0, len)) {
        throw new IOException("block " + index + " of segment " + r.id() + " from the publisher does not match"
            + " its content information (did " + url + " change?)");
      }
      meters.originFallback(FallbackReason.EVICTED, len);
      return bytes;
    }

    private void fail(String why) {
      if (record.state() == DownloadRecord.State.RUNNING) {
        record.finish(DownloadRecord.State.FAILED, why);
        meters.download(false, true);
        LOG.debug("download of {} failed: {}", url, why);
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      record.finish(DownloadRecord.State.CANCELLED, null);
      for (int i = current; i < acquired; i++) {
        if (held[i] != null) {
          driver.release(held[i]);
          held[i] = null;
        }
      }
    }
  }

  /** Streams content the publisher sent plainly (§5.2 step 2), counting it as origin bytes. */
  private final class PlainDownload implements Download {
    private final DownloadRecord record;
    private final OriginSource.Plain plain;
    private long read;
    private boolean closed;

    PlainDownload(DownloadRecord record, OriginSource.Plain plain) {
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

  /** Nothing of its own to stop: the driver owns the threads. Idempotent. */
  @Override
  public void close() {
    // The driver is closed by the node; readers blocked on a segment fail when it closes.
  }
}
