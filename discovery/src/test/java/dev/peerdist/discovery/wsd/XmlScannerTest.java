package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.namespace.QName;
import org.junit.jupiter.api.Test;

/**
 * {@link XmlScanner} against the JDK's StAX parser ({@link StaxReference}, what the decoder used
 * before): on the WS-Discovery test vectors, on hand-written edge cases and on thousands of
 * mutations of the vectors, both read the same tree or both refuse.
 */
class XmlScannerTest {
  private static final List<String> VECTORS = List.of("IPXE-TV-4e-probe-v1.xml",
      "PCCRD-4.1-TV-4a-probe-v1.dedented.xml", "PCCRD-4.1-TV-4a-probe-v1.verbatim.xml",
      "PCCRD-4.2-TV-4c-probe-v2-body.verbatim.xml", "PCCRD-4.2-TV-4c-probe-v2.wrapped.xml",
      "PCCRD-4.3-TV-4b-probematch-v1.reconstructed.xml", "PCCRD-4.3-TV-4b-probematch-v1.verbatim.xml",
      "PCCRD-4.4-TV-4d-probematch-v2-body.verbatim.xml", "PCCRD-4.4-TV-4d-probematch-v2.wrapped.xml",
      "SELF-TV-4f-probematch-v1.xml");

  private static final WsdLimits LIMITS = WsdLimits.DEFAULT;

  @Test
  void everyVectorReadsAsStaxReadsIt() throws IOException {
    int read = 0;
    for (String v : VECTORS) {
      String xml = text(v);
      String expected = outcome(() -> StaxReference.parse(xml));
      assertEquals(expected, outcome(() -> scan(xml)), v);
      read += expected.equals("refused") ? 0 : 1;
    }
    assertTrue(read >= 6, "most vectors are well-formed: " + read);
  }

  /** The tree's dump, or "refused". */
  private static String outcome(java.util.function.Supplier<XmlElement> parse) {
    try {
      return dump(parse.get());
    } catch (WsdDecodeException e) {
      return "refused";
    }
  }

  @Test
  void edgeCasesReadAsStaxReadsThem() {
    List<String> accepted = List.of(
        "<a/>",
        "<?xml version='1.0'?><a/>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<a>x</a>\n<!-- after -->\n",
        "<a b='1' c=\"2\">t&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;</a>",
        "<p:a xmlns:p='urn:p' xmlns='urn:d'><b p:x='1' y='2'/><p:c/></p:a>",
        "<a xmlns='urn:d'><b xmlns=''><c/></b></a>",
        "<a>one<![CDATA[<two> & ]]>three</a>",
        "<a>line\r\nnext\rlast</a>",
        "<a b='x\ty\nz\r\nw'/>",
        "<a><?pi data?><b/><!--c--></a>",
        "<a   b = 'v'  ></a  >",
        "<x:a xmlns:x='urn:1'><x:b xmlns:x='urn:2'/></x:a>",
        "<a xml:lang='en'/>",
        "<é:ü xmlns:é='urn:u'>ö</é:ü>",
        "<a>]]</a>",
        "<a>&#x9;&#xA;&#xD;</a>");
    for (String xml : accepted) {
      assertEquals(dump(StaxReference.parse(xml)), dump(scan(xml)), xml);
    }
    List<String> refused = List.of(
        "", "   ", "text", "<a>", "<a></b>", "<a/><b/>", "<a/>tail", "lead<a/>",
        "<a b='1' b='2'/>", "<a b=1/>", "<a b='<'/>", "<a>&foo;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>",
        "<a>&#x110000;</a>", "<a>&#;</a>", "<a>&#xZ;</a>", "<a>&amp</a>", "<p:a/>", "<a p:b='1'/>",
        "<?xml version='2.0'?><a/>", "<?xml encoding='utf-8'?><a/>", "<?xml version='1.0' standalone='maybe'?><a/>",
        "<?xml version='1.0'?><?XML x?><a/>", " <?xml version='1.0'?><a/>",
        "<a xmlns:p=''/>", "<a xmlns:xmlns='urn:x'/>", "<a xmlns:xml='urn:x'/>", "<a xmlns:p='urn:1' xmlns:p='urn:1'/>",
        "<a xmlns:p='urn:1' xmlns:q='urn:1' p:x='1' q:x='2'/>", "<a>]]></a>", "<a><!-- x -- y --></a>",
        "<a><![CDATA[x</a>", "<a b='1'c='2'/>", "<1a/>", "<a:/>", "<a:b:c xmlns:a='urn:a'/>",
        "<a>\u0001</a>", "<a/><?xml version='1.0'?>", "<a><!ELEMENT x ANY></a>", "<!DOCTYPE a><a/>",
        "<a", "<a b", "<a b=", "<a b='", "</a>", "<a></a >x</a>");
    // Names that are not qualified names StAX reads anyway; WS-Discovery has none: refused here.
    for (String xml : List.of("<:a/>")) {
      assertThrows(WsdDecodeException.class, () -> scan(xml), () -> "scanner read " + xml);
    }
    for (String xml : refused) {
      assertThrows(WsdDecodeException.class, () -> StaxReference.parse(xml), () -> "StAX read " + xml);
      WsdDecodeException e = assertThrows(WsdDecodeException.class, () -> scan(xml), () -> "scanner read " + xml);
      assertTrue(e.getMessage().startsWith("not well-formed XML") || e.getMessage().contains("DTD"), e.getMessage());
    }
  }

