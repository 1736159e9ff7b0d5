package dev.peerdist.discovery.wsd;

import javax.xml.namespace.QName;

/**
 * Namespace URIs, the prefixes peerdist emits, and the fixed URIs of the WS-Discovery 2005/04
 * profile PCCRD uses (PROTOCOL.md §3.2-§3.5).
 */
public final class WsdNames {
  /** SOAP 1.2 envelope namespace, emitted with prefix {@code soap}. */
  public static final String SOAP = "http://www.w3.org/2003/05/soap-envelope";
  /** WS-Addressing 2004/08, emitted with prefix {@code wsa}. */
  public static final String WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
  /** WS-Discovery 2005/04, emitted with prefix {@code wsd}. */
  public static final String WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
  /** PeerDist discovery namespace, emitted with prefix {@code PeerDist}. */
  public static final String PEERDIST = "http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery";

  /** {@code wsa:To} of a multicast Probe (PROTOCOL.md §3.3). */
  public static final String TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
  /** {@code wsa:To} of a ProbeMatches reply (PROTOCOL.md §3.4). */
  public static final String TO_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous";
  /** {@code wsa:Action} of a Probe. */
  public static final String ACTION_PROBE = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";
  /** {@code wsa:Action} of a ProbeMatches. */
  public static final String ACTION_PROBE_MATCHES = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches";
  /** {@code MatchBy} of V1 scopes: case-sensitive string comparison (PROTOCOL.md §3.3). */
  public static final String MATCH_BY_STRCMP0 = "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0";
  /** {@code MatchBy} of V2 scopes (PROTOCOL.md §3.5). */
  public static final String MATCH_BY_PEERDIST_V2 = "http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule";

  /** {@code PeerDist:PeerDistData}, the V1 type (PROTOCOL.md §3.3). */
  public static final QName TYPE_V1 = new QName(PEERDIST, "PeerDistData", "PeerDist");
  /** {@code PeerDist:PeerDistDataV2}, the V2 type (PROTOCOL.md §3.5). */
  public static final QName TYPE_V2 = new QName(PEERDIST, "PeerDistDataV2", "PeerDist");

  private WsdNames() {}

  /** The prefix peerdist emits for {@code namespace}, or null for a namespace it never emits. */
  static String prefixFor(String namespace) {
    return switch (namespace) {
      case SOAP -> "soap";
      case WSA -> "wsa";
      case WSD -> "wsd";
      case PEERDIST -> "PeerDist";
      default -> null;
    };
  }
}
