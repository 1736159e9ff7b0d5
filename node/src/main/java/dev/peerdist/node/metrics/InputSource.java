package dev.peerdist.node.metrics;

import java.util.Locale;

/** Which protocol a malformed input arrived on (label {@code source} of the malformed counter). */
public enum InputSource {
  /** A discovery datagram (PROTOCOL.md §3). */
  PCCRD,
  /** A PCCRR request or answer (§4). */
  PCCRR,
  /** A publisher answer: bad content information or headers (§5). */
  PCCRTP,
  /** A request to the admin endpoint or the local mirror. */
  ADMIN,
  /** An offer to the hosted cache that is not a valid MS-PCHC request (§6). */
  PCHC;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
