package dev.peerdist.discovery.wsd;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
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
  /** Attributes by resolved name; a shared empty map until the first one (most elements have none). */
  Map<QName, String> attributes = Map.of();
  /** Prefix ("" for the default) to namespace, as declared on this element; empty for most. */
  Map<String, String> declaredNamespaces = Map.of();
  List<XmlElement> children = List.of();
  /** The character content when it came in one piece (the usual case), else null. */
  private String textPiece;
  /** The character content when it came in several pieces, else null. */
  private StringBuilder textPieces;

  XmlElement(QName name, XmlElement parent) {
    this.name = name;
    this.parent = parent;
  }

  void addChild(XmlElement child) {
    if (children.isEmpty()) {
      children = new ArrayList<>(4);
    }
    children.add(child);
  }

  /** Adds an attribute; returns the value it replaced, or null. */
  String putAttribute(QName q, String value) {
    if (attributes.isEmpty()) {
      attributes = new HashMap<>(4);
    }
    return attributes.put(q, value);
  }

  /** Adds a namespace declaration; returns the namespace it replaced, or null. */
  String declareNamespace(String prefix, String namespace) {
    if (declaredNamespaces.isEmpty()) {
      declaredNamespaces = new HashMap<>(8);
    }
    return declaredNamespaces.put(prefix, namespace);
  }

  /** Appends character data (already with references replaced and line ends normalised). */
  void appendText(CharSequence piece) {
    if (piece.length() == 0) {
      return;
    }
    if (textPieces != null) {
      textPieces.append(piece);
    } else if (textPiece == null) {
      textPiece = piece.toString();
    } else {
      textPieces = new StringBuilder(textPiece.length() + piece.length() + 16).append(textPiece).append(piece);
      textPiece = null;
    }
  }

  /** The element's character content, all pieces together ("" when none). */
  String text() {
    if (textPieces != null) {
      return textPieces.toString();
    }
    return textPiece == null ? "" : textPiece;
  }

  /** The element's character content with XML white space trimmed at both ends. */
  String trimmedText() {
    return WsdText.trimXml(text());
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
   * (may be null), else at {@code parent} and its ancestors ("" for the default), or null. A start tag's names
   * are resolved with this before its element exists.
   */
  static String namespaceFor(Map<String, String> declared, XmlElement parent, String prefix) {
    String ns = declared == null ? null : declared.get(prefix);
    for (XmlElement e = parent; ns == null && e != null; e = e.parent) {
      if (!e.declaredNamespaces.isEmpty()) {
        ns = e.declaredNamespaces.get(prefix);
      }
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
    // The usual datagram is plain ASCII: its bytes are its characters, read in one pass without
    // a charset decoder, and the scanner need not check them again.
    char[] chars = asciiChars(bytes);
    boolean checked = chars != null;
    int length = bytes.length;
    if (!checked) {
      CharBuffer decoded;
      try {
        decoded = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes));
      } catch (CharacterCodingException e) {
        throw new WsdDecodeException("message is not valid UTF-8", e);
      }
      length = decoded.remaining();
      int skip = length > 0 && decoded.get(decoded.position()) == '\uFEFF' ? 1 : 0; // a byte-order mark
      if (decoded.hasArray() && decoded.arrayOffset() + decoded.position() + skip == 0) {
        chars = decoded.array();
      } else {
        chars = new char[length - skip];
        decoded.position(decoded.position() + skip);
        decoded.get(chars);
      }
      length -= skip;
    }
    // The scanner refuses a DOCTYPE where it meets one; this also names one hidden anywhere else.
    if (XmlScanner.containsDoctype(chars, length)) {
      throw new WsdDecodeException("DTD not allowed");
    }
    return new XmlScanner(chars, length, limits, checked).document();
  }

  /**
   * The characters of {@code bytes} when every byte is an ASCII character XML allows (tab, LF,
   * CR, U+0020..U+007F), else null. Such bytes are valid UTF-8 without a byte-order mark, each
   * byte one character, and every character passes XML 1.0 §2.2.
   */
  static char[] asciiChars(byte[] bytes) {
    char[] chars = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      // Bytes 0x80..0xFF are negative here, so they fail the first test too.
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') {
        return null;
      }
      chars[i] = (char) b;
    }
    return chars;
  }
}
