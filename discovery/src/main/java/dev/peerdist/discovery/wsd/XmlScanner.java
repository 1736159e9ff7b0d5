package dev.peerdist.discovery.wsd;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.namespace.QName;

/**
 * Reads one XML document (already decoded from UTF-8) into an {@link XmlElement} tree, for
 * WS-Discovery datagrams (PROTOCOL.md §3). It replaced the JDK's StAX parser, whose per-message
 * set-up cost 50–200 µs warm and far more cold: every node parses every probe of its subnet, so
 * that cost was the largest CPU consumer of a 16-node live site (docs/PERFORMANCE.md).
 *
 * <p>It reads the XML 1.0 and Namespaces in XML subset a SOAP envelope uses: the XML declaration
 * and other processing instructions (skipped), comments (skipped), elements, attributes in single
 * or double quotes, namespace declarations, character data, CDATA sections, the five predefined
 * entities and character references. It refuses everything else: a DOCTYPE (so no entity
 * definitions, no external resources), any other entity, an undeclared prefix, a duplicate
 * attribute, mismatched tags, text or a second element outside the root, characters XML does not
 * allow. Bounds ({@link WsdLimits}): depth and element count; the caller bounds the size. Errors
 * are {@link WsdDecodeException}s whose message starts with "not well-formed XML" (or names the
 * bound or the DTD). One instance reads one document, on one thread.
 */
final class XmlScanner {
  private static final String ERROR = "not well-formed XML: ";

  /**
   * Names, namespaces and fixed texts of the PCCRD messages (PROTOCOL.md §3), by length: {@link
   * #cut} returns these shared instances instead of cutting a new String out of the input for
   * each, so a usual message allocates few Strings and later comparisons with the same constants
   * find them identical at once.
   */
  private static final String[][] KNOWN_BY_LENGTH = byLength(
      "soap", "wsa", "wsd", "PeerDist", "xmlns", "Envelope", "Header", "Body", "To", "Action", "MessageID",
      "RelatesTo", "AppSequence", "InstanceId", "MessageNumber", "Probe", "ProbeMatches", "ProbeMatch", "Types",
      "Scopes", "MatchBy", "XAddrs", "EndpointReference", "Address", "MetadataVersion", "PeerDistData",
      "BlockCount", "SegmentAges", "PeerDist:PeerDistData", "PeerDist:PeerDistDataV2", "1", "2",
      WsdNames.SOAP, WsdNames.WSA, WsdNames.WSD, WsdNames.PEERDIST, WsdNames.TO_DISCOVERY, WsdNames.TO_ANONYMOUS,
      WsdNames.ACTION_PROBE, WsdNames.ACTION_PROBE_MATCHES, WsdNames.MATCH_BY_STRCMP0,
      WsdNames.MATCH_BY_PEERDIST_V2);

  private static String[][] byLength(String... known) {
    int max = 0;
    for (String k : known) {
      max = Math.max(max, k.length());
    }
    String[][] table = new String[max + 1][0];
    for (String k : known) {
      String[] row = Arrays.copyOf(table[k.length()], table[k.length()].length + 1);
      row[row.length - 1] = k;
      table[k.length()] = row;
    }
    return table;
  }

  /** The document's characters in {@code in[0, end)}; the array may be longer. */
  private final char[] in;
  private final int end;
  private final WsdLimits limits;
  /** Whether the caller already checked that every character is one XML allows. */
  private final boolean charsChecked;
  private int pos;
  private int elements;
  /** Where the raw names of the open elements start and end in {@link #in}, innermost last. */
  private int[] openNames = new int[32];
  private int open;
  /** The index of the first colon of the name {@link #nameEnd} read last, or -1. */
  private int colon;
  /** Text being assembled when it is not one plain run (references, CR, CDATA). */
  private StringBuilder scratch;

  XmlScanner(String xml, WsdLimits limits) {
    this(xml.toCharArray(), xml.length(), limits, false);
  }

  /**
   * Reads {@code chars[0, end)}, which it does not change (nor does anyone else meanwhile).
   *
   * @param charsChecked whether every character is known to be one XML 1.0 §2.2 allows (for
   *     example all are ASCII tab, LF, CR or U+0020..U+007F); the scanner skips that check
   */
  XmlScanner(char[] chars, int end, WsdLimits limits, boolean charsChecked) {
    this.in = chars;
    this.end = end;
    this.limits = limits;
    this.charsChecked = charsChecked;
  }

