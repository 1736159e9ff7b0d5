package dev.peerdist.discovery.wsd;

import java.util.List;
import javax.xml.namespace.QName;

/**
 * A WS-Discovery ProbeMatches reply (PROTOCOL.md §3.4, §3.5).
 *
 * @param messageId {@code wsa:MessageID}
 * @param relatesTo {@code wsa:RelatesTo}: the Probe's MessageID
 * @param appSequence {@code wsd:AppSequence}; null only when decoded from a peer that omitted it
 * @param matches the {@code wsd:ProbeMatch} elements in order
 */
public record ProbeMatches(String messageId, String relatesTo, AppSequence appSequence, List<Match> matches)
    implements WsdMessage {
  public ProbeMatches {
    WsdText.requireToken("wsa:MessageID", messageId);
    WsdText.requireToken("wsa:RelatesTo", relatesTo);
    matches = List.copyOf(matches);
  }

  /**
   * One {@code wsd:ProbeMatch}.
   *
   * @param endpointAddress {@code wsa:EndpointReference/wsa:Address}
   * @param types {@code wsd:Types}
   * @param scopes the items of {@code wsd:Scopes}
   * @param xaddrs the items of {@code wsd:XAddrs}: {@code host:port} without scheme in PCCRD
   * @param metadataVersion {@code wsd:MetadataVersion}
   * @param blockCount text of {@code PeerDist:PeerDistData/PeerDist:BlockCount}, or null
   * @param segmentAges text of {@code PeerDist:PeerDistData/PeerDist:SegmentAges}, or null
   */
  public record Match(
      String endpointAddress,
      List<QName> types,
      List<String> scopes,
      List<String> xaddrs,
      long metadataVersion,
      String blockCount,
      String segmentAges) {
    public Match {
      WsdText.requireToken("wsa:Address", endpointAddress);
      types = List.copyOf(types);
      scopes = List.copyOf(scopes);
      xaddrs = List.copyOf(xaddrs);
      scopes.forEach(s -> WsdText.requireToken("wsd:Scopes item", s));
      xaddrs.forEach(s -> WsdText.requireToken("wsd:XAddrs item", s));
      if (metadataVersion < 0 || metadataVersion > 0xFFFF_FFFFL) {
        throw new IllegalArgumentException("wsd:MetadataVersion out of range: " + metadataVersion);
      }
      if (blockCount != null) {
        WsdText.requireToken("PeerDist:BlockCount", blockCount);
      }
      if (segmentAges != null) {
        WsdText.requireToken("PeerDist:SegmentAges", segmentAges);
      }
    }
  }
}
