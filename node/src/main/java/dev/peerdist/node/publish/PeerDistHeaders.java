package dev.peerdist.node.publish;

import dev.peerdist.node.pccrtp.PeerDistHeaderCodec;
import java.util.List;
import java.util.Map;

/**
 * The publisher's names for the MS-PCCRTP headers (PROTOCOL.md §5.1); parsing is {@link
 * PeerDistHeaderCodec}'s, shared with the node's origin client, so both sides read the headers
 * the same way.
 */
public final class PeerDistHeaders {
  /** Request and response: {@code Version=..., ContentLength=..., MissingDataRequest=true}. */
  public static final String X_P2P_PEERDIST = PeerDistHeaderCodec.X_P2P_PEERDIST;
  /** Request: Min/MaxContentInformation, HashRequest; response: MakeHashRequest. */
  public static final String X_P2P_PEERDIST_EX = PeerDistHeaderCodec.X_P2P_PEERDIST_EX;
  /** The content-coding token, compared case-insensitively (PROTOCOL.md §5.1). */
  public static final String PEERDIST_CODING = PeerDistHeaderCodec.PEERDIST_CODING;

  private PeerDistHeaders() {}

  /** See {@link PeerDistHeaderCodec#acceptsPeerDist}. */
  public static boolean acceptsPeerDist(List<String> values) {
    return PeerDistHeaderCodec.acceptsPeerDist(values);
  }

  /** See {@link PeerDistHeaderCodec#parameters}. */
  public static Map<String, String> parameters(List<String> values) {
    return PeerDistHeaderCodec.parameters(values);
  }

  /** Whether a parameter value is {@code true}, ignoring case. */
  static boolean isTrue(String value) {
    return PeerDistHeaderCodec.isTrue(value);
  }
}