  /** The document's root element; throws unless the whole input is exactly one well-formed document. */
  XmlElement document() {
    if (end == 0) {
      throw error("empty document");
    }
    // Every character, in markup, comments and instructions too, must be one XML allows (§2.2).
    for (int i = charsChecked ? end : 0; i < end; i++) {
      char c = in[i];
      if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(in[i + 1])) {
        i++;
      } else if (!allowed(c) || Character.isSurrogate(c)) {
        throw error(String.format("character U+%04X not allowed in XML", (int) c));
      }
    }
    XmlElement root = null;
    while (true) {
      skipWhitespace();
      if (pos >= end) {
        break;
      }
      if (in[pos] != '<') {
        throw error(root == null ? "content before the root element" : "content after the root element");
      }
      if (pos == 0 && startsWith("<?xml", 0) && end > 5 && isWhitespace(in[5])) {
        xmlDeclaration();
      } else if (startsWith("<?", pos)) {
        processingInstruction();
      } else if (startsWith("<!--", pos)) {
        comment();
      } else if (startsWith("<!DOCTYPE", pos)) {
        throw new WsdDecodeException("DTD not allowed");
      } else if (startsWith("<!", pos) || startsWith("</", pos)) {
        throw error(root == null ? "markup before the root element" : "markup after the root element");
      } else if (root != null) {
        throw error("a second root element");
      } else {
        root = element();
      }
    }
    if (root == null) {
      throw error("no root element");
    }
    return root;
  }

  /** An element from its '<' to the end of its end tag; iterative, so depth costs no stack. */
  private XmlElement element() {
    XmlElement root = null;
    XmlElement current = null;
    do {
      if (pos >= end) {
        throw error("unexpected end inside <" + openName(open - 1) + ">");
      }
      char c = in[pos];
      // What follows '<' decides (the markup kinds differ in their second character).
      char next = c == '<' && pos + 1 < end ? in[pos + 1] : 0;
      if (c != '<') {
        text(current);
      } else if (next == '/') {
        pos += 2;
        int start = pos;
        int stop = nameEnd();
        skipWhitespace();
        expect('>');
        int openStart = openNames[2 * (open - 1)];
        int openLength = openNames[2 * (open - 1) + 1] - openStart;
        if (stop - start != openLength || !sameRegion(start, openStart, openLength)) {
          throw error("end tag </" + clip(str(start, stop)) + "> does not match <" + clip(openName(open - 1))
              + ">");
        }
        open--;
        current = current.parent;
      } else if (next == '!' && startsWith("<!--", pos)) {
        comment();
      } else if (next == '!' && startsWith("<![CDATA[", pos)) {
        int close = indexOf("]]>", pos + 9);
        if (close < 0) {
          throw error("unterminated CDATA section");
        }
        StringBuilder sb = scratch();
        appendChars(sb, pos + 9, close);
        current.appendText(sb);
        pos = close + 3;
      } else if (next == '?') {
        processingInstruction();
      } else if (next == '!') {
        throw startsWith("<!DOCTYPE", pos) ? new WsdDecodeException("DTD not allowed")
            : error("markup declaration inside an element");
      } else {
        if (open + 1 > limits.maxDepth()) {
          throw new WsdDecodeException("element depth exceeds the limit of " + limits.maxDepth());
        }
        if (++elements > limits.maxElements()) {
          throw new WsdDecodeException("element count exceeds the limit of " + limits.maxElements());
        }
        XmlElement e = startTag(current);
        if (current == null) {
          root = e;
        } else {
          current.addChild(e);
        }
        if (emptyTag) {
          open--;
        } else {
          current = e;
        }
      }
    } while (open > 0);
    return root;
  }

  /** The raw name of the open element at {@code depth} (0 = root), for messages. */
  private String openName(int depth) {
    return str(openNames[2 * depth], openNames[2 * depth + 1]);
  }

  /** {@code in[from, to)} as a String: a shared one of the known strings when it is one. */
  private String cut(int from, int to) {
    int n = to - from;
    if (n > 0 && n < KNOWN_BY_LENGTH.length) {
      char first = in[from];
      char last = in[to - 1];
      for (String k : KNOWN_BY_LENGTH[n]) {
        if (k.charAt(0) == first && k.charAt(n - 1) == last && matches(from, k)) {
          return k;
        }
      }
    }
    return str(from, to);
  }

  /** {@code in[from, to)} as a new String. */
  private String str(int from, int to) {
    return new String(in, from, to - from);
  }

  /** Whether {@code s} occurs at {@code at} (as {@link String#startsWith(String, int)}). */
  private boolean startsWith(String s, int at) {
    return startsWith(in, end, s, at);
  }

  private static boolean startsWith(char[] in, int end, String s, int at) {
    int n = s.length();
    if (at < 0 || at > end - n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (in[at + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code in[from, from + k.length())} is {@code k}. */
  private boolean matches(int from, String k) {
    return startsWith(in, end, k, from);
  }

  /** Whether the {@code n} characters at {@code a} and at {@code b} are the same. */
  private boolean sameRegion(int a, int b, int n) {
    for (int i = 0; i < n; i++) {
      if (in[a + i] != in[b + i]) {
        return false;
      }
    }
    return true;
  }

  /** The first index at or after {@code from} where {@code c} is, or -1. */
  private int indexOf(char c, int from) {
    for (int i = Math.max(from, 0); i < end; i++) {
      if (in[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /** The first index at or after {@code from} where {@code s} occurs, or -1. */
  private int indexOf(String s, int from) {
    return indexOf(in, end, s, from);
  }

  /** The first index at or after {@code from} of {@code s} in {@code in[0, end)}, or -1. */
  private static int indexOf(char[] in, int end, String s, int from) {
    char first = s.charAt(0);
    for (int i = Math.max(from, 0); i <= end - s.length(); i++) {
      if (in[i] == first && startsWith(in, end, s, i)) {
        return i;
      }
    }
    return -1;
  }

  /** Whether {@code in[0, end)} contains {@code <!DOCTYPE} anywhere (looking for its rare '!' first). */
  static boolean containsDoctype(char[] in, int end) {
    for (int i = 1; i < end; i++) {
      if (in[i] == '!' && in[i - 1] == '<' && startsWith(in, end, "<!DOCTYPE", i - 1)) {
        return true;
      }
    }
    return false;
  }

  /** The scratch builder, emptied. */
  private StringBuilder scratch() {
    if (scratch == null) {
      scratch = new StringBuilder(64);
    }
    scratch.setLength(0);
    return scratch;
  }

  /** Whether the tag {@link #startTag} read last was an empty-element tag ({@code <a/>}). */
  private boolean emptyTag;

  /** Reads a start tag at '<' into an element (child of {@code parent}) and pushes its raw name. */
  private XmlElement startTag(XmlElement parent) {
    pos++;
    int nameStart = pos;
    int nameStop = nameEnd();
    int nameColon = colon;
    Map<String, String> raw = null; // attributes in document order; most tags have none
    Map<String, String> declared = null;
    while (true) {
      boolean spaced = skipWhitespace();
      if (pos >= end) {
        throw error("unexpected end in the start tag <" + clip(str(nameStart, nameStop)) + ">");
      }
      char c = in[pos];
      if (c == '>') {
        pos++;
        emptyTag = false;
        break;
      }
      if (c == '/') {
        pos++;
        expect('>');
        emptyTag = true;
        break;
      }
      if (!spaced) {
        throw error("attributes of <" + clip(str(nameStart, nameStop)) + "> must be separated by white space");
      }
      int attrStart = pos;
      String attr = name();
      skipWhitespace();
      expect('=');
      skipWhitespace();
      String value = attributeValue();
      if (attr.equals("xmlns") || attr.startsWith("xmlns:")) {
        String prefix = attr.equals("xmlns") ? "" : cut(attrStart + 6, attrStart + attr.length());
        if (declared == null) {
          declared = new HashMap<>(8);
        }
        if (declared.put(prefix, value) != null) {
          throw error("namespace prefix '" + clip(prefix) + "' declared twice on <"
              + clip(str(nameStart, nameStop)) + ">");
        }
        checkDeclaration(prefix, value);
      } else {
        if (raw == null) {
          raw = new LinkedHashMap<>(8);
        }
        if (raw.put(attr, value) != null) {
          throw error("attribute " + clip(attr) + " repeated on <" + clip(str(nameStart, nameStop)) + ">");
        }
      }
    }
    XmlElement e = new XmlElement(resolveElement(declared, parent, nameStart, nameStop, nameColon), parent);
    if (declared != null) {
      e.declaredNamespaces = declared;
    }
    if (raw != null) {
      for (Map.Entry<String, String> a : raw.entrySet()) {
        QName q = resolve(declared, parent, a.getKey(), false);
        if (e.putAttribute(q, a.getValue()) != null) {
          throw error("attribute " + clip(a.getKey()) + " repeated on <" + clip(str(nameStart, nameStop))
              + "> under another prefix");
        }
      }
    }
    if (2 * open + 2 > openNames.length) {
      openNames = Arrays.copyOf(openNames, 2 * openNames.length);
    }
    openNames[2 * open] = nameStart;
    openNames[2 * open + 1] = nameStop;
    open++;
    return e;
  }

  /**
   * The name of an element whose raw name is {@code in[start, stop)} (first colon at {@code
   * colonAt}, or -1), resolved as {@link #resolve} does, without cutting the raw name out.
   */
  private QName resolveElement(Map<String, String> declared, XmlElement parent, int start, int stop, int colonAt) {
    if (colonAt < 0) {
      if (!isNcName(start, stop)) {
        throw error("name " + clip(str(start, stop)) + " is not a qualified name");
      }
      return new QName(XmlElement.namespaceFor(declared, parent, ""), cut(start, stop));
    }
    if (!isNcName(start, colonAt) || !isNcName(colonAt + 1, stop)) {
      throw error("name " + clip(str(start, stop)) + " is not a qualified name");
    }
    String prefix = cut(start, colonAt);
    String ns = XmlElement.namespaceFor(declared, parent, prefix);
    if (ns == null) {
      throw error("prefix '" + clip(prefix) + "' of " + clip(str(start, stop)) + " is not declared");
    }
    return new QName(ns, cut(colonAt + 1, stop), prefix);
  }

  /** Whether {@code in[from, to)} is a name without a colon, given that it is part of a Name. */
  private boolean isNcName(int from, int to) {
    if (from >= to || !isNameChar(in[from], true)) {
      return false;
    }
    int c = indexOf(':', from);
    return c < 0 || c >= to;
  }

  /** Namespaces in XML 1.0 §3: what a declaration may not bind. */
  private void checkDeclaration(String prefix, String uri) {
    if (!prefix.isEmpty() && !isNcName(prefix)) {
      throw error("namespace prefix '" + clip(prefix) + "' is not a name without a colon");
    }
    if (prefix.equals("xmlns")) {
      throw error("the prefix xmlns must not be declared");
    }
    if (prefix.equals("xml") != uri.equals(XMLConstants.XML_NS_URI)) {
      throw error("the prefix xml and its namespace belong only to each other");
    }
    if (uri.equals(XMLConstants.XMLNS_ATTRIBUTE_NS_URI)) {
      throw error("the xmlns namespace must not be declared");
    }
    if (!prefix.isEmpty() && uri.isEmpty()) {
      throw error("prefix '" + clip(prefix) + "' bound to an empty namespace");
    }
  }

  /**
   * {@code rawName} resolved with the tag's own declarations, then its ancestors'; unprefixed
   * attributes are in no namespace.
   */
  private QName resolve(Map<String, String> declared, XmlElement parent, String rawName, boolean element) {
    int colon = rawName.indexOf(':');
    if (colon < 0) {
      if (!isNcName(rawName)) {
        throw error("name " + clip(rawName) + " is not a qualified name");
      }
      return new QName(element ? XmlElement.namespaceFor(declared, parent, "") : "", rawName);
    }
    String prefix = rawName.substring(0, colon);
    String local = rawName.substring(colon + 1);
    if (!isNcName(prefix) || !isNcName(local)) {
      throw error("name " + clip(rawName) + " is not a qualified name");
    }
    String ns = XmlElement.namespaceFor(declared, parent, prefix);
    if (ns == null) {
      throw error("prefix '" + clip(prefix) + "' of " + clip(rawName) + " is not declared");
    }
    return new QName(ns, local, prefix);
  }

  /** A name without a colon (Namespaces in XML 1.0 §3), given that it is a Name. */
  private static boolean isNcName(String s) {
    return !s.isEmpty() && s.indexOf(':') < 0 && isNameChar(s.charAt(0), true);
  }

  /** Character data up to the next '<', with references replaced. */
  private void text(XmlElement current) {
    // The usual case: one run of plain characters up to '<'; every character was checked by
    // document().
    int run = pos;
    char c = 0;
    while (run < end && (c = in[run]) != '<' && c != '&' && c != '\r' && c != ']') {
      run++;
    }
    if (run >= end || c == '<') {
      current.appendText(cut(pos, run));
      pos = run;
      return;
    }
    StringBuilder sb = scratch();
    while (pos < end) {
      run = pos;
      while (run < end && (c = in[run]) != '<' && c != '&' && c != '\r' && c != ']') {
        run++;
      }
      sb.append(in, pos, run - pos);
      pos = run;
      if (pos >= end || c == '<') {
        break;
      }
      if (c == '&') {
        reference(sb);
      } else if (c == ']' && startsWith("]]>", pos)) {
        throw error("']]>' in character data");
      } else {
        pos = appendChar(sb, pos);
      }
    }
    current.appendText(sb);
  }

  /** A quoted attribute value with references replaced and white space normalised (XML 1.0 §3.3.3). */
  private String attributeValue() {
    if (pos >= end || (in[pos] != '"' && in[pos] != '\'')) {
      throw error("attribute value not quoted");
    }
    char quote = in[pos++];
    // The usual case: no reference and no white space to normalise.
    int run = pos;
    char r = 0;
    while (run < end && (r = in[run]) != quote && r != '<' && r != '&' && r != '\t' && r != '\n'
        && r != '\r') {
      run++;
    }
    if (run < end && r == quote) {
      String value = cut(pos, run);
      pos = run + 1;
      return value;
    }
    StringBuilder sb = scratch();
    while (true) {
      if (pos >= end) {
        throw error("unterminated attribute value");
      }
      char c = in[pos];
      if (c == quote) {
        pos++;
        return sb.toString();
      }
      if (c == '<') {
        throw error("'<' in an attribute value");
      }
      if (c == '&') {
        reference(sb);
      } else if (c == '\t' || c == '\n' || c == '\r') {
        // A CR LF pair is one line end, hence one space.
        pos += c == '\r' && pos + 1 < end && in[pos + 1] == '\n' ? 2 : 1;
        sb.append(' ');
      } else {
        pos = appendChar(sb, pos);
      }
    }
  }

  /** A reference at '&': one of the five predefined entities or a character reference. */
  private void reference(StringBuilder sb) {
    int semi = indexOf(';', pos);
    if (semi < 0 || semi - pos > 12) {
      throw error("unterminated reference");
    }
    String body = str(pos + 1, semi);
    switch (body) {
      case "lt" -> sb.append('<');
      case "gt" -> sb.append('>');
      case "amp" -> sb.append('&');
      case "apos" -> sb.append('\'');
      case "quot" -> sb.append('"');
      default -> {
        if (!body.startsWith("#")) {
          throw error("undeclared entity &" + clip(body) + ";");
        }
        int cp = codePoint(body);
        if (!allowed(cp)) {
          throw error("character reference &" + clip(body) + "; to a character XML does not allow");
        }
        sb.appendCodePoint(cp);
      }
    }
    pos = semi + 1;
  }

  private int codePoint(String body) {
    boolean hex = body.startsWith("#x");
    String digits = body.substring(hex ? 2 : 1);
    if (digits.isEmpty()) {
      throw error("empty character reference");
    }
    int v = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = Character.digit(digits.charAt(i), hex ? 16 : 10);
      if (d < 0 || digits.charAt(i) > 'f') {
        throw error("bad character reference &" + clip(body) + ";");
      }
      v = v * (hex ? 16 : 10) + d;
      if (v > Character.MAX_CODE_POINT) {
        throw error("character reference &" + clip(body) + "; beyond Unicode");
      }
    }
    return v;
  }

  /**
   * Appends the character at {@code i}, line ends normalised; returns the next index. Every
   * character was checked by {@link #document()} (a surrogate pair is appended half by half).
   */
  private int appendChar(StringBuilder sb, int i) {
    char c = in[i];
    if (c == '\r') {
      sb.append('\n'); // XML 1.0 §2.11: CR LF and lone CR read as LF
      return i + 1 < end && in[i + 1] == '\n' ? i + 2 : i + 1;
    }
    sb.append(c);
    return i + 1;
  }

  /** Appends CDATA content with its line ends normalised. */
  private void appendChars(StringBuilder sb, int from, int to) {
    for (int i = from; i < to; ) {
      i = appendChar(sb, i);
    }
  }

  /** XML 1.0 §2.2 Char. */
  private static boolean allowed(int c) {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)
        || (c >= 0x10000 && c <= 0x10FFFF);
  }

  /** A Name (XML 1.0 §2.3, restricted to the characters that can start or continue one). */
  private String name() {
    int start = pos;
    return cut(start, nameEnd());
  }

  /**
   * Reads a Name at {@code pos} like {@link #name()} and returns where it ends (now {@code pos});
   * {@link #colon} is set to its first colon, or -1.
   */
  private int nameEnd() {
    int start = pos;
    colon = -1;
    while (pos < end) {
      char c = in[pos];
      if (!isNameChar(c, pos == start)) {
        break;
      }
      if (c == ':' && colon < 0) {
        colon = pos;
      }
      pos++;
    }
    if (pos == start) {
      throw error(pos >= end ? "unexpected end where a name belongs" : "a name cannot start with '"
          + in[pos] + "'");
    }
    return pos;
  }

  private static boolean isNameChar(char c, boolean first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':') {
      return true;
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '.') {
      return !first;
    }
    if (c < 0x80) {
      return false;
    }
    // NameStartChar ranges of XML 1.0 5th edition (surrogates let supplementary letters through).
    return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF)
        || (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D)
        || (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF)
        || (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) || Character.isSurrogate(c)
        || (!first && (c == 0xB7 || (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040)));
  }

  /**
   * The XML declaration at the very start (XML 1.0 §2.8): version, then optional encoding and
   * standalone, each spelled exactly so. The encoding it names is not used: the datagram was
   * decoded as UTF-8 (WS-Discovery's only encoding) before.
   */
  private void xmlDeclaration() {
    pos = 5;
    pseudoAttribute("version", true);
    String version = lastPseudo;
    if (!isVersion(version)) {
      throw error("XML version " + clip(version) + " unknown");
    }
    pseudoAttribute("encoding", false); // any value: unused, as StAX does with characters it is given
    if (pseudoAttribute("standalone", false) && !lastPseudo.equals("yes") && !lastPseudo.equals("no")) {
      throw error("standalone must be yes or no");
    }
    skipWhitespace();
    if (!startsWith("?>", pos)) {
      throw error("malformed XML declaration");
    }
    pos += 2;
  }

  /** Whether {@code v} matches {@code 1\.[0-9]+} (XML 1.0 §2.8 VersionNum). */
  private static boolean isVersion(String v) {
    if (v.length() < 3 || v.charAt(0) != '1' || v.charAt(1) != '.') {
      return false;
    }
    for (int i = 2; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** The value {@link #pseudoAttribute} read last. */
  private String lastPseudo;

  /** Reads {@code S name Eq quoted-value} when it comes next; false (nothing read) when it does not. */
  private boolean pseudoAttribute(String name, boolean required) {
    int start = pos;
    if (!skipWhitespace() || !startsWith(name, pos)) {
      if (required) {
        throw error("XML declaration without " + name);
      }
      pos = start;
      return false;
    }
    pos += name.length();
    skipWhitespace();
    expect('=');
    skipWhitespace();
    if (pos >= end || (in[pos] != '"' && in[pos] != '\'')) {
      throw error("XML declaration's " + name + " not quoted");
    }
    char quote = in[pos];
    int close = indexOf(quote, pos + 1);
    if (close < 0) {
      throw error("unterminated XML declaration");
    }
    lastPseudo = str(pos + 1, close);
    pos = close + 1;
    return true;
  }

  /** Skips a processing instruction at "<?"; its target may not be "xml" in any case (§2.6). */
  private void processingInstruction() {
    int close = indexOf("?>", pos + 2);
    if (close < 0) {
      throw error("unterminated processing instruction");
    }
    pos += 2;
    if (name().equalsIgnoreCase("xml")) {
      throw error("XML declaration not at the start");
    }
    if (pos < close && !isWhitespace(in[pos])) {
      throw error("processing instruction target not followed by white space");
    }
    pos = close + 2;
  }

  /** Skips a comment at "<!--"; "--" may not occur inside it (XML 1.0 §2.5). */
  private void comment() {
    int close = indexOf("--", pos + 4);
    if (close < 0 || !startsWith("-->", close)) {
      throw error(close < 0 ? "unterminated comment" : "'--' inside a comment");
    }
    pos = close + 3;
  }

  /** Skips XML white space; true when there was some. */
  private boolean skipWhitespace() {
    int start = pos;
    while (pos < end && isWhitespace(in[pos])) {
      pos++;
    }
    return pos > start;
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  private void expect(char c) {
    if (pos >= end || in[pos] != c) {
      throw error("expected '" + c + "'" + (pos >= end ? " at the end" : " at offset " + pos));
    }
    pos++;
  }

  private static String clip(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  private WsdDecodeException error(String what) {
    return new WsdDecodeException(ERROR + what);
  }
}
