package dev.peerdist.discovery.wsd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.namespace.QName;

/**
 * The encoder as it was before it wrote bytes directly (2026-12-04): a StringBuilder, then
 * {@code getBytes(UTF_8)}. Kept as the oracle {@code WsdEncoderOracleTest} compares {@link
 * WsdCodec#encode} with.
 */
final class StringEncoderReference {
  private static final String XML_DECL = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  private static final String ENVELOPE_OPEN =
      "<soap:Envelope xmlns:soap=\"" + WsdNames.SOAP + "\" xmlns:wsa=\"" + WsdNames.WSA + "\" xmlns:wsd=\""
          + WsdNames.WSD + "\" xmlns:PeerDist=\"" + WsdNames.PEERDIST + "\">";

  private StringEncoderReference() {}

  /** Encodes a Probe in the compact form of TV-4e. */
  static byte[] encode(Probe probe) {
    StringBuilder sb = new StringBuilder(900);
    sb.append(XML_DECL).append(ENVELOPE_OPEN).append("<soap:Header>");
    textElement(sb, "wsa:To", WsdNames.TO_DISCOVERY);
    textElement(sb, "wsa:Action", WsdNames.ACTION_PROBE);
    textElement(sb, "wsa:MessageID", probe.messageId());
    sb.append("</soap:Header><soap:Body><wsd:Probe>");
    typesElement(sb, probe.types());
    if (probe.matchBy() != null || !probe.scopes().isEmpty()) {
      sb.append("<wsd:Scopes");
      if (probe.matchBy() != null) {
        sb.append(" MatchBy=\"");
        WsdText.appendEscaped(sb, probe.matchBy());
        sb.append('"');
      }
      sb.append('>');
      appendList(sb, probe.scopes());
      sb.append("</wsd:Scopes>");
    }
    sb.append("</wsd:Probe></soap:Body></soap:Envelope>");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Encodes a ProbeMatches in the compact form of TV-4f. */
  static byte[] encode(ProbeMatches pm) {
    StringBuilder sb = new StringBuilder(1200);
    sb.append(XML_DECL).append(ENVELOPE_OPEN).append("<soap:Header>");
    textElement(sb, "wsa:To", WsdNames.TO_ANONYMOUS);
    textElement(sb, "wsa:Action", WsdNames.ACTION_PROBE_MATCHES);
    textElement(sb, "wsa:MessageID", pm.messageId());
    textElement(sb, "wsa:RelatesTo", pm.relatesTo());
    if (pm.appSequence() != null) {
      // The one self-closing element, as in the spec example (PROTOCOL.md §3.4).
      sb.append("<wsd:AppSequence InstanceId=\"")
          .append(pm.appSequence().instanceId())
          .append("\" MessageNumber=\"")
          .append(pm.appSequence().messageNumber())
          .append("\"/>");
    }
    sb.append("</soap:Header><soap:Body><wsd:ProbeMatches>");
    for (ProbeMatches.Match m : pm.matches()) {
      sb.append("<wsd:ProbeMatch><wsa:EndpointReference>");
      textElement(sb, "wsa:Address", m.endpointAddress());
      sb.append("</wsa:EndpointReference>");
      typesElement(sb, m.types());
      if (!m.scopes().isEmpty()) {
        sb.append("<wsd:Scopes>");
        appendList(sb, m.scopes());
        sb.append("</wsd:Scopes>");
      }
      if (!m.xaddrs().isEmpty()) {
        sb.append("<wsd:XAddrs>");
        appendList(sb, m.xaddrs());
        sb.append("</wsd:XAddrs>");
      }
      textElement(sb, "wsd:MetadataVersion", Long.toString(m.metadataVersion()));
      if (m.blockCount() != null || m.segmentAges() != null) {
        sb.append("<PeerDist:PeerDistData>");
        if (m.blockCount() != null) {
          textElement(sb, "PeerDist:BlockCount", m.blockCount());
        }
        if (m.segmentAges() != null) {
          textElement(sb, "PeerDist:SegmentAges", m.segmentAges());
        }
        sb.append("</PeerDist:PeerDistData>");
      }
      sb.append("</wsd:ProbeMatch>");
    }
    sb.append("</wsd:ProbeMatches></soap:Body></soap:Envelope>");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void textElement(StringBuilder sb, String qname, String text) {
    sb.append('<').append(qname).append('>');
    WsdText.appendEscaped(sb, text);
    sb.append("</").append(qname).append('>');
  }

  private static void appendList(StringBuilder sb, List<String> items) {
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(' ');
      }
      WsdText.appendEscaped(sb, items.get(i));
    }
  }

  private static void typesElement(StringBuilder sb, List<QName> types) {
    if (types.isEmpty()) {
      return;
    }
    // Namespaces the Envelope does not declare get a prefix declared on wsd:Types itself.
    Map<String, String> extra = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(types.size());
    for (QName t : types) {
      String ns = t.getNamespaceURI();
      String prefix = WsdNames.prefixFor(ns);
      if (prefix == null) {
        prefix = extra.computeIfAbsent(ns, k -> k.isEmpty() ? "" : "t" + extra.size());
      }
      names.add(prefix.isEmpty() ? t.getLocalPart() : prefix + ":" + t.getLocalPart());
    }
    sb.append("<wsd:Types");
    extra.forEach((ns, prefix) -> {
      sb.append(prefix.isEmpty() ? " xmlns=\"" : " xmlns:" + prefix + "=\"");
      WsdText.appendEscaped(sb, ns);
      sb.append('"');
    });
    sb.append('>');
    appendList(sb, names);
    sb.append("</wsd:Types>");
  }

}