  @Test
  void mutatedVectorsReadAsStaxReadsThemOrBothRefuse() throws IOException {
    SplittableRandom random = new SplittableRandom(20261203);
    String[] inserts = {"<", ">", "&", "'", "\"", "/", ":", "=", " ", "]]>", "<!--", "-->", "&amp;", "&#x41;",
        "xmlns:q='urn:q'", "q:", "<b/>", "</b>", "<![CDATA[", "\r", "\u0000", "é"};
    int checked = 0;
    int accepted = 0;
    stricterCount = 0;
    for (String v : VECTORS) {
      String base = text(v);
      for (int round = 0; round < 1000; round++) {
        StringBuilder sb = new StringBuilder(base);
        int edits = 1 + random.nextInt(3);
        for (int k = 0; k < edits; k++) {
          int at = random.nextInt(sb.length() + 1);
          switch (random.nextInt(3)) {
            case 0 -> sb.insert(at, inserts[random.nextInt(inserts.length)]);
            case 1 -> {
              if (at < sb.length()) {
                sb.delete(at, Math.min(sb.length(), at + 1 + random.nextInt(6)));
              }
            }
            default -> {
              if (at < sb.length()) {
                sb.setCharAt(at, inserts[random.nextInt(inserts.length)].charAt(0));
              }
            }
          }
        }
        String xml = sb.toString();
        String expected;
        try {
          expected = dump(StaxReference.parse(xml));
        } catch (WsdDecodeException e) {
          expected = null;
        }
        String got;
        String why = null;
        try {
          got = dump(scan(xml));
        } catch (WsdDecodeException e) {
          got = null;
          why = e.getMessage();
        }
        if (expected == null && got != null) {
          fail("the scanner read what StAX refuses:\n" + xml);
        }
        if (expected != null && got == null && stricter(xml)) {
          stricterCount++;
        } else if (expected != null && !expected.equals(got)) {
          fail("the scanner read differently (" + (got == null ? "refused: " + why : got) + "):\n" + xml);
        }
        checked++;
        accepted += expected != null ? 1 : 0;
      }
    }
    assertEquals(VECTORS.size() * 1000, checked);
    assertTrue(accepted > 100, "too few mutations stayed well-formed to compare trees: " + accepted);
  }

  private int stricterCount;

  private static final Pattern NAMES = Pattern.compile("</?([^\\s/>!?]+)|\\s([^\\s=<>\"']+)\\s*=");

  /**
   * What StAX reads and the scanner refuses on purpose: a tag or attribute name that is not a
   * qualified name (empty prefix or local part, two colons).
   */
  private static boolean stricter(String xml) {
    Matcher m = NAMES.matcher(xml);
    while (m.find()) {
      String n = m.group(1) != null ? m.group(1) : m.group(2);
      if (n.startsWith(":") || n.endsWith(":") || n.indexOf(':') != n.lastIndexOf(':')) {
        return true;
      }
    }
    return false;
  }

  @Test
  void depthAndElementBoundsHold() {
    WsdLimits small = new WsdLimits(1000, 8, 32, 4, 4);
    assertTrue(assertThrows(WsdDecodeException.class, () -> new XmlScanner("<a>".repeat(9) + "</a>".repeat(9), small)
        .document()).getMessage().contains("depth"));
    new XmlScanner("<a>".repeat(8) + "</a>".repeat(8), small).document();
    assertTrue(assertThrows(WsdDecodeException.class,
        () -> new XmlScanner("<a>" + "<b/>".repeat(32) + "</a>", small).document()).getMessage().contains("element count"));
  }

  private static XmlElement scan(String xml) {
    return new XmlScanner(xml, LIMITS).document();
  }

  private static String text(String vector) throws IOException {
    String s = new String(WsdVectorsTest.vector(vector), StandardCharsets.UTF_8);
    return !s.isEmpty() && s.charAt(0) == '\uFEFF' ? s.substring(1) : s;
  }

  /** Everything the decoder can see of a tree, in a canonical order. */
  static String dump(XmlElement e) {
    StringBuilder sb = new StringBuilder();
    dump(e, 0, sb);
    return sb.toString();
  }

  private static void dump(XmlElement e, int depth, StringBuilder sb) {
    sb.append("  ".repeat(depth)).append(q(e.name));
    Map<String, String> attrs = new TreeMap<>();
    e.attributes.forEach((k, v) -> attrs.put(q(k), v));
    sb.append(' ').append(attrs).append(' ').append(new TreeMap<>(e.declaredNamespaces));
    sb.append(" text=").append(e.text().replace("\n", "\\n")).append('\n');
    List<XmlElement> kids = new ArrayList<>(e.children);
    for (XmlElement c : kids) {
      dump(c, depth + 1, sb);
    }
  }

  private static String q(QName n) {
    return "{" + n.getNamespaceURI() + "}" + n.getLocalPart();
  }
}
