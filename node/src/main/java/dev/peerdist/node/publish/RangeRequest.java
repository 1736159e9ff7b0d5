package dev.peerdist.node.publish;

/**
 * The meaning of a request's {@code Range} header for a representation of a known length (RFC
 * 9110 §14). Pure: only a single {@code bytes=} range is honoured; everything else is answered
 * with the whole representation, which the RFC allows.
 */
public sealed interface RangeRequest {
  /** Serve the whole representation with 200: no Range, an unknown unit, a syntax error, or several ranges. */
  record Full(String why) implements RangeRequest {}

  /** Serve {@code [start, endExclusive)} with 206 and {@code Content-Range}. */
  record Partial(long start, long endExclusive) implements RangeRequest {
    /** Number of bytes in the range. */
    public long length() {
      return endExclusive - start;
    }

    /** The value of {@code Content-Range} for a representation of {@code total} bytes. */
    public String contentRange(long total) {
      return "bytes " + start + "-" + (endExclusive - 1) + "/" + total;
    }
  }

  /** Answer 416 with {@code Content-Range: bytes *}/length: the one range lies past the end. */
  record Unsatisfiable() implements RangeRequest {}

  /**
   * Interprets a {@code Range} header.
   *
   * @param header the header value, or null when absent
   * @param length the representation's length in bytes
   */
  static RangeRequest parse(String header, long length) {
    if (header == null) {
      return new Full("no Range");
    }
    String h = header.trim();
    if (h.length() < 6 || !h.regionMatches(true, 0, "bytes=", 0, 6)) {
      return new Full("not a bytes range");
    }
    String spec = h.substring(6).trim();
    if (spec.indexOf(',') >= 0) {
      return new Full("several ranges");
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Full("syntax");
    }
    String first = spec.substring(0, dash).trim();
    String last = spec.substring(dash + 1).trim();
    long a = digits(first);
    long b = digits(last);
    if (first.isEmpty()) {
      // Suffix range "-N": the last N bytes (RFC 9110 §14.1.3).
      if (b < 0) {
        return new Full("syntax");
      }
      if (b == 0 || length == 0) {
        return new Unsatisfiable();
      }
      return new Partial(Math.max(0, length - b), length);
    }
    if (a < 0 || (!last.isEmpty() && (b < 0 || b < a))) {
      return new Full("syntax");
    }
    if (a >= length) {
      return new Unsatisfiable();
    }
    long end = last.isEmpty() || b >= length - 1 ? length : b + 1;
    return new Partial(a, end);
  }

  /** Non-negative decimal of at most 18 digits, or -1. */
  private static long digits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(s);
  }
}
