package dev.peerdist.node.pchc;

/**
 * An MS-PCHC message that cannot be decoded. The message names the field as PROTOCOL.md §6.3
 * spells it and its byte offset from the start of the message, so one log line is enough to tell
 * what a broken or hostile client sent. A hosted cache answers such a request with HTTP 400 and
 * counts it (HOUSE-STYLE 3).
 */
public class PchcDecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final int offset;

  public PchcDecodeException(String field, int offset, String problem) {
    super(field + " at offset " + offset + ": " + problem);
    this.field = field;
    this.offset = offset;
  }

  /** The offending field, e.g. {@code SizeOfContentTag}. */
  public String field() {
    return field;
  }

  /** Byte offset of the field from the start of the message. */
  public int offset() {
    return offset;
  }

  /** A MajorVersion that does not go with the message type (§6.3: offers are 1.0, batches 2.0). */
  public static final class UnsupportedVersionException extends PchcDecodeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedVersionException(int offset, String problem) {
      super("MajorVersion", offset, problem);
    }
  }

  /** A Type that is not INITIAL_OFFER (1), SEGMENT_INFO (2) or BATCHED_OFFER (3). */
  public static final class UnknownMessageTypeException extends PchcDecodeException {
    private static final long serialVersionUID = 1L;

    public UnknownMessageTypeException(int offset, int type) {
      super("Type", offset, "unknown message type 0x" + String.format("%04X", type)
          + " (expected 0x0001 INITIAL_OFFER, 0x0002 SEGMENT_INFO or 0x0003 BATCHED_OFFER)");
    }
  }

  /** A length, size or count that cannot be right: the message ends early, runs on, or is over a limit. */
  public static final class MessageLengthException extends PchcDecodeException {
    private static final long serialVersionUID = 1L;

    public MessageLengthException(String field, int offset, String problem) {
      super(field, offset, problem);
    }
  }
}
