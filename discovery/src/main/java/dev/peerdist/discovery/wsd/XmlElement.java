package dev.peerdist.discovery.wsd;

import java.io.StringReader;
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
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A small immutable-after-parse element tree read by a hardened StAX parser: no DTD, no entity
 * other than the five predefined ones, bounded size, depth and element count. Names are resolved
 * against namespaces, so any namespace-correct spelling of a message reads the same.
 */
final class XmlElement {
  private static final XMLInputFactory FACTORY = hardenedFactory();

  final QName name;
  final XmlElement parent;
  final Map<QName, String> attributes = new HashMap<>();
  final Map<String, String> declaredNamespaces = new HashMap<>();
  final List<XmlElement> children = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();

  private XmlElement(QName name, XmlElement parent) {
    this.name = name;
    this.parent = parent;
  }

  private static XMLInputFactory hardenedFactory() {
    // The JDK's own implementation, whatever else is on the classpath, with every feature that
    // could reach outside the datagram switched off.
    XMLInputFactory f = XMLInputFactory.newDefaultFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, Boolean.FALSE);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, Boolean.FALSE);
    f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, Boolean.TRUE);
    f.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
    f.setProperty(XMLInputFactory.IS_VALIDATING, Boolean.FALSE);
    f.setXMLResolver((publicId, systemId, base, ns) -> {
      throw new XMLStreamException("external resource " + systemId + " refused");
    });
    return f;
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
    for (XmlElement e = this; e != null; e = e.parent) {
      String ns = e.declaredNamespaces.get(prefix);
      if (ns != null) {
        return ns;
      }
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
    // Belt and braces: the factory ignores DTDs, but a message that carries one is hostile.
    if (xml.contains("<!DOCTYPE")) {
      throw new WsdDecodeException("DTD not allowed");
    }
    XMLStreamReader r = null;
    try {
      r = FACTORY.createXMLStreamReader(new StringReader(xml));
      return build(r, limits);
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof WsdDecodeException w) {
        throw w;
      }
      throw new WsdDecodeException("not well-formed XML: " + oneLine(e.getMessage()), e);
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException ignored) {
          // Nothing was opened besides the in-memory reader.
        }
      }
    }
  }

  private static XmlElement build(XMLStreamReader r, WsdLimits limits) throws XMLStreamException {
    XmlElement root = null;
    XmlElement current = null;
    int depth = 0;
    int elements = 0;
    while (r.hasNext()) {
      int event = r.next();
      switch (event) {
        case XMLStreamConstants.START_ELEMENT -> {
          depth++;
          elements++;
          if (depth > limits.maxDepth()) {
            throw new WsdDecodeException("element depth exceeds the limit of " + limits.maxDepth());
          }
          if (elements > limits.maxElements()) {
            throw new WsdDecodeException("element count exceeds the limit of " + limits.maxElements());
          }
          XmlElement e = new XmlElement(r.getName(), current);
          for (int i = 0; i < r.getNamespaceCount(); i++) {
            String p = r.getNamespacePrefix(i);
            String uri = r.getNamespaceURI(i);
            e.declaredNamespaces.put(p == null ? "" : p, uri == null ? "" : uri);
          }
          for (int i = 0; i < r.getAttributeCount(); i++) {
            e.attributes.put(r.getAttributeName(i), r.getAttributeValue(i));
          }
          if (current == null) {
            root = e;
          } else {
            current.children.add(e);
          }
          current = e;
        }
        case XMLStreamConstants.END_ELEMENT -> {
          depth--;
          current = current.parent;
        }
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
          if (current != null) {
            current.text.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
          }
        }
        case XMLStreamConstants.DTD -> throw new WsdDecodeException("DTD not allowed");
        case XMLStreamConstants.ENTITY_REFERENCE -> throw new WsdDecodeException("entity reference not allowed");
        default -> {
          // Comments, processing instructions and document events carry nothing we read.
        }
      }
    }
    if (root == null) {
      throw new WsdDecodeException("no root element");
    }
    return root;
  }

  private static String oneLine(String message) {
    if (message == null) {
      return "parser error";
    }
    String m = message.strip().replaceAll("\\s+", " ");
    return m.length() > 200 ? m.substring(0, 200) : m;
  }
}
