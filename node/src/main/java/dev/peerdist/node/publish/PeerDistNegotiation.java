package dev.peerdist.node.publish;

import dev.peerdist.node.pccrtp.PeerDistVersion;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides, from a request's headers alone, whether the answer should be content information and
 * in which version (PROTOCOL.md §5.3). Pure function: no I/O, no state.
 *
 * <p>The rules, in order:
 *
 * <ol>
 *   <li>{@code X-P2P-PeerDist: MissingDataRequest=true} → plain bytes, even if {@code peerdist}
 *       is also offered (§5.2 step 5; WPTS asserts a non-peerdist reply).
 *   <li>No {@code peerdist} token with q &gt; 0 in {@code Accept-Encoding} → plain.
 *   <li>{@code X-P2P-PeerDist} absent → the client is treated as {@code Version=1.0}; present but
 *       without a parseable {@code Version}, or a version below 1.0 → declined (plain).
 *   <li>No {@code X-P2P-PeerDistEx}, or one naming neither Min nor MaxContentInformation → V1
 *       (the spec's MUST).
 *   <li>With Min and Max: both must parse and Min ≤ Max, else declined. The server picks the
 *       <em>highest</em> content version it serves (V1 = 1.0, V2 = 2.0, capped by {@code
 *       maxContentVersion}) that lies in [Min, Max]; none → declined. So the iPXE/Windows 8
 *       offer {@code Min=1.0, Max=2.0} gets V2 unless the server is capped to V1.
 * </ol>
 *
 * <p>The reply's {@code X-P2P-PeerDist: Version} echoes the client's 1.0 or 1.1 (as post-2008 R2
 * servers do, §5.3), 1.1 for any higher client version, and always 1.1 with V2 content.
 */
public final class PeerDistNegotiation {
  private PeerDistNegotiation() {}

  /** What to answer. */
  public enum Verdict {
    /** The client did not ask for PeerDist: serve the file. */
    PLAIN,
    /** A MissingDataRequest: serve the bytes (PROTOCOL.md §5.2 step 5). */
    MISSING_DATA,
    /** The client offered PeerDist but its headers were invalid or unsatisfiable: serve plainly. */
    DECLINED,
    /** Answer with content information of {@link Result#contentVersion()}. */
    CONTENT_INFORMATION
  }

  /**
   * The decision.
   *
   * @param verdict what to answer
   * @param contentVersion the content-information version when {@code verdict} is
   *     CONTENT_INFORMATION, else null
   * @param replyVersion the {@code Version} to put in the response's {@code X-P2P-PeerDist}, else
   *     null
   * @param hashRequest whether the client sent {@code HashRequest=true} (PROTOCOL.md §5.1): start
   *     hashing now whatever the verdict
   * @param reason a short explanation for the debug log
   */
  public record Result(
      Verdict verdict,
      ContentVersion contentVersion,
      PeerDistVersion replyVersion,
      boolean hashRequest,
      String reason) {}

  /**
   * Negotiates.
   *
   * @param acceptEncoding every {@code Accept-Encoding} line (empty list if none)
   * @param peerDist every {@code X-P2P-PeerDist} line
   * @param peerDistEx every {@code X-P2P-PeerDistEx} line
   * @param maxContentVersion the highest content version this server hands out
   */
  public static Result negotiate(
      List<String> acceptEncoding,
      List<String> peerDist,
      List<String> peerDistEx,
      ContentVersion maxContentVersion) {
    Map<String, String> pd = PeerDistHeaders.parameters(peerDist);
    Map<String, String> ex = PeerDistHeaders.parameters(peerDistEx);
    boolean hashRequest = PeerDistHeaders.isTrue(ex.get("hashrequest"));
    if (PeerDistHeaders.isTrue(pd.get("missingdatarequest"))) {
      return new Result(Verdict.MISSING_DATA, null, null, hashRequest, "MissingDataRequest=true");
    }
    if (!PeerDistHeaders.acceptsPeerDist(acceptEncoding)) {
      return new Result(Verdict.PLAIN, null, null, hashRequest, "peerdist not in Accept-Encoding");
    }
    PeerDistVersion client;
    if (peerDist.isEmpty()) {
      client = PeerDistVersion.V1_0;
    } else {
      Optional<PeerDistVersion> v = PeerDistVersion.parse(pd.get("version"));
      if (v.isEmpty()) {
        return declined(hashRequest, "X-P2P-PeerDist without a valid Version: " + peerDist);
      }
      client = v.get();
    }
    if (client.compareTo(PeerDistVersion.V1_0) < 0) {
      return declined(hashRequest, "client PeerDist version " + client + " is below 1.0");
    }
    PeerDistVersion reply =
        client.compareTo(PeerDistVersion.V1_1) >= 0 ? PeerDistVersion.V1_1 : PeerDistVersion.V1_0;
    String minText = ex.get("mincontentinformation");
    String maxText = ex.get("maxcontentinformation");
    if (minText == null && maxText == null) {
      // PROTOCOL.md §5.3: without X-P2P-PeerDistEx the server MUST return V1.
      return new Result(Verdict.CONTENT_INFORMATION, ContentVersion.V1, reply, hashRequest, "no PeerDistEx: V1");
    }
    Optional<PeerDistVersion> min = PeerDistVersion.parse(minText);
    Optional<PeerDistVersion> max = PeerDistVersion.parse(maxText);
    if (min.isEmpty() || max.isEmpty() || min.get().compareTo(max.get()) > 0) {
      return declined(hashRequest, "invalid content-information range " + minText + ".." + maxText);
    }
    ContentVersion chosen = null;
    if (maxContentVersion == ContentVersion.V2 && within(PeerDistVersion.V2_0, min.get(), max.get())) {
      chosen = ContentVersion.V2;
    } else if (within(PeerDistVersion.V1_0, min.get(), max.get())) {
      chosen = ContentVersion.V1;
    }
    if (chosen == null) {
      return declined(hashRequest, "no served version in [" + min.get() + ", " + max.get() + "]");
    }
    if (chosen == ContentVersion.V2) {
      reply = PeerDistVersion.V1_1;
    }
    return new Result(
        Verdict.CONTENT_INFORMATION, chosen, reply, hashRequest, "[" + min.get() + ", " + max.get() + "]: " + chosen);
  }

  private static boolean within(PeerDistVersion v, PeerDistVersion min, PeerDistVersion max) {
    return v.compareTo(min) >= 0 && v.compareTo(max) <= 0;
  }

  private static Result declined(boolean hashRequest, String reason) {
    return new Result(Verdict.DECLINED, null, null, hashRequest, reason);
  }
}
