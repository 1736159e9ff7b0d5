package dev.peerdist.node.retrieval;

/**
 * How one exchange with a peer ended. Every value but {@link #OK} is a failure attributed to that
 * peer for this request.
 */
public enum Outcome {
  /** A verified block (or a valid answer). */
  OK,
  /**
   * The peer answered empty (SizeOfBlock 0 / no ranges). The wire does not tell "not held" from
   * "busy" apart (PROTOCOL.md §4.6), so a scheduler treats it as "not from this peer, not now".
   */
  NOT_AVAILABLE,
  /** This client already has too many requests waiting for the peer; nothing was sent. */
  BUSY,
  /** The answer was malformed, mismatched, or did not decrypt to the block hash. */
  BAD_DATA,
  /** No complete answer within the request timer. */
  TIMEOUT,
  /** Connecting, sending or receiving failed, or the peer answered with an HTTP error. */
  IO_ERROR;

  private final String label = name().toLowerCase(java.util.Locale.ROOT);

  /** The name as a metric label ({@code ok}, {@code not_available}, …), made once. */
  public String label() {
    return label;
  }
}
