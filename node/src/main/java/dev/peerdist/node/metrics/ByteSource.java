package dev.peerdist.node.metrics;

import java.util.Locale;

/** Where bytes handed to a local caller came from (label {@code source}). */
public enum ByteSource {
  /** Fetched from a peer by PCCRR (PROTOCOL.md §4). */
  PEER,
  /** Fetched from the publisher: a MissingDataRequest range (§5.2 step 5) or plain content. */
  ORIGIN,
  /** Already in the local store. */
  LOCAL;

  /** The label value. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
