package dev.peerdist.discovery.wsd;

import java.io.StringReader;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The JDK's StAX parser, hardened as the decoder used it before {@link XmlScanner}: the oracle the
 * scanner is compared against ({@link XmlScannerTest}). Test code only.
 */
final class StaxReference {
  private static final XMLInputFactory FACTORY = hardenedFactory();

  private StaxReference() {}

  private static XMLInputFactory hardenedFactory() {
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

  /** The tree StAX reads from {@code xml}, or a {@link WsdDecodeException}. */
  static XmlElement parse(String xml) {
    if (xml.contains("<!DOCTYPE")) {
      throw new WsdDecodeException("DTD not allowed");
    }
    XMLStreamReader r = null;
    try {
      r = FACTORY.createXMLStreamReader(new StringReader(xml));
      return build(r);
    } catch (XMLStreamException | RuntimeException e) {
      if (e instanceof WsdDecodeException w) {
        throw w;
      }
      throw new WsdDecodeException("not well-formed XML: " + e.getMessage(), e);
    } finally {
      if (r != null) {
        try {
          r.close();
        } catch (XMLStreamException ignored) {
          // in-memory reader
        }
      }
    }
  }

  private static XmlElement build(XMLStreamReader r) throws XMLStreamException {
    XmlElement root = null;
    XmlElement current = null;
    while (r.hasNext()) {
      int event = r.next();
      switch (event) {
        case XMLStreamConstants.START_ELEMENT -> {
          XmlElement e = new XmlElement(r.getName(), current);
          for (int i = 0; i < r.getNamespaceCount(); i++) {
            String p = r.getNamespacePrefix(i);
            String uri = r.getNamespaceURI(i);
            e.declareNamespace(p == null ? "" : p, uri == null ? "" : uri);
          }
          for (int i = 0; i < r.getAttributeCount(); i++) {
            e.putAttribute(r.getAttributeName(i), r.getAttributeValue(i));
          }
          if (current == null) {
            root = e;
          } else {
            current.addChild(e);
          }
          current = e;
        }
        case XMLStreamConstants.END_ELEMENT -> current = current.parent;
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
          if (current != null) {
            current.appendText(new String(r.getTextCharacters(), r.getTextStart(), r.getTextLength()));
          }
        }
        case XMLStreamConstants.DTD -> throw new WsdDecodeException("DTD not allowed");
        case XMLStreamConstants.ENTITY_REFERENCE -> throw new WsdDecodeException("entity reference not allowed");
        default -> {
          // comments, processing instructions, document events
        }
      }
    }
    if (root == null) {
      throw new WsdDecodeException("no root element");
    }
    return root;
  }
}
