package dev.peerdist.node.retrieval;

/**
 * A failed request/response exchange with a peer, classified by {@link Outcome}. A value more than
 * an error: peers time out, are busy or vanish all the time, so it records no stack trace of its
 * own (filling one in cost more than the rest of a failed exchange); its cause keeps its own.
 */
public final class PeerExchangeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Outcome outcome;

  public PeerExchangeException(Outcome outcome, String message) {
    super(message, null, false, false);
    this.outcome = outcome;
  }

  public PeerExchangeException(Outcome outcome, String message, Throwable cause) {
    super(message, cause, false, false);
    this.outcome = outcome;
  }

  public Outcome outcome() {
    return outcome;
  }
}
