package dev.peerdist.discovery.wsd;

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

  // The constant parts of the compact form, as UTF-8 (all ASCII), written by one copy each.
  private static final byte[] PROBE_HEAD = Utf8Writer.ascii(XML_DECL + ENVELOPE_OPEN + "<soap:Header><wsa:To>"
      + WsdNames.TO_DISCOVERY + "</wsa:To><wsa:Action>" + WsdNames.ACTION_PROBE + "</wsa:Action><wsa:MessageID>");
  private static final byte[] PROBE_AFTER_ID = Utf8Writer.ascii("</wsa:MessageID></soap:Header><soap:Body><wsd:Probe>");
  private static final byte[] PROBE_TAIL = Utf8Writer.ascii("</wsd:Probe></soap:Body></soap:Envelope>");
  private static final byte[] MATCHES_HEAD = Utf8Writer.ascii(XML_DECL + ENVELOPE_OPEN + "<soap:Header><wsa:To>"
      + WsdNames.TO_ANONYMOUS + "</wsa:To><wsa:Action>" + WsdNames.ACTION_PROBE_MATCHES
      + "</wsa:Action><wsa:MessageID>");
  private static final byte[] RELATES_TO_OPEN = Utf8Writer.ascii("</wsa:MessageID><wsa:RelatesTo>");
  private static final byte[] RELATES_TO_CLOSE = Utf8Writer.ascii("</wsa:RelatesTo>");
  private static final byte[] APP_SEQUENCE_OPEN = Utf8Writer.ascii("<wsd:AppSequence InstanceId=\"");
  private static final byte[] MESSAGE_NUMBER_ATTR = Utf8Writer.ascii("\" MessageNumber=\"");
  private static final byte[] APP_SEQUENCE_CLOSE = Utf8Writer.ascii("\"/>");
  private static final byte[] MATCHES_BODY = Utf8Writer.ascii("</soap:Header><soap:Body><wsd:ProbeMatches>");
  private static final byte[] MATCH_OPEN = Utf8Writer.ascii("<wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>");
  private static final byte[] MATCH_AFTER_ADDRESS = Utf8Writer.ascii("</wsa:Address></wsa:EndpointReference>");
  private static final byte[] SCOPES_OPEN = Utf8Writer.ascii("<wsd:Scopes>");
  private static final byte[] SCOPES_OPEN_NO_GT = Utf8Writer.ascii("<wsd:Scopes");
  private static final byte[] MATCH_BY_ATTR = Utf8Writer.ascii(" MatchBy=\"");
  private static final byte[] SCOPES_CLOSE = Utf8Writer.ascii("</wsd:Scopes>");
  private static final byte[] XADDRS_OPEN = Utf8Writer.ascii("<wsd:XAddrs>");
  private static final byte[] XADDRS_CLOSE = Utf8Writer.ascii("</wsd:XAddrs>");
  private static final byte[] METADATA_VERSION_OPEN = Utf8Writer.ascii("<wsd:MetadataVersion>");
  private static final byte[] METADATA_VERSION_CLOSE = Utf8Writer.ascii("</wsd:MetadataVersion>");
  private static final byte[] PEERDIST_DATA_OPEN = Utf8Writer.ascii("<PeerDist:PeerDistData>");
  private static final byte[] PEERDIST_DATA_CLOSE = Utf8Writer.ascii("</PeerDist:PeerDistData>");
  private static final byte[] BLOCK_COUNT_OPEN = Utf8Writer.ascii("<PeerDist:BlockCount>");
  private static final byte[] BLOCK_COUNT_CLOSE = Utf8Writer.ascii("</PeerDist:BlockCount>");
  private static final byte[] SEGMENT_AGES_OPEN = Utf8Writer.ascii("<PeerDist:SegmentAges>");
  private static final byte[] SEGMENT_AGES_CLOSE = Utf8Writer.ascii("</PeerDist:SegmentAges>");
  private static final byte[] MATCH_CLOSE = Utf8Writer.ascii("</wsd:ProbeMatch>");
  private static final byte[] MATCHES_TAIL = Utf8Writer.ascii("</wsd:ProbeMatches></soap:Body></soap:Envelope>");
  private static final byte[] TYPES_OPEN = Utf8Writer.ascii("<wsd:Types>");
  private static final byte[] TYPES_OPEN_NO_GT = Utf8Writer.ascii("<wsd:Types");
  private static final byte[] TYPES_CLOSE = Utf8Writer.ascii("</wsd:Types>");
  private static final byte[] PEERDIST_PREFIX = Utf8Writer.ascii("PeerDist:");

  private static final QName MATCH_BY = new QName("MatchBy");
  private static final QName INSTANCE_ID = new QName("InstanceId");
  private static final QName MESSAGE_NUMBER = new QName("MessageNumber");

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

  /**
   * How many bytes {@code text} takes where the encoder writes it as element content or an
   * attribute value (escaped, UTF-8), so that a caller can size a message without encoding it.
   */
  public static int textBytes(String text) {
    return Utf8Writer.escapedLength(text);
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
    Utf8Writer w = new Utf8Writer(1024);
    w.raw(PROBE_HEAD).escaped(probe.messageId()).raw(PROBE_AFTER_ID);
    typesElement(w, probe.types());
    if (probe.matchBy() != null || !probe.scopes().isEmpty()) {
      w.raw(SCOPES_OPEN_NO_GT);
      if (probe.matchBy() != null) {
        w.raw(MATCH_BY_ATTR).escaped(probe.matchBy()).raw('"');
      }
      w.raw('>');
      appendList(w, probe.scopes());
      w.raw(SCOPES_CLOSE);
    }
    return w.raw(PROBE_TAIL).toBytes();
  }

  /** Encodes a ProbeMatches in the compact form of TV-4f. */
  public byte[] encode(ProbeMatches pm) {
    Utf8Writer w = new Utf8Writer(1536);
    w.raw(MATCHES_HEAD).escaped(pm.messageId()).raw(RELATES_TO_OPEN).escaped(pm.relatesTo()).raw(RELATES_TO_CLOSE);
    if (pm.appSequence() != null) {
      // The one self-closing element, as in the spec example (PROTOCOL.md §3.4).
      w.raw(APP_SEQUENCE_OPEN).decimal(pm.appSequence().instanceId()).raw(MESSAGE_NUMBER_ATTR)
          .decimal(pm.appSequence().messageNumber()).raw(APP_SEQUENCE_CLOSE);
    }
    w.raw(MATCHES_BODY);
    for (ProbeMatches.Match m : pm.matches()) {
      w.raw(MATCH_OPEN).escaped(m.endpointAddress()).raw(MATCH_AFTER_ADDRESS);
      typesElement(w, m.types());
      if (!m.scopes().isEmpty()) {
        appendList(w.raw(SCOPES_OPEN), m.scopes());
        w.raw(SCOPES_CLOSE);
      }
      if (!m.xaddrs().isEmpty()) {
        appendList(w.raw(XADDRS_OPEN), m.xaddrs());
        w.raw(XADDRS_CLOSE);
      }
      w.raw(METADATA_VERSION_OPEN).decimal(m.metadataVersion()).raw(METADATA_VERSION_CLOSE);
      if (m.blockCount() != null || m.segmentAges() != null) {
        w.raw(PEERDIST_DATA_OPEN);
        if (m.blockCount() != null) {
          w.raw(BLOCK_COUNT_OPEN).escaped(m.blockCount()).raw(BLOCK_COUNT_CLOSE);
        }
        if (m.segmentAges() != null) {
          w.raw(SEGMENT_AGES_OPEN).escaped(m.segmentAges()).raw(SEGMENT_AGES_CLOSE);
        }
        w.raw(PEERDIST_DATA_CLOSE);
      }
      w.raw(MATCH_CLOSE);
    }
    return w.raw(MATCHES_TAIL).toBytes();
  }

  private static void appendList(Utf8Writer w, List<String> items) {
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        w.raw(' ');
      }
      w.escaped(items.get(i));
    }
  }

  private static void typesElement(Utf8Writer w, List<QName> types) {
    if (types.isEmpty()) {
      return;
    }
    if (types.size() == 1 && WsdNames.PEERDIST.equals(types.get(0).getNamespaceURI())) {
      // The PCCRD case: one PeerDist type, its prefix declared on the Envelope.
      w.raw(TYPES_OPEN).raw(PEERDIST_PREFIX).escaped(types.get(0).getLocalPart()).raw(TYPES_CLOSE);
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
    w.raw(TYPES_OPEN_NO_GT);
    extra.forEach((ns, prefix) -> {
      w.raw(' ').escaped(prefix.isEmpty() ? "xmlns" : "xmlns:" + prefix).raw('=').raw('"').escaped(ns).raw('"');
    });
    w.raw('>');
    appendList(w, names);
    w.raw(TYPES_CLOSE);
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
      String mb = scopesEl.attributes.get(MATCH_BY);
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
          unsignedInt(seqEl.attributes.get(INSTANCE_ID), "AppSequence/@InstanceId"),
          unsignedInt(seqEl.attributes.get(MESSAGE_NUMBER), "AppSequence/@MessageNumber"));
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
      out.add(sharedType(ns, local));
    }
    return out;
  }

  /** The PCCRD types as the shared constants (equal to any QName of the same name), others new. */
  private static QName sharedType(String ns, String local) {
    if (ns.equals(WsdNames.PEERDIST)) {
      if (local.equals(WsdNames.TYPE_V1.getLocalPart())) {
        return WsdNames.TYPE_V1;
      }
      if (local.equals(WsdNames.TYPE_V2.getLocalPart())) {
        return WsdNames.TYPE_V2;
      }
    }
    return new QName(ns, local);
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
    if (WsdText.hasXmlSpace(t)) {
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
    if (t.isEmpty() || t.length() > 10 || !allDigits(t)) {
      throw new WsdDecodeException(shownAs + " is not an unsigned 32-bit integer: " + abbreviate(t));
    }
    long v = Long.parseLong(t);
    if (v > 0xFFFF_FFFFL) {
      throw new WsdDecodeException(shownAs + " exceeds 2^32-1: " + t);
    }
    return v;
  }

  private static boolean allDigits(String t) {
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) < '0' || t.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isNamed(XmlElement e, String ns, String local) {
    return e.name.getNamespaceURI().equals(ns) && e.name.getLocalPart().equals(local);
  }

  /** At most 80 characters of hostile text, for exception messages. */
  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
