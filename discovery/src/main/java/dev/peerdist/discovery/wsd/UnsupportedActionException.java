package dev.peerdist.discovery.wsd;

/**
 * A well-formed SOAP envelope whose {@code wsa:Action} PCCRD does not use (Hello, Bye, Resolve
 * and other WS-Discovery traffic on the same group, PROTOCOL.md §3.1). Receivers ignore these
 * rather than counting them as malformed.
 */
public final class UnsupportedActionException extends WsdDecodeException {
  private static final long serialVersionUID = 1L;
  private final String action;

  public UnsupportedActionException(String action) {
    super("unsupported wsa:Action " + WsdCodec.abbreviate(action));
    this.action = action;
  }

  /** The action as received. */
  public String action() {
    return action;
  }
}
