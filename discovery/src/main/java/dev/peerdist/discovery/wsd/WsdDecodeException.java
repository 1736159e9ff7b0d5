package dev.peerdist.discovery.wsd;

/**
 * A received WS-Discovery or PCCRD message is malformed. The message names what is wrong (the
 * element or value); receivers drop the datagram and count it (PROTOCOL.md §3.6 "Malformed
 * messages").
 */
public class WsdDecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WsdDecodeException(String message) {
    super(message);
  }

  public WsdDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
