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
  private final LongAdder notAvailable = new LongAdder();
  private final LongAdder blocksServed = new LongAdder();
  private final LongAdder bytesServed = new LongAdder();
  private final LongAdder httpRejected = new LongAdder();
  private final LongAdder connectionsRefused = new LongAdder();
  private final LongAdder timeouts = new LongAdder();

  public PeerServerStats() {
    for (int i = 0; i < requests.length; i++) {
      requests[i] = new LongAdder();
    }
  }

  void countRequest(MessageType type) {
    requests[type.ordinal()].increment();
  }

  void countMalformed() {
    malformed.increment();
  }

  void countBusy() {
    busy.increment();
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

  /** Requests answered empty because {@code maxActiveClients} were already being served. */
  public long busy() {
    return busy.sum();
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

  /** Connections closed on accept because {@code maxConnections} were open. */
  public long connectionsRefused() {
    return connectionsRefused.sum();
  }

  /** Connections closed by the idle or upload timer. */
  public long timeouts() {
    return timeouts.sum();
  }
}
