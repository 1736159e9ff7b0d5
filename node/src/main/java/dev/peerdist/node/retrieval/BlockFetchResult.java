package dev.peerdist.node.retrieval;

import java.util.Objects;

/**
 * The result of fetching one block from one peer.
 *
 * @param outcome how it ended
 * @param data the verified plaintext when {@code outcome} is OK, else null
 * @param detail a short human-readable reason (for logs and reports)
 * @param elapsedNanos time from sending the request to the result
 */
public record BlockFetchResult(Outcome outcome, byte[] data, String detail, long elapsedNanos) {
  public BlockFetchResult {
    Objects.requireNonNull(outcome, "outcome");
    if ((outcome == Outcome.OK) != (data != null)) {
      throw new IllegalArgumentException("data must be present exactly when the outcome is OK");
    }
  }

  public static BlockFetchResult ok(byte[] data, long elapsedNanos) {
    return new BlockFetchResult(Outcome.OK, data, "ok", elapsedNanos);
  }

  public static BlockFetchResult failed(Outcome outcome, String detail, long elapsedNanos) {
    return new BlockFetchResult(outcome, null, detail, elapsedNanos);
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }
}
