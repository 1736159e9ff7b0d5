package dev.peerdist.node.publish;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Names and parsers of the MS-PCCRTP request headers (PROTOCOL.md §5.1). Pure: strings in,
 * values out, no I/O.
 */
public final class PeerDistHeaders {
  /** Request and response: {@code Version=..., ContentLength=..., MissingDataRequest=true}. */
  public static final String X_P2P_PEERDIST = "X-P2P-PeerDist";
  /** Request: Min/MaxContentInformation, HashRequest; response: MakeHashRequest. */
  public static final String X_P2P_PEERDIST_EX = "X-P2P-PeerDistEx";
  /** The content-coding token, compared case-insensitively (PROTOCOL.md §5.1). */
  public static final String PEERDIST_CODING = "peerdist";

  /** At most this many parameters are read from one header; the rest are ignored. */
  static final int MAX_PARAMETERS = 16;

  private PeerDistHeaders() {}

  /**
   * Whether an {@code Accept-Encoding} value lists the {@code peerdist} coding with a non-zero
   * q-value. The wildcard {@code *} does not count: a client must name the coding to get content
   * information instead of the file.
   *
   * @param values every {@code Accept-Encoding} header line of the request (may be empty)
   */
  public static boolean acceptsPeerDist(List<String> values) {
    for (String value : values) {
      for (String element : value.split(",", 64)) {
        String[] parts = element.split(";", 8);
        if (!parts[0].trim().equalsIgnoreCase(PEERDIST_CODING)) {
          continue;
        }
        double q = 1.0;
        for (int i = 1; i < parts.length; i++) {
          String p = parts[i].trim();
          int eq = p.indexOf('=');
          if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("q")) {
            q = parseQ(p.substring(eq + 1).trim());
          }
        }
        if (q > 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** RFC 9110 §12.4.2 qvalue; malformed values count as 0 (not acceptable). */
  private static double parseQ(String text) {
    if (text.isEmpty() || text.length() > 5) {
      return 0;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < '0' || c > '9') && c != '.') {
        return 0;
      }
    }
    try {
      double q = Double.parseDouble(text);
      return q >= 0 && q <= 1 ? q : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * Parses the comma-separated {@code Name=Value} parameters of {@code X-P2P-PeerDist} or {@code
   * X-P2P-PeerDistEx}. Names are lower-cased (the spec's examples vary in case); values are
   * trimmed; elements without {@code =} are kept with an empty value; the first occurrence of a
   * name wins; at most {@link #MAX_PARAMETERS} are read.
   *
   * @param values every line of the header (several lines are joined with commas, as HTTP says)
   */
  public static Map<String, String> parameters(List<String> values) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String value : values) {
      for (String element : value.split(",", MAX_PARAMETERS + 1)) {
        if (out.size() >= MAX_PARAMETERS) {
          return out;
        }
        String e = element.trim();
        if (e.isEmpty()) {
          continue;
        }
        int eq = e.indexOf('=');
        String name = (eq < 0 ? e : e.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
        String v = eq < 0 ? "" : e.substring(eq + 1).trim();
        out.putIfAbsent(name, v);
      }
    }
    return out;
  }

  /** Whether a parameter value is {@code true}, ignoring case. */
  static boolean isTrue(String value) {
    return value != null && value.equalsIgnoreCase("true");
  }
}
