package dev.peerdist.node.pccrr;

/**
 * A PCCRR message that cannot be decoded. The message names the field and its byte offset from
 * the start of the MESSAGE_HEADER (or of the TRANSPORT_RESPONSE_HEADER for responses), so that a
 * hostile or broken peer can be diagnosed from one log line.
 */
public class PccrrDecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final int offset;

  public PccrrDecodeException(String field, int offset, String problem) {
    super(field + " at offset " + offset + ": " + problem);
    this.field = field;
    this.offset = offset;
  }

  /** The name of the offending field as PROTOCOL.md §4.4 spells it. */
  public String field() {
    return field;
  }

  /** Byte offset of the field. */
  public int offset() {
    return offset;
  }

  /** A ProtVer whose major version this implementation does not speak (answer MSG_NEGO_RESP). */
  public static final class UnsupportedVersionException extends PccrrDecodeException {
    private static final long serialVersionUID = 1L;
    private final transient ProtocolVersion version;

    public UnsupportedVersionException(int offset, ProtocolVersion version) {
      super("ProtVer", offset, "unsupported protocol version " + version + " (supported 1.x and 2.x)");
      this.version = version;
    }

    public ProtocolVersion version() {
      return version;
    }
  }

  /** A MsgType that is unknown, or a response where a request was expected, or vice versa. */
  public static final class UnknownMessageTypeException extends PccrrDecodeException {
    private static final long serialVersionUID = 1L;

    public UnknownMessageTypeException(int offset, String problem) {
      super("MsgType", offset, problem);
    }
  }

  /** A declared size (MsgSize, a transport Size, a field length or count) that cannot be right. */
  public static final class MessageLengthException extends PccrrDecodeException {
    private static final long serialVersionUID = 1L;

    public MessageLengthException(String field, int offset, String problem) {
      super(field, offset, problem);
    }
  }
}
