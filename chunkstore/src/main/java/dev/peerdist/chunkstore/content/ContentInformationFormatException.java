package dev.peerdist.chunkstore.content;

/**
 * A content-information structure that cannot be decoded (PROTOCOL.md §2.3, §2.4). The message
 * names the field and its byte offset from the start of the structure; {@link #reason()},
 * {@link #field()} and {@link #offset()} give the same facts to code.
 *
 * <p>Hostile or broken input from an origin server must end here and nowhere else: the decoder
 * never lets an index exception or an out-of-memory error escape.
 */
public class ContentInformationFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** What kind of defect was found. */
  public enum Reason {
    /** The structure ends before a field it announces (also: a count too large for the bytes left). */
    TRUNCATED,
    /** The leading version word is neither 0x0100 nor 0x0200. */
    UNKNOWN_VERSION,
    /** {@code dwHashAlgo} / {@code bHashAlgo} names no known algorithm. */
    UNKNOWN_HASH_ALGORITHM,
    /** A field has a value the specification does not allow. */
    INVALID_VALUE,
    /** An offset or length does not fit in 63 bits, or a sum of them overflows. */
    OVERFLOW,
    /** Bytes follow a complete V1 structure. */
    TRAILING_BYTES,
    /** The structure is larger than the configured maximum. */
    TOO_LARGE
  }

  private final Reason reason;
  private final String field;
  private final long offset;

  public ContentInformationFormatException(Reason reason, String field, long offset, String detail) {
    super("content information: " + field + " at offset " + offset + ": " + detail);
    this.reason = reason;
    this.field = field;
    this.offset = offset;
  }

  /** The kind of defect. */
  public Reason reason() {
    return reason;
  }

  /** The wire name of the offending field, e.g. {@code cSegments} or {@code segment[1].cbSegment}. */
  public String field() {
    return field;
  }

  /** Byte offset of that field from the first byte of the structure. */
  public long offset() {
    return offset;
  }
}
