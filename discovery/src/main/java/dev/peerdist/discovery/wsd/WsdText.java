package dev.peerdist.discovery.wsd;

import java.util.ArrayList;
import java.util.List;

/** Text rules shared by the messages and the codec: XML whitespace, tokens, escaping. */
final class WsdText {
  private WsdText() {}

  /** XML 1.0 white space (production S): the separator of list-valued elements. */
  static boolean isXmlSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  /**
   * Checks that {@code value} is a non-empty token that survives an XML round trip: no white
   * space, no control characters, no unpaired surrogates, no U+FFFE/U+FFFF.
   *
   * @throws IllegalArgumentException naming {@code what} otherwise
   */
  static String requireToken(String what, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean bad = c <= 0x20 || c == 0xFFFE || c == 0xFFFF;
      if (Character.isHighSurrogate(c)) {
        bad = i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1));
        i++;
      } else if (Character.isLowSurrogate(c)) {
        bad = true;
      }
      if (bad) {
        throw new IllegalArgumentException(what + " has a character not allowed in a token at index " + i);
      }
    }
    return value;
  }

  /** Whether {@code text} contains XML white space anywhere. */
  static boolean hasXmlSpace(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isXmlSpace(text.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** Splits XML-whitespace-separated list text into its items. */
  static List<String> splitList(String text) {
    List<String> items = new ArrayList<>();
    int i = 0;
    int n = text.length();
    while (i < n) {
      while (i < n && isXmlSpace(text.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !isXmlSpace(text.charAt(i))) {
        i++;
      }
      if (i > start) {
        items.add(text.substring(start, i));
      }
    }
    return items;
  }

  /** Removes leading and trailing XML white space (not other Unicode spaces). */
  static String trimXml(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isXmlSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isXmlSpace(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(start, end);
  }

  /** Appends {@code text} escaped for element content or a double-quoted attribute value. */
  static void appendEscaped(StringBuilder out, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        default -> out.append(c);
      }
    }
  }
}
