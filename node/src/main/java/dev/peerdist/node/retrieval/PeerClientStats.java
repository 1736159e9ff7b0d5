package dev.peerdist.node.retrieval;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a {@link PeerClient}, cheap to update from its event loops. The daemon binds them as
 * {@code peerdist_pccrr_client_*} counters (docs/METRICS.md); every value only grows.
 */
public final class PeerClientStats {
  private final LongAdder exchanges = new LongAdder();
  private final LongAdder connectionsOpened = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder lateAnswersDiscarded = new LongAdder();
  private final LongAdder lateAnswersMissing = new LongAdder();

  void countExchange() {
    exchanges.increment();
  }

  void countConnectionOpened() {
    connectionsOpened.increment();
  }

  void countTimeout() {
    timeouts.increment();
  }

  void countLateAnswerDiscarded() {
    lateAnswersDiscarded.increment();
  }

  void countLateAnswerMissing() {
    lateAnswersMissing.increment();
  }

  /** Requests written to a connection (every exchange that got one). */
  public long exchanges() {
    return exchanges.sum();
  }

  /** TCP connections this client started to open (successful or not). */
  public long connectionsOpened() {
    return connectionsOpened.sum();
  }

  /** Exchanges failed by the request timer. */
  public long timeouts() {
    return timeouts.sum();
  }

  /** Answers that arrived after their exchange timed out: discarded, and the connection kept. */
  public long lateAnswersDiscarded() {
    return lateAnswersDiscarded.sum();
  }

  /** Timed-out exchanges whose answer did not arrive within {@code lateAnswerWait}: connection closed. */
  public long lateAnswersMissing() {
    return lateAnswersMissing.sum();
  }
}
