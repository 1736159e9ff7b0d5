package dev.peerdist.chunkstore.content;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A segment identifier, HoHoDk = HMAC(Kp, HoD || C2) (PROTOCOL.md §2.2).
 *
 * <p>It is the public name of a segment: it goes into PCCRD probes as 64 upper-case hex digits
 * (§3.3) and into PCCRR requests as raw bytes (§4.4). Immutable; equality is by value.
 */
public final class SegmentId implements Comparable<SegmentId> {
  private static final HexFormat UPPER_HEX = HexFormat.of().withUpperCase();

  private final byte[] bytes;
  private final int hash;

  private SegmentId(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  /**
   * Wraps a copy of {@code bytes}.
   *
   * @throws IllegalArgumentException when the length is not 32, 48 or 64 bytes
   */
  public static SegmentId of(byte[] bytes) {
    if (bytes == null || (bytes.length != 32 && bytes.length != 48 && bytes.length != 64)) {
      throw new IllegalArgumentException(
          "segment id must be 32, 48 or 64 bytes, got " + (bytes == null ? "null" : bytes.length));
    }
    return new SegmentId(bytes.clone());
  }

  /**
   * Parses hex digits (either case) as a segment id.
   *
   * @throws IllegalArgumentException naming the text when it is not 64, 96 or 128 hex digits
   */
  public static SegmentId fromHex(String hex) {
    try {
      return of(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a segment id: '" + hex + "' (" + e.getMessage() + ")", e);
    }
  }

  /** A copy of the raw identifier bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Identifier length in bytes. */
  public int length() {
    return bytes.length;
  }

  /** Upper-case hex, exactly as PCCRD V1 scopes carry it (PROTOCOL.md §3.3, §9.6). */
  public String toHex() {
    return UPPER_HEX.formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SegmentId other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(SegmentId o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return toHex();
  }
}
