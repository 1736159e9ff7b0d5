package dev.peerdist.node.pccrr;

/**
 * The eight PCCRR message types with the protocol version each was defined in (PROTOCOL.md §4.3).
 *
 * <p>ProtVer in a MESSAGE_HEADER is the version <em>in which the type was defined</em>, not the
 * highest version the sender supports ([MS-PCCRR] 2.2.3): types 0–5 carry 1.0, types 6–7 carry 2.0.
 */
public enum MessageType {
  NEGO_REQ(0, false, ProtocolVersion.V1_0),
  NEGO_RESP(1, true, ProtocolVersion.V1_0),
  GETBLKLIST(2, false, ProtocolVersion.V1_0),
  GETBLKS(3, false, ProtocolVersion.V1_0),
  BLKLIST(4, true, ProtocolVersion.V1_0),
  BLK(5, true, ProtocolVersion.V1_0),
  GETSEGLIST(6, false, ProtocolVersion.V2_0),
  SEGLIST(7, true, ProtocolVersion.V2_0);

  private static final MessageType[] BY_CODE = values();

  private final int code;
  private final boolean response;
  private final ProtocolVersion version;

  MessageType(int code, boolean response, ProtocolVersion version) {
    this.code = code;
    this.response = response;
    this.version = version;
  }

  /** The MsgType value on the wire. */
  public int code() {
    return code;
  }

  /** True for responses, which travel behind a TRANSPORT_RESPONSE_HEADER (PROTOCOL.md §4.3). */
  public boolean isResponse() {
    return response;
  }

  /** The ProtVer this type is sent with. */
  public ProtocolVersion version() {
    return version;
  }

  /** The type for a wire code, or null when the code names no type. */
  static MessageType fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
