package dev.peerdist.node;

import java.util.ArrayList;
import java.util.List;

/**
 * The line syntax of peerdist's TOML-ish files (the node's config file, the simulator's scenario
 * files): UTF-8 lines of {@code key = value}; {@code #} and {@code ;} start comments outside
 * double quotes; blank lines are skipped; a line {@code [name]} (without {@code =}) starts a
 * section; a value may be quoted ({@code "…"}, the quotes are removed). What the keys mean is the
 * caller's business: this class only splits lines, so that every file peerdist reads has one
 * syntax and one parser.
 */
public final class ConfigFileLines {
  private ConfigFileLines() {}

  /**
   * One {@code key = value} line.
   *
   * @param number the 1-based line number
   * @param section the text inside the last {@code [...]} header before it, trimmed; empty before any
   * @param key the key, trimmed
   * @param value the value, trimmed, outer double quotes removed
   * @param raw the value as written (trimmed, quotes kept), for list syntax such as {@code ["a", "b"]}
   */
  public record Line(int number, String section, String key, String value, String raw) {}

  /**
   * Splits {@code lines} into key/value lines.
   *
   * @param source names the text in errors, e.g. {@code file a.conf}; errors say {@code source:line}
   * @throws ConfigException for a line that is neither blank, a comment, a header nor {@code key = value}
   */
  public static List<Line> parse(List<String> lines, String source) {
    List<Line> out = new ArrayList<>();
    String section = "";
    for (int i = 0; i < lines.size(); i++) {
      String line = stripComment(lines.get(i)).trim();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]") && !line.contains("=")) {
        section = line.substring(1, line.length() - 1).trim();
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(line, source + ":" + (i + 1), "expected 'key = value'");
      }
      String raw = line.substring(eq + 1).trim();
      out.add(new Line(i + 1, section, line.substring(0, eq).trim(), unquote(raw), raw));
    }
    return out;
  }

  /** Removes one pair of surrounding double quotes. */
  public static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private static String stripComment(String line) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && (c == '#' || c == ';')) {
        return line.substring(0, i);
      }
    }
    return line;
  }
}
