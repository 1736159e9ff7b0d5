package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.publish.PeerDistNegotiation.Verdict;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * The publisher's decisions for one request, apart from the bytes (as {@code http.PccrrResponder}
 * is for PCCRR): which requests are refused, conditional requests (412, 304), authorization,
 * PeerDist negotiation (PROTOCOL.md §5.3), ranges, and whether the answer is content information
 * or the file. No channels, no files opened, no clock: {@link PublishHandler} asks, then moves
 * the bytes it was told to move (and keeps the sending path, the pipeline and the hash wait).
 *
 * <p>Stateless and thread-safe. Headers come in through {@link Headers}, so the same decisions
 * can be tested with a map and served from Netty's headers; of Netty it uses only two string
 * codecs (HTTP dates, the request target's path), never a channel.
 */
final class PublishResponder {
  /** Request header lines by name (case-insensitive), every line of a repeated header. */
  @FunctionalInterface
  interface Headers {
    /** Every value of {@code name}; empty when absent. */
    List<String> all(String name);

    /** The first value of {@code name}, or null. */
    default String first(String name) {
      List<String> v = all(name);
      return v.isEmpty() ? null : v.get(0);
    }
  }

  /** Where a request goes before the file system is asked. */
  sealed interface Route {}

  /**
   * Refuse it with {@code status}; {@code allow} is the {@code Allow} header of a 405, else null.
   */
  record Reject(int status, String allow) implements Route {}

  /** Look up {@code path} (percent-decoded, without the query). */
  record Resolve(String path) implements Route {}

  /** What to answer for a resolved file. */
  sealed interface Decision {}

  /** 412: an {@code If-Match} names no current ETag (RFC 9110 §13.1.1). */
  record PreconditionFailed() implements Decision {}

  /** 304 with the entity headers. */
  record NotModified() implements Decision {}

  /**
   * The file (200), one range of it (206) or 416 for an unsatisfiable range; {@code
   * makeHashRequest} adds the {@code MakeHashRequest} headers (PROTOCOL.md §5.1).
   */
  record SendFile(RangeRequest range, boolean makeHashRequest, String why) implements Decision {}

  /**
   * Content information of {@code negotiation.contentVersion()} for {@code range}, once the cache
   * has it; the handler serves {@link SendFile} with {@code makeHashRequest} while it has not.
   */
  record SendContentInformation(RangeRequest range, PeerDistNegotiation.Result negotiation) implements Decision {}

  /**
   * A decision, and a content version to start hashing now whatever is answered (a {@code
   * HashRequest}, PROTOCOL.md §5.1), if any.
   */
  record Plan(Decision decision, Optional<ContentVersion> startHashing) {}

  private final PublisherConfig config;

  PublishResponder(PublisherConfig config) {
    this.config = config;
  }

  /**
   * Routes a request line: malformed requests (400, or 431 for headers too large) and methods
   * other than GET and HEAD (405) are refused; anything else is resolved by its path.
   */
  Route route(String method, String uri, boolean decodedOk, boolean headersTooLarge) {
    if (!decodedOk) {
      return new Reject(headersTooLarge ? 431 : 400, null);
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return new Reject(405, "GET, HEAD");
    }
    String path = path(uri);
    return path == null ? new Reject(400, null) : new Resolve(path);
  }

  /**
   * The decoded path of a request target, or null when it cannot be decoded (Netty's decoder, a
   * pure string codec: {@code +} stays {@code +} in a path).
   */
  static String path(String uri) {
    try {
      return new QueryStringDecoder(uri).path();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Decides the answer for a GET or HEAD of {@code file}. */
  Plan decide(boolean head, Headers h, ServedFile file) {
    if (!ifMatch(h, file)) {
      // RFC 9110 §13.1.1: the client made its plan from another version of the file (a node's
      // content information from before an edit); 412 says so without sending wrong bytes.
      return new Plan(new PreconditionFailed(), Optional.empty());
    }
    if (notModified(h, file)) {
      return new Plan(new NotModified(), Optional.empty());
    }
    RangeRequest range = RangeRequest.parse(rangeHeader(h, file), file.size());
    PeerDistNegotiation.Result n = PeerDistNegotiation.negotiate(h.all("Accept-Encoding"),
        h.all(PeerDistHeaders.X_P2P_PEERDIST), h.all(PeerDistHeaders.X_P2P_PEERDIST_EX), config.maxContentVersion());
    // An empty file has no segment to describe (PROTOCOL.md §2.1), whatever --min-size says.
    boolean bigEnough = file.size() > 0 && file.size() >= config.minSize();
    boolean eligible = bigEnough && authorized(h);
    Optional<ContentVersion> startHashing = Optional.empty();
    if (n.hashRequest() && eligible) {
      // PROTOCOL.md §5.1: a HashRequest asks the server to start hashing now.
      PeerDistNegotiation.Result asIf = PeerDistNegotiation.negotiate(List.of(PeerDistHeaders.PEERDIST_CODING),
          h.all(PeerDistHeaders.X_P2P_PEERDIST), h.all(PeerDistHeaders.X_P2P_PEERDIST_EX), config.maxContentVersion());
      if (asIf.verdict() == Verdict.CONTENT_INFORMATION) {
        startHashing = Optional.of(asIf.contentVersion());
      }
    }
    Decision d;
    if (n.verdict() != Verdict.CONTENT_INFORMATION || head || range instanceof RangeRequest.Unsatisfiable) {
      d = new SendFile(range, false, n.verdict() + (head ? " head" : ""));
    } else if (!eligible) {
      d = new SendFile(range, false, "peerdist declined: " + (bigEnough ? "no valid token" : "below min size"));
    } else {
      d = new SendContentInformation(range, n);
    }
    return new Plan(d, startHashing);
  }

  /** The Range header, unless an If-Range validator no longer matches (RFC 9110 §13.1.5). */
  private static String rangeHeader(Headers h, ServedFile file) {
    String range = h.first("Range");
    String ifRange = h.first("If-Range");
    if (range == null || ifRange == null) {
      return range;
    }
    String v = ifRange.trim();
    if (v.startsWith("\"")) {
      return v.equals(file.etag()) ? range : null;
    }
    Date d = DateFormatter.parseHttpDate(v);
    return d != null && d.toInstant().getEpochSecond() == file.lastModified().getEpochSecond() ? range : null;
  }

  /** False when an {@code If-Match} header names no current ETag of the file (strong comparison). */
  private static boolean ifMatch(Headers h, ServedFile file) {
    String im = h.first("If-Match");
    if (im == null) {
      return true;
    }
    for (String tag : im.split(",", 64)) {
      String t = tag.trim();
      if (t.equals("*") || t.equals(file.etag())) {
        return true;
      }
    }
    return false;
  }

  private static boolean notModified(Headers h, ServedFile file) {
    String inm = h.first("If-None-Match");
    if (inm != null) {
      for (String tag : inm.split(",", 64)) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
          t = t.substring(2);
        }
        if (t.equals("*") || t.equals(file.etag())) {
          return true;
        }
      }
      return false;
    }
    String ims = h.first("If-Modified-Since");
    if (ims != null) {
      Date d = DateFormatter.parseHttpDate(ims);
      return d != null && file.lastModified().getEpochSecond() <= d.toInstant().getEpochSecond();
    }
    return false;
  }

  /** Whether the request carries the configured bearer token (always, when none is configured). */
  private boolean authorized(Headers h) {
    if (config.token() == null) {
      return true;
    }
    String a = h.first("Authorization");
    if (a == null || a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(
        a.substring(7).trim().getBytes(StandardCharsets.UTF_8), config.token().getBytes(StandardCharsets.UTF_8));
  }
}
