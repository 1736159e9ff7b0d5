package dev.peerdist.node.engine;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Where every byte of one download came from and, for origin bytes, why. Thread-safe; updated
 * by the engine as blocks arrive and read by {@code /status}, {@code peerdist status} and
 * {@code peerdist get}. This is the per-download answer to "why did this go to the origin".
 */
public final class DownloadRecord {
  /** Life cycle of a download. */
  public enum State {
    RUNNING,
    DONE,
    FAILED,
    CANCELLED
  }

  private final String id;
  private final URI url;
  private final Clock clock;
  private final Instant started;
  private final AtomicLongArray bySource = new AtomicLongArray(ByteSource.values().length);
  private final AtomicLongArray byReason = new AtomicLongArray(FallbackReason.values().length);
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong segmentsTotal = new AtomicLong();
  private final AtomicLong segmentsLocal = new AtomicLong();
  private volatile boolean peerdist;
  private volatile long contentLength = -1;
  private volatile State state = State.RUNNING;
  private volatile Instant finished;
  private volatile String error;

  public DownloadRecord(String id, URI url, Clock clock) {
    this.id = id;
    this.url = url;
    this.clock = clock;
    this.started = clock.instant();
  }

  public String id() {
    return id;
  }

  public URI url() {
    return url;
  }

  /** True when the publisher gave content information (else the content was streamed plainly). */
  public boolean peerdist() {
    return peerdist;
  }

  /** Bytes the caller will receive, or -1 when unknown. */
  public long contentLength() {
    return contentLength;
  }

  public State state() {
    return state;
  }

  /** The failure message of a failed download, or null. */
  public String error() {
    return error;
  }

  void begin(boolean isPeerdist, long length, int segments) {
    this.peerdist = isPeerdist;
    this.contentLength = length;
    this.segmentsTotal.set(segments);
  }

  /** Counts bytes obtained from {@code source}; origin bytes need {@link #countOrigin}. */
  void count(ByteSource source, long bytes) {
    bySource.addAndGet(source.ordinal(), bytes);
  }

  /** Counts bytes obtained from the origin for {@code reason}. */
  void countOrigin(FallbackReason reason, long bytes) {
    bySource.addAndGet(ByteSource.ORIGIN.ordinal(), bytes);
    byReason.addAndGet(reason.ordinal(), bytes);
  }

  void segmentFromStore() {
    segmentsLocal.incrementAndGet();
  }

  void delivered(long bytes) {
    delivered.addAndGet(bytes);
  }

  void finish(State end, String message) {
    if (state == State.RUNNING) {
      this.error = message;
      this.finished = clock.instant();
      this.state = end;
      dev.peerdist.node.logging.DownloadLog.finished(this);
    }
  }

  /** Bytes obtained from {@code source} so far. */
  public long bytes(ByteSource source) {
    return bySource.get(source.ordinal());
  }

  /** Origin bytes obtained for {@code reason} so far. */
  public long originBytes(FallbackReason reason) {
    return byReason.get(reason.ordinal());
  }

  /** Bytes handed to the caller so far. */
  public long deliveredBytes() {
    return delivered.get();
  }

  /** Time from start to finish (or to now while running). */
  public Duration elapsed() {
    Instant end = finished == null ? clock.instant() : finished;
    return Duration.between(started, end);
  }

  /** A JSON-ready view. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("url", url.toString());
    m.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
    m.put("mode", peerdist ? "peerdist" : "plain");
    m.put("content_length", contentLength);
    m.put("delivered_bytes", delivered.get());
    m.put("segments", segmentsTotal.get());
    m.put("segments_from_store", segmentsLocal.get());
    Map<String, Object> src = new LinkedHashMap<>();
    for (ByteSource s : ByteSource.values()) {
      src.put(s.label(), bytes(s));
    }
    m.put("bytes", src);
    Map<String, Object> why = new LinkedHashMap<>();
    for (FallbackReason r : FallbackReason.values()) {
      long b = originBytes(r);
      if (b > 0) {
        why.put(r.label(), b);
      }
    }
    m.put("origin_reasons", why);
    m.put("started", started.toString());
    m.put("elapsed_ms", elapsed().toMillis());
    if (error != null) {
      m.put("error", error);
    }
    return m;
  }
}
