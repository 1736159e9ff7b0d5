package dev.peerdist.node.pchc;

/** The RESPONSE_MESSAGE's ResponseCode (PROTOCOL.md §6.3). */
public enum ResponseCode {
  /** 0x00: the hosted cache has what it needs, or will fetch it; nothing more to send. */
  OK(0x00),
  /** 0x01: answer to an INITIAL_OFFER only: send the segment's SEGMENT_INFO_MESSAGE. */
  INTERESTED(0x01);

  private final int wire;

  ResponseCode(int wire) {
    this.wire = wire;
  }

  /** The byte on the wire. */
  public int wire() {
    return wire;
  }
}
