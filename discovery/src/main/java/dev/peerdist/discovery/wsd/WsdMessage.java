package dev.peerdist.discovery.wsd;

/** A decoded WS-Discovery message: the two kinds PCCRD uses (PROTOCOL.md §3.1). */
public sealed interface WsdMessage permits Probe, ProbeMatches {
  /** {@code wsa:MessageID}, for example {@code urn:uuid:…}. */
  String messageId();
}
