package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link XmlElement#parse} reads a datagram of plain ASCII bytes without a charset decoder and
 * without the scanner's character check; every other datagram goes the strict UTF-8 way. Both
 * ways must read the same tree, or refuse with the same message, for every input: here the test
 * vectors and 12,000 byte-level mutations of them (bytes that are not ASCII, control bytes, a
 * byte-order mark, broken UTF-8 among them).
 */
class AsciiDecodePathTest {
  private static final String[] VECTORS = {"IPXE-TV-4e-probe-v1.xml", "PCCRD-4.1-TV-4a-probe-v1.dedented.xml",
      "PCCRD-4.1-TV-4a-probe-v1.verbatim.xml", "PCCRD-4.2-TV-4c-probe-v2-body.verbatim.xml",
      "PCCRD-4.2-TV-4c-probe-v2.wrapped.xml", "PCCRD-4.3-TV-4b-probematch-v1.reconstructed.xml",
      "PCCRD-4.3-TV-4b-probematch-v1.verbatim.xml", "PCCRD-4.4-TV-4d-probematch-v2-body.verbatim.xml",
      "PCCRD-4.4-TV-4d-probematch-v2.wrapped.xml", "SELF-TV-4f-probematch-v1.xml"};
  private static final WsdLimits LIMITS = WsdLimits.DEFAULT;

  /** The strict way for every input: UTF-8 decoder, byte-order mark, DTD check, full character check. */
  private static XmlElement strict(byte[] bytes) {
    if (bytes.length > LIMITS.maxMessageBytes()) {
      throw new WsdDecodeException("message of " + bytes.length + " bytes exceeds the limit of "
          + LIMITS.maxMessageBytes());
    }
    String xml;
    try {
      xml = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new WsdDecodeException("message is not valid UTF-8", e);
    }
    if (!xml.isEmpty() && xml.charAt(0) == '\uFEFF') {
      xml = xml.substring(1);
    }
    if (xml.contains("<!DOCTYPE")) {
      throw new WsdDecodeException("DTD not allowed");
    }
    return new XmlScanner(xml.toCharArray(), xml.length(), LIMITS, false).document();
  }

  private static boolean plainAscii(byte[] bytes) {
    char[] chars = XmlElement.asciiChars(bytes);
    if (chars != null) {
      assertEquals(new String(bytes, StandardCharsets.UTF_8), new String(chars), "ASCII bytes are their characters");
    }
    return chars != null;
  }

  private static String outcome(java.util.function.Supplier<XmlElement> parse) {
    try {
      return XmlScannerTest.dump(parse.get());
    } catch (WsdDecodeException e) {
      return "refused: " + e.getMessage();
    }
  }

  private static void assertSameOutcome(byte[] bytes, String what) {
    assertEquals(outcome(() -> strict(bytes)), outcome(() -> XmlElement.parse(bytes, LIMITS)), what);
  }

  @Test
  void everyVectorReadsTheSameBothWays() throws IOException {
    int ascii = 0;
    for (String v : VECTORS) {
      byte[] b = WsdVectorsTest.vector(v);
      assertSameOutcome(b, v);
      ascii += plainAscii(b) ? 1 : 0;
    }
    assertTrue(ascii >= 8, "most vectors take the ASCII way: " + ascii);
  }

  @Test
  void plainAsciiMeansBytesXmlAllowsAsTheyAre() {
    for (int b = 0; b < 256; b++) {
      boolean expected = b == 9 || b == 10 || b == 13 || (b >= 0x20 && b <= 0x7F);
      assertEquals(expected, plainAscii(new byte[] {'<', (byte) b}), "byte " + b);
    }
    assertTrue(plainAscii(new byte[0]));
    assertFalse(plainAscii(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '<', 'a', '/', '>'}));
  }

  @Test
  void mutatedVectorsReadTheSameBothWays() throws IOException {
    SplittableRandom random = new SplittableRandom(20261204);
    byte[][] inserts = {{'<'}, {'>'}, {'&'}, {'\''}, {'"'}, {'/'}, {':'}, {' '}, {'\r'}, {0}, {1}, {0x7F},
        "]]>".getBytes(StandardCharsets.US_ASCII), "&#x41;".getBytes(StandardCharsets.US_ASCII),
        "<!DOCTYPE a>".getBytes(StandardCharsets.US_ASCII), "é".getBytes(StandardCharsets.UTF_8),
        "😀".getBytes(StandardCharsets.UTF_8), {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, {(byte) 0x80},
        {(byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xEF, (byte) 0xBF, (byte) 0xBE}};
    int refused = 0;
    int checked = 0;
    int ascii = 0;
    for (String v : VECTORS) {
      byte[] base = WsdVectorsTest.vector(v);
      for (int round = 0; round < 1200; round++) {
        byte[] b = base;
        int edits = 1 + random.nextInt(3);
        for (int k = 0; k < edits; k++) {
          int at = random.nextInt(b.length + 1);
          byte[] ins = inserts[random.nextInt(inserts.length)];
          b = switch (random.nextInt(3)) {
            case 0 -> splice(b, at, 0, ins);
            case 1 -> splice(b, at, Math.min(b.length - at, 1 + random.nextInt(6)), new byte[0]);
            default -> splice(b, at, Math.min(b.length - at, ins.length), ins);
          };
        }
        byte[] input = b;
        assertSameOutcome(input, v + " mutated: " + new String(input, StandardCharsets.ISO_8859_1));
        ascii += plainAscii(input) ? 1 : 0;
        refused += outcome(() -> XmlElement.parse(input, LIMITS)).startsWith("refused") ? 1 : 0;
        checked++;
      }
    }
    assertEquals(12_000, checked);
    assertTrue(refused > 1000 && refused < checked, "both outcomes are exercised: " + refused + " refused");
    assertTrue(ascii > 1000 && ascii < checked, "both ways are exercised: " + ascii + " plain ASCII");
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    byte[] c = new byte[b.length - remove + insert.length];
    System.arraycopy(b, 0, c, 0, at);
    System.arraycopy(insert, 0, c, at, insert.length);
    System.arraycopy(b, at + remove, c, at + insert.length, b.length - at - remove);
    return c;
  }
}
