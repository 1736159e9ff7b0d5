package dev.peerdist.discovery.wsd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.namespace.QName;

/**
 * Encodes and decodes the WS-Discovery 2005/04 messages PCCRD uses (PROTOCOL.md §3).
 *
 * <p><b>Encoding</b> emits one compact line exactly as TEST-VECTORS.md TV-4e/TV-4f: the XML
 * declaration {@code <?xml version="1.0" encoding="utf-8"?>}, the prefixes {@code soap}, {@code
 * wsa}, {@code wsd}, {@code PeerDist} declared on the Envelope, no white space between elements,
 * no self-closing element except {@code wsd:AppSequence} (as in the spec example), and no
 * attributes on {@code wsd:Scopes}, {@code wsd:XAddrs} or {@code PeerDist:BlockCount} inside
 * ProbeMatches, because iPXE-class receivers find those by substring search (PROTOCOL.md §3.2).
 *
 * <p><b>Decoding</b> is one-shot (a datagram is a whole message): it returns the message or
 * throws {@link WsdDecodeException} naming what is wrong; there is no "need more" outcome. It
 * accepts any namespace-correct form (other prefixes, white space, extra headers, comments) and
 * reads with a hardened parser bounded by {@link WsdLimits}. Unknown header blocks and unknown
 * elements inside a ProbeMatch are ignored, as SOAP allows.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class WsdCodec {
  private static final String XML_DECL = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  private static final String ENVELOPE_OPEN =
      "<soap:Envelope xmlns:soap=\"" + WsdNames.SOAP + "\" xmlns:wsa=\"" + WsdNames.WSA + "\" xmlns:wsd=\""
          + WsdNames.WSD + "\" xmlns:PeerDist=\"" + WsdNames.PEERDIST + "\">";

  private final WsdLimits limits;

  public WsdCodec() {
    this(WsdLimits.DEFAULT);
  }

  public WsdCodec(WsdLimits limits) {
    this.limits = limits;
  }

  public WsdLimits limits() {
    return limits;
  }

  /** Encodes any message kind. */
  public byte[] encode(WsdMessage message) {
    if (message instanceof Probe p) {
      return encode(p);
    }
    return encode((ProbeMatches) message);
  }

  /** Encodes a Probe in the compact form of TV-4e. */
  public byte[] encode(Probe probe) {
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
  public byte[] encode(ProbeMatches pm) {
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

  /**
   * Decodes one datagram's worth of bytes.
   *
   * @throws WsdDecodeException when the bytes are not a well-formed, bounded, namespace-correct
   *     Probe or ProbeMatches; the message names the offending part
   */
  public WsdMessage decode(byte[] bytes) {
    XmlElement env = XmlElement.parse(bytes, limits);
    if (!isNamed(env, WsdNames.SOAP, "Envelope")) {
      throw new WsdDecodeException("root element is " + env.name + ", not a SOAP 1.2 Envelope");
    }
    XmlElement header = env.required(WsdNames.SOAP, "Header", "soap:Header");
    XmlElement body = env.required(WsdNames.SOAP, "Body", "soap:Body");
    String action = token(header.required(WsdNames.WSA, "Action", "wsa:Action"), "wsa:Action");
    String messageId = token(header.required(WsdNames.WSA, "MessageID", "wsa:MessageID"), "wsa:MessageID");
    return switch (action) {
      case WsdNames.ACTION_PROBE -> decodeProbe(messageId, body);
      case WsdNames.ACTION_PROBE_MATCHES -> decodeProbeMatches(messageId, header, body);
      default -> throw new UnsupportedActionException(action);
    };
  }

  private Probe decodeProbe(String messageId, XmlElement body) {
    XmlElement probe = body.required(WsdNames.WSD, "Probe", "wsd:Probe");
    List<QName> types = types(probe.child(WsdNames.WSD, "Types"));
    XmlElement scopesEl = probe.child(WsdNames.WSD, "Scopes");
    String matchBy = null;
    List<String> scopes = List.of();
    if (scopesEl != null) {
      String mb = scopesEl.attributes.get(new QName("MatchBy"));
      if (mb != null) {
        matchBy = WsdText.trimXml(mb);
        checkToken("MatchBy", matchBy);
      }
      scopes = list(scopesEl, "wsd:Scopes");
    }
    return new Probe(messageId, types, matchBy, scopes);
  }

  private ProbeMatches decodeProbeMatches(String messageId, XmlElement header, XmlElement body) {
    String relatesTo = token(header.required(WsdNames.WSA, "RelatesTo", "wsa:RelatesTo"), "wsa:RelatesTo");
    AppSequence seq = null;
    XmlElement seqEl = header.child(WsdNames.WSD, "AppSequence");
    if (seqEl != null) {
      seq = new AppSequence(
          unsignedInt(seqEl.attributes.get(new QName("InstanceId")), "AppSequence/@InstanceId"),
          unsignedInt(seqEl.attributes.get(new QName("MessageNumber")), "AppSequence/@MessageNumber"));
    }
    XmlElement pms = body.required(WsdNames.WSD, "ProbeMatches", "wsd:ProbeMatches");
    List<ProbeMatches.Match> matches = new ArrayList<>();
    for (XmlElement m : pms.children) {
      if (!isNamed(m, WsdNames.WSD, "ProbeMatch")) {
        continue;
      }
      if (matches.size() == limits.maxMatches()) {
        throw new WsdDecodeException("more than " + limits.maxMatches() + " wsd:ProbeMatch elements");
      }
      matches.add(decodeMatch(m));
    }
    return new ProbeMatches(messageId, relatesTo, seq, matches);
  }

  private ProbeMatches.Match decodeMatch(XmlElement m) {
    XmlElement epr = m.required(WsdNames.WSA, "EndpointReference", "wsa:EndpointReference");
    String address = token(epr.required(WsdNames.WSA, "Address", "wsa:Address"), "wsa:Address");
    List<QName> types = types(m.child(WsdNames.WSD, "Types"));
    XmlElement scopesEl = m.child(WsdNames.WSD, "Scopes");
    List<String> scopes = scopesEl == null ? List.of() : list(scopesEl, "wsd:Scopes");
    XmlElement xaddrsEl = m.child(WsdNames.WSD, "XAddrs");
    List<String> xaddrs = xaddrsEl == null ? List.of() : list(xaddrsEl, "wsd:XAddrs");
    long metadataVersion = unsignedInt(
        m.required(WsdNames.WSD, "MetadataVersion", "wsd:MetadataVersion").trimmedText(), "wsd:MetadataVersion");
    String blockCount = null;
    String segmentAges = null;
    XmlElement data = m.child(WsdNames.PEERDIST, "PeerDistData");
    if (data != null) {
      XmlElement bc = data.child(WsdNames.PEERDIST, "BlockCount");
      if (bc != null) {
        blockCount = token(bc, "PeerDist:BlockCount");
      }
      XmlElement ages = data.child(WsdNames.PEERDIST, "SegmentAges");
      if (ages != null) {
        segmentAges = token(ages, "PeerDist:SegmentAges");
      }
    }
    return new ProbeMatches.Match(address, types, scopes, xaddrs, metadataVersion, blockCount, segmentAges);
  }

  private List<QName> types(XmlElement typesEl) {
    if (typesEl == null) {
      return List.of();
    }
    List<QName> out = new ArrayList<>();
    for (String item : list(typesEl, "wsd:Types")) {
      int colon = item.indexOf(':');
      String prefix = colon < 0 ? "" : item.substring(0, colon);
      String local = item.substring(colon + 1);
      if (local.isEmpty() || local.indexOf(':') >= 0 || (colon == 0)) {
        throw new WsdDecodeException("wsd:Types item is not a QName: " + abbreviate(item));
      }
      String ns = typesEl.namespaceFor(prefix);
      if (ns == null) {
        throw new WsdDecodeException("wsd:Types prefix '" + abbreviate(prefix) + "' is not declared");
      }
      out.add(new QName(ns, local));
    }
    return out;
  }

  private List<String> list(XmlElement el, String shownAs) {
    List<String> items = WsdText.splitList(el.trimmedText());
    if (items.size() > limits.maxListItems()) {
      throw new WsdDecodeException(shownAs + " has " + items.size() + " items, more than " + limits.maxListItems());
    }
    items.forEach(i -> checkToken(shownAs + " item", i));
    return items;
  }

  private static String token(XmlElement el, String shownAs) {
    String t = el.trimmedText();
    if (t.isEmpty()) {
      throw new WsdDecodeException(shownAs + " is empty");
    }
    if (!WsdText.splitList(t).get(0).equals(t)) {
      throw new WsdDecodeException(shownAs + " contains white space");
    }
    checkToken(shownAs, t);
    return t;
  }

  private static void checkToken(String shownAs, String value) {
    try {
      WsdText.requireToken(shownAs, value);
    } catch (IllegalArgumentException e) {
      throw new WsdDecodeException(e.getMessage(), e);
    }
  }

  private static long unsignedInt(String text, String shownAs) {
    if (text == null) {
      throw new WsdDecodeException("missing " + shownAs);
    }
    String t = WsdText.trimXml(text);
    if (t.isEmpty() || t.length() > 10 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new WsdDecodeException(shownAs + " is not an unsigned 32-bit integer: " + abbreviate(t));
    }
    long v = Long.parseLong(t);
    if (v > 0xFFFF_FFFFL) {
      throw new WsdDecodeException(shownAs + " exceeds 2^32-1: " + t);
    }
    return v;
  }

  private static boolean isNamed(XmlElement e, String ns, String local) {
    return e.name.getNamespaceURI().equals(ns) && e.name.getLocalPart().equals(local);
  }

  /** At most 80 characters of hostile text, for exception messages. */
  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
