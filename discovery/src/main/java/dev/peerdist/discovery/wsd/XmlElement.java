package dev.peerdist.discovery.wsd;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.namespace.QName;

/**
 * A small immutable-after-parse element tree read by {@link XmlScanner}, a hardened XML reader
 * written for WS-Discovery datagrams: no DTD, no entity other than the five predefined ones and
 * character references, bounded size, depth and element count. Names are resolved against
 * namespaces, so any namespace-correct spelling of a message reads the same.
 */
final class XmlElement {
  final QName name;
  final XmlElement parent;
  final Map<QName, String> attributes = new HashMap<>();
  final Map<String, String> declaredNamespaces = new HashMap<>();
  final List<XmlElement> children = new ArrayList<>();
  final StringBuilder text = new StringBuilder();

  XmlElement(QName name, XmlElement parent) {
    this.name = name;
    this.parent = parent;
  }

  /** The element's character content with XML white space trimmed at both ends. */
  String trimmedText() {
    return WsdText.trimXml(text.toString());
  }

  /** The first child named {@code ns}:{@code local}, or null. */
  XmlElement child(String ns, String local) {
    for (XmlElement c : children) {
      if (c.name.getNamespaceURI().equals(ns) && c.name.getLocalPart().equals(local)) {
        return c;
      }
    }
    return null;
  }

  /** The first child named {@code ns}:{@code local}; throws naming it when absent. */
  XmlElement required(String ns, String local, String shownAs) {
    XmlElement c = child(ns, local);
    if (c == null) {
      throw new WsdDecodeException("missing " + shownAs + " in " + name.getLocalPart());
    }
    return c;
  }

  /** The namespace bound to {@code prefix} at this element ("" for the default), or null. */
  String namespaceFor(String prefix) {
    return namespaceFor(declaredNamespaces, parent, prefix);
  }

  /**
   * The namespace bound to {@code prefix} by {@code declared} (a start tag's own declarations),
   * else at {@code parent} and its ancestors ("" for the default), or null. A start tag's names
   * are resolved with this before its element exists.
   */
  static String namespaceFor(Map<String, String> declared, XmlElement parent, String prefix) {
    String ns = declared.get(prefix);
    for (XmlElement e = parent; ns == null && e != null; e = e.parent) {
      ns = e.declaredNamespaces.get(prefix);
    }
    if (ns != null) {
      return ns;
    }
    if (prefix.isEmpty()) {
      return "";
    }
    return "xml".equals(prefix) ? XMLConstants.XML_NS_URI : null;
  }

  /** Parses {@code bytes} as one UTF-8 XML document within {@code limits}. */
  static XmlElement parse(byte[] bytes, WsdLimits limits) {
    if (bytes.length > limits.maxMessageBytes()) {
      throw new WsdDecodeException(
          "message of " + bytes.length + " bytes exceeds the limit of " + limits.maxMessageBytes());
    }
    String xml;
    try {
      xml = StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new WsdDecodeException("message is not valid UTF-8", e);
    }
    if (!xml.isEmpty() && xml.charAt(0) == '\uFEFF') {
      xml = xml.substring(1);
    }
    // The scanner refuses a DOCTYPE where it meets one; this also names one hidden anywhere else.
    if (xml.contains("<!DOCTYPE")) {
      throw new WsdDecodeException("DTD not allowed");
    }
    return new XmlScanner(xml, limits).document();
  }
}
