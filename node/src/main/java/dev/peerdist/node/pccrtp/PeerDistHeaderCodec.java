package dev.peerdist.node.pccrtp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The MS-PCCRTP headers (PROTOCOL.md §5.1), parsed and formatted in one place for both sides:
 * the publisher reads requests and writes responses, the node's origin client writes requests
 * and reads responses. Pure: strings in, values out; no I/O.
 *
 * <table>
 *   <caption>Limits (hostile input is bounded, never an exception)</caption>
 *   <tr><th>what</th><th>limit</th><th>beyond it</th></tr>
 *   <tr><td>parameters read from one header</td><td>{@value #MAX_PARAMETERS}</td><td>ignored</td></tr>
 *   <tr><td>codings read from Accept-/Content-Encoding</td><td>{@value #MAX_CODINGS}</td><td>ignored</td></tr>
 *   <tr><td>{@code ContentLength} digits</td><td>18</td><td>absent (not a number)</td></tr>
 *   <tr><td>version parts</td><td>9 digits each</td><td>absent</td></tr>
 * </table>
 *
 * <p>Parsing never throws: a malformed value is absent, and callers decide (the publisher
 * declines PeerDist, the client treats the answer as not PeerDist or fails with its own reason).
 */
public final class PeerDistHeaderCodec {
  /** Request and response: {@code Version=..., ContentLength=..., MissingDataRequest=true}. */
  public static final String X_P2P_PEERDIST = "X-P2P-PeerDist";
  /** Request: Min/MaxContentInformation, HashRequest; response: MakeHashRequest. */
  public static final String X_P2P_PEERDIST_EX = "X-P2P-PeerDistEx";
  /** The content-coding token, compared case-insensitively (PROTOCOL.md §5.1). */
  public static final String PEERDIST_CODING = "peerdist";
  /** At most this many parameters are read from one header; the rest are ignored. */
  public static final int MAX_PARAMETERS = 16;
  /** At most this many codings are read from one encoding header line. */
  public static final int MAX_CODINGS = 64;

  private PeerDistHeaderCodec() {}

  /** The parsed {@code X-P2P-PeerDist} header (PROTOCOL.md §5.1). */
  public record PeerDist(
      Optional<PeerDistVersion> version, OptionalLong contentLength, boolean missingDataRequest,
      boolean present) {
    /** The header was not sent. */
    public static final PeerDist ABSENT = new PeerDist(Optional.empty(), OptionalLong.empty(), false, false);
  }

  /** The parsed {@code X-P2P-PeerDistEx} header (PROTOCOL.md §5.1). */
  public record PeerDistEx(
      Optional<String> minContentInformation, Optional<String> maxContentInformation, boolean hashRequest,
      boolean makeHashRequest) {
    /** Min parsed, if it was sent and is a version. */
    public Optional<PeerDistVersion> min() {
      return minContentInformation.flatMap(PeerDistVersion::parse);
    }

    /** Max parsed, if it was sent and is a version. */
    public Optional<PeerDistVersion> max() {
      return maxContentInformation.flatMap(PeerDistVersion::parse);
    }
  }

  // ---------------------------------------------------------------- parsing

  /**
   * Whether {@code Accept-Encoding} lists {@code peerdist} with a non-zero q-value. The wildcard
   * {@code *} does not count: a client must name the coding to get content information.
   *
   * @param values every {@code Accept-Encoding} line of the request (may be empty)
   */
  public static boolean acceptsPeerDist(List<String> values) {
    for (String value : values) {
      for (String element : value.split(",", MAX_CODINGS)) {
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

  /**
   * The values of header {@code name} (any case) in a raw HTTP message head ({@code "HTTP/1.1 200
   * OK\r\nName: value\r\n..."}, as {@code curl -D -} prints it or a socket returns it), one
   * entry per line, for tools that read a response head themselves. Lines without a colon (the
   * status line) are skipped; obsolete line folding is not supported.
   */
  public static List<String> headerValues(String head, String name) {
    List<String> out = new java.util.ArrayList<>();
    for (String line : head.split("\r?\n", 256)) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        out.add(line.substring(colon + 1).trim());
      }
    }
    return out;
  }

  /** Whether a response's {@code Content-Encoding} lines name {@code peerdist} (any case). */
  public static boolean isPeerDistEncoded(List<String> contentEncoding) {
    for (String value : contentEncoding) {
      for (String c : value.split(",", MAX_CODINGS)) {
        if (c.trim().equalsIgnoreCase(PEERDIST_CODING)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Parses {@code X-P2P-PeerDist}: {@code Version}, {@code ContentLength} (decimal, at most 18
   * digits) and {@code MissingDataRequest=true}. Several lines count as one list.
   */
  public static PeerDist peerDist(List<String> values) {
    if (values.isEmpty()) {
      return PeerDist.ABSENT;
    }
    Map<String, String> p = parameters(values);
    OptionalLong length = OptionalLong.empty();
    String cl = p.get("contentlength");
    if (cl != null && !cl.isEmpty() && cl.length() <= 18 && cl.chars().allMatch(c -> c >= '0' && c <= '9')) {
      length = OptionalLong.of(Long.parseLong(cl));
    }
    return new PeerDist(PeerDistVersion.parse(p.get("version")), length, isTrue(p.get("missingdatarequest")), true);
  }

  /** Parses {@code X-P2P-PeerDistEx}. */
  public static PeerDistEx peerDistEx(List<String> values) {
    Map<String, String> p = parameters(values);
    return new PeerDistEx(Optional.ofNullable(p.get("mincontentinformation")),
        Optional.ofNullable(p.get("maxcontentinformation")), isTrue(p.get("hashrequest")),
        isTrue(p.get("makehashrequest")));
  }

  /**
   * The comma-separated {@code Name=Value} parameters of one of the two headers. Names are
   * lower-cased (the spec's examples vary in case), values trimmed; an element without {@code =}
   * has an empty value; the first occurrence of a name wins; at most {@link #MAX_PARAMETERS}.
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
  public static boolean isTrue(String value) {
    return value != null && value.equalsIgnoreCase("true");
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

  // ---------------------------------------------------------------- formatting

  /** Request {@code X-P2P-PeerDist: Version=1.1} (TV-7b). */
  public static String requestPeerDist(PeerDistVersion version) {
    return "Version=" + version;
  }

  /** Request {@code X-P2P-PeerDist: Version=1.1, MissingDataRequest=true} (PROTOCOL.md §5.2 step 5). */
  public static String missingDataRequest(PeerDistVersion version) {
    return "Version=" + version + ", MissingDataRequest=true";
  }

  /** Request {@code X-P2P-PeerDistEx: MinContentInformation=a, MaxContentInformation=b[, HashRequest=true]}. */
  public static String requestPeerDistEx(PeerDistVersion min, PeerDistVersion max, boolean hashRequest) {
    return "MinContentInformation=" + min + ", MaxContentInformation=" + max + (hashRequest ? ", HashRequest=true" : "");
  }

  /** Response {@code X-P2P-PeerDist: Version=v, ContentLength=n} (PROTOCOL.md §5.3, TV-7c). */
  public static String responsePeerDist(PeerDistVersion version, long contentLength) {
    if (contentLength < 0) {
      throw new IllegalArgumentException("negative ContentLength " + contentLength);
    }
    return "Version=" + version + ", ContentLength=" + contentLength;
  }

  /** Response {@code X-P2P-PeerDistEx: MakeHashRequest=true} (hashes not ready). */
  public static final String MAKE_HASH_REQUEST = "MakeHashRequest=true";
}
