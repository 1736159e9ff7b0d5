package dev.peerdist.node.retrieval;

/** A failed request/response exchange with a peer, classified by {@link Outcome}. */
public final class PeerExchangeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Outcome outcome;

  public PeerExchangeException(Outcome outcome, String message) {
    super(message);
    this.outcome = outcome;
  }

  public PeerExchangeException(Outcome outcome, String message, Throwable cause) {
    super(message, cause);
    this.outcome = outcome;
  }

  public Outcome outcome() {
    return outcome;
  }
}
