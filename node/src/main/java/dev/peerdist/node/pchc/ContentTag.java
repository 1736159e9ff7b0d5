package dev.peerdist.node.pchc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 16 opaque bytes a client puts into an offer to say which program fetched the content
 * (PROTOCOL.md §6.3: Windows uses "WinINet", "WebIO", "BITS-4.0" or a fixed SMB tag). A hosted
 * cache may keep statistics by it; nothing depends on its value. Immutable, equal by value.
 */
public final class ContentTag {
  /** Length of every content tag ([MS-PCHC]: SizeOfContentTag MUST be 16). */
  public static final int LENGTH = 16;
  /**
   * The tag peerdist sends: ASCII {@code peerdist} followed by eight zero bytes. How Windows pads
   * its short ASCII tags is not public (PROTOCOL.md §8 item 7); zero padding is our guess.
   */
  public static final ContentTag PEERDIST = ofAscii("peerdist");

  private final byte[] bytes;

  private ContentTag(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Wraps a copy of 16 bytes.
   *
   * @throws IllegalArgumentException when {@code bytes} is not 16 bytes long
   */
  public static ContentTag of(byte[] bytes) {
    if (bytes == null || bytes.length != LENGTH) {
      throw new IllegalArgumentException("a content tag is " + LENGTH + " bytes, got "
          + (bytes == null ? "null" : bytes.length));
    }
    return new ContentTag(bytes.clone());
  }

  /** Up to 16 ASCII characters, zero padded. */
  public static ContentTag ofAscii(String text) {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    if (b.length > LENGTH) {
      throw new IllegalArgumentException("content tag text longer than " + LENGTH + " bytes: " + text);
    }
    return new ContentTag(Arrays.copyOf(b, LENGTH));
  }

  /** A copy of the 16 bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContentTag t && Arrays.equals(bytes, t.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(bytes);
  }
}
