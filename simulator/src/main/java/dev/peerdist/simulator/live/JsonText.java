package dev.peerdist.simulator.live;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for the nodes' {@code /status} answers (the project has a writer, {@code
 * admin.Json}, and no library): objects become {@link LinkedHashMap}s, arrays {@link List}s,
 * numbers {@link Double} or {@link Long}, plus strings, booleans and null. Bounded: at most 64
 * levels of nesting; anything malformed is an {@link IllegalArgumentException} naming the offset.
 */
public final class JsonText {
  private static final int MAX_DEPTH = 64;
  private final String s;
  private int i;

  private JsonText(String s) {
    this.s = s;
  }

  /** Parses one JSON document. */
  public static Object parse(String text) {
    JsonText p = new JsonText(text);
    p.space();
    Object v = p.value(0);
    p.space();
    if (p.i != text.length()) {
      throw p.bad("trailing text");
    }
    return v;
  }

  /** {@code doc} (a map) at {@code path} (keys separated by dots), or null when absent. */
  public static Object at(Object doc, String path) {
    Object v = doc;
    for (String key : path.split("\\.")) {
      if (!(v instanceof Map<?, ?> m)) {
        return null;
      }
      v = m.get(key);
    }
    return v;
  }

  /** A number at {@code path} as a long, or {@code def}. */
  public static long longAt(Object doc, String path, long def) {
    return at(doc, path) instanceof Number n ? n.longValue() : def;
  }

  private IllegalArgumentException bad(String what) {
    return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
  }

  private void space() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw bad("nested too deep");
    }
    if (i >= s.length()) {
      throw bad("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{' -> {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (peek('}')) {
          return m;
        }
        do {
          space();
          String k = string();
          space();
          expect(':');
          space();
          m.put(k, value(depth + 1));
          space();
        } while (peek(','));
        expect('}');
        return m;
      }
      case '[' -> {
        i++;
        List<Object> l = new ArrayList<>();
        space();
        if (peek(']')) {
          return l;
        }
        do {
          space();
          l.add(value(depth + 1));
          space();
        } while (peek(','));
        expect(']');
        return l;
      }
      case '"' -> {
        return string();
      }
      default -> {
        if (s.startsWith("true", i)) {
          i += 4;
          return Boolean.TRUE;
        }
        if (s.startsWith("false", i)) {
          i += 5;
          return Boolean.FALSE;
        }
        if (s.startsWith("null", i)) {
          i += 4;
          return null;
        }
        return number();
      }
    }
  }

  private boolean peek(char c) {
    if (i < s.length() && s.charAt(i) == c) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw bad("expected '" + c + "'");
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) {
        throw bad("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i >= s.length()) {
        throw bad("unterminated escape");
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) {
            throw bad("short \\u escape");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          } catch (NumberFormatException ex) {
            throw bad("bad \\u escape");
          }
          i += 4;
        }
        default -> throw bad("bad escape \\" + e);
      }
    }
  }

  private Object number() {
    int start = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    String t = s.substring(start, i);
    if (t.isEmpty()) {
      throw bad("unexpected '" + s.charAt(start) + "'");
    }
    try {
      if (t.matches("-?\\d{1,18}")) {
        return Long.parseLong(t);
      }
      return Double.parseDouble(t);
    } catch (NumberFormatException ex) {
      throw bad("bad number " + t);
    }
  }
}
