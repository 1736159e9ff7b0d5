package dev.peerdist.node.http;

import dev.peerdist.node.pccrr.MessageType;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the PCCRR server, cheap to update from any thread. The daemon binds them as
 * Prometheus counters (for example {@code peerdist_pccrr_requests_total{message_type}}); every
 * value only grows.
 */
public final class PeerServerStats {
  private final LongAdder[] requests = new LongAdder[MessageType.values().length];
  private final LongAdder malformed = new LongAdder();
  private final LongAdder busy = new LongAdder();
  private final LongAdder queued = new LongAdder();
  private final LongAdder notAvailable = new LongAdder();
  private final LongAdder blocksServed = new LongAdder();
  private final LongAdder bytesServed = new LongAdder();
  private final LongAdder httpRejected = new LongAdder();
  private final LongAdder connectionsRefused = new LongAdder();
  private final LongAdder timeouts = new LongAdder();

  private final Runnable onMalformed;

  public PeerServerStats() {
    this(() -> { });
  }

  /** Counters that also call {@code onMalformed} for each malformed request (the node's meter). */
  public PeerServerStats(Runnable onMalformed) {
    this.onMalformed = onMalformed;
    for (int i = 0; i < requests.length; i++) {
      requests[i] = new LongAdder();
    }
  }

  /** The counters as {@code peerdist_pccrr_server_dropped_total} reasons. */
  public java.util.Map<String, java.util.function.LongSupplier> droppedByReason() {
    java.util.Map<String, java.util.function.LongSupplier> m = new java.util.LinkedHashMap<>();
    m.put("malformed", this::malformed);
    m.put("busy", this::busy);
    m.put("http_rejected", this::httpRejected);
    m.put("connection_refused", this::connectionsRefused);
    m.put("timeout", this::timeouts);
    return m;
  }

  void countRequest(MessageType type) {
    requests[type.ordinal()].increment();
  }

  void countMalformed() {
    malformed.increment();
    onMalformed.run();
  }

  void countBusy() {
    busy.increment();
  }

  void countQueued() {
    queued.increment();
  }

  void countNotAvailable() {
    notAvailable.increment();
  }

  void countBlockServed(long bytes) {
    blocksServed.increment();
    bytesServed.add(bytes);
  }

  void countHttpRejected() {
    httpRejected.increment();
  }

  void countConnectionRefused() {
    connectionsRefused.increment();
  }

  void countTimeout() {
    timeouts.increment();
  }

  /** Well-formed PCCRR requests of {@code type} received. */
  public long requests(MessageType type) {
    return requests[type.ordinal()].sum();
  }

  /** Requests dropped because their body was not a valid PCCRR request. */
  public long malformed() {
    return malformed.sum();
  }

  /**
   * Requests answered empty because no upload slot was free: their client's queue or the whole
   * queue was full, or they waited {@code maxQueueWait} without a slot.
   */
  public long busy() {
    return busy.sum();
  }

  /** Requests that had to wait in the upload queue (served or not). */
  public long queued() {
    return queued.sum();
  }

  /** Requests answered empty because the segment or block is not held. */
  public long notAvailable() {
    return notAvailable.sum();
  }

  /** MSG_BLK answers that carried a block. */
  public long blocksServed() {
    return blocksServed.sum();
  }

  /** Ciphertext bytes of those blocks. */
  public long bytesServed() {
    return bytesServed.sum();
  }

  /** HTTP requests answered 404, 405 or 413 (wrong path, method, or oversized body). */
  public long httpRejected() {
    return httpRejected.sum();
  }

  /** Connections closed on accept: too many open in all or from their address. */
  public long connectionsRefused() {
    return connectionsRefused.sum();
  }

  /** Connections closed by a request deadline, the idle timer or the upload timer. */
  public long timeouts() {
    return timeouts.sum();
  }
}
