package dev.peerdist.discovery.wsd;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a UTF-8 byte array directly, for the encoder: no {@code StringBuilder}, no String, no
 * second copy by {@code getBytes}. Text is escaped as {@link WsdText#appendEscaped} escapes it,
 * then encoded exactly as {@code String.getBytes(UTF_8)} encodes it (an unpaired surrogate
 * becomes {@code '?'}). One instance builds one message, on one thread.
 */
final class Utf8Writer {
  private static final byte[] AMP = ascii("&amp;");
  private static final byte[] LT = ascii("&lt;");
  private static final byte[] GT = ascii("&gt;");
  private static final byte[] QUOT = ascii("&quot;");

  private byte[] buf;
  private int len;

  Utf8Writer(int capacity) {
    buf = new byte[capacity];
  }

  /** The bytes of an ASCII constant, for {@link #raw}. */
  static byte[] ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        throw new IllegalArgumentException("not ASCII: " + s);
      }
    }
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Appends bytes as they are (a constant from {@link #ascii}). */
  Utf8Writer raw(byte[] bytes) {
    ensure(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    return this;
  }

  /** Appends one ASCII character. */
  Utf8Writer raw(char c) {
    ensure(1);
    buf[len++] = (byte) c;
    return this;
  }

  /** Appends the decimal digits of {@code v} (not negative). */
  Utf8Writer decimal(long v) {
    ensure(20);
    int digits = 1;
    for (long x = v / 10; x > 0; x /= 10) {
      digits++;
    }
    for (int i = len + digits - 1; i >= len; i--) {
      buf[i] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    }
    len += digits;
    return this;
  }

  /** Appends {@code text} escaped for element content or a double-quoted attribute value. */
  Utf8Writer escaped(String text) {
    int n = text.length();
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        switch (c) {
          case '&' -> raw(AMP);
          case '<' -> raw(LT);
          case '>' -> raw(GT);
          case '"' -> raw(QUOT);
          default -> {
            ensure(1);
            buf[len++] = (byte) c;
          }
        }
      } else if (c < 0x800) {
        ensure(2);
        buf[len++] = (byte) (0xC0 | (c >> 6));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(++i));
        ensure(4);
        buf[len++] = (byte) (0xF0 | (cp >> 18));
        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        ensure(1);
        buf[len++] = '?'; // what String.getBytes(UTF_8) writes for an unpaired surrogate
      } else {
        ensure(3);
        buf[len++] = (byte) (0xE0 | (c >> 12));
        buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return this;
  }

  /** How many bytes {@link #escaped} writes for {@code text}. */
  static int escapedLength(String text) {
    int n = text.length();
    int bytes = 0;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += switch (c) {
          case '&' -> AMP.length;
          case '<' -> LT.length;
          case '>' -> GT.length;
          case '"' -> QUOT.length;
          default -> 1;
        };
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        bytes += 1;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** The bytes written, in an array of exactly their length. */
  byte[] toBytes() {
    return buf.length == len ? buf : Arrays.copyOf(buf, len);
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
