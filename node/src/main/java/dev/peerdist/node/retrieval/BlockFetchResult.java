package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.VerifiedBlock;
import java.util.Objects;

/**
 * The result of fetching one block from one peer.
 *
 * @param outcome how it ended
 * @param data the verified plaintext when {@code outcome} is OK, else null
 * @param detail a short human-readable reason (for logs and reports)
 * @param elapsedNanos time from sending the request to the result
 * @param verified the same block as the proof the store accepts without hashing it again (and, for
 *     an AES-256 MSG_BLK, with its received stored form), or null (issue 12)
 */
public record BlockFetchResult(Outcome outcome, byte[] data, String detail, long elapsedNanos,
    VerifiedBlock verified) {
  public BlockFetchResult {
    Objects.requireNonNull(outcome, "outcome");
    if ((outcome == Outcome.OK) != (data != null)) {
      throw new IllegalArgumentException("data must be present exactly when the outcome is OK");
    }
    if (verified != null && verified.data() != data) {
      throw new IllegalArgumentException("the verified block must hold the result's data");
    }
  }

  public BlockFetchResult(Outcome outcome, byte[] data, String detail, long elapsedNanos) {
    this(outcome, data, detail, elapsedNanos, null);
  }

  public static BlockFetchResult ok(byte[] data, long elapsedNanos) {
    return new BlockFetchResult(Outcome.OK, data, "ok", elapsedNanos);
  }

  /** A block fetched and verified: {@code data} is the block's plaintext. */
  public static BlockFetchResult ok(VerifiedBlock block, long elapsedNanos) {
    return new BlockFetchResult(Outcome.OK, block.data(), "ok", elapsedNanos, block);
  }

  public static BlockFetchResult failed(Outcome outcome, String detail, long elapsedNanos) {
    return new BlockFetchResult(outcome, null, detail, elapsedNanos);
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }
}
