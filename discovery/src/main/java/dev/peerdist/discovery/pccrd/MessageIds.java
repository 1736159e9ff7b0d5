package dev.peerdist.discovery.pccrd;

import java.util.UUID;
import java.util.random.RandomGenerator;

/** Random WS-Discovery MessageIDs and endpoint ids: {@code urn:uuid:} and a version-4 UUID (PROTOCOL.md §3.3). */
public final class MessageIds {
  private MessageIds() {}

  /** The longest MessageID {@link #peek} returns. */
  static final int MAX_PEEKED_CHARS = 256;
  private static final byte[] LOCAL_NAME = "MessageID>".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * The MessageID of a WS-Discovery datagram read straight from its bytes, without decoding it:
   * the text of the first {@code <MessageID>} or {@code <prefix:MessageID>} element, when it is
   * plain (printable ASCII, no entity, no surrounding space, at most {@value #MAX_PEEKED_CHARS}
   * characters); otherwise null, and the caller decodes the datagram. A hint only: a datagram
   * whose full decoding would give another id (a comment holding that text) at worst is taken for
   * a copy of the message whose id the hint names, which its sender could have sent anyway.
   */
  public static String peek(byte[] datagram) {
    int n = datagram.length - LOCAL_NAME.length;
    for (int i = 1; i <= n; i++) {
      if (!matches(datagram, i)) {
        continue;
      }
      byte before = datagram[i - 1];
      if (before != '<' && before != ':') {
        continue;
      }
      if (before == ':' && !startTag(datagram, i - 1)) {
        continue;
      }
      int from = i + LOCAL_NAME.length;
      StringBuilder id = new StringBuilder(48);
      for (int j = from; j < datagram.length; j++) {
        int c = datagram[j] & 0xFF;
        if (c == '<') {
          return id.length() == 0 ? null : id.toString();
        }
        if (c <= ' ' || c >= 0x7F || c == '&' || id.length() >= MAX_PEEKED_CHARS) {
          return null;
        }
        id.append((char) c);
      }
      return null;
    }
    return null;
  }

  private static boolean matches(byte[] b, int at) {
    for (int k = 0; k < LOCAL_NAME.length; k++) {
      if (b[at + k] != LOCAL_NAME[k]) {
        return false;
      }
    }
    return true;
  }

  /** Whether the prefix ending at {@code colon} is a start tag's: {@code <name:}, not {@code </name:}. */
  private static boolean startTag(byte[] b, int colon) {
    int k = colon - 1;
    while (k >= 0 && isNameChar(b[k])) {
      k--;
    }
    return k >= 0 && k < colon - 1 && b[k] == '<';
  }

  private static boolean isNameChar(byte c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  }

  /** {@code urn:uuid:} and a version-4 UUID drawn from {@code random}. */
  public static String random(RandomGenerator random) {
    long msb = random.nextLong();
    long lsb = random.nextLong();
    // Version 4, IETF variant.
    msb = (msb & ~0xF000L) | 0x4000L;
    lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return "urn:uuid:" + new UUID(msb, lsb);
  }
}
