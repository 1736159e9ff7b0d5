package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hostile and unusual-but-valid input to the decoder. */
class WsdDecoderHardeningTest {
  private static final String ID = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";
  private final WsdCodec codec = new WsdCodec();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private WsdDecodeException rejected(String xml) {
    return assertThrows(WsdDecodeException.class, () -> codec.decode(utf8(xml)));
  }

  @Test
  void otherPrefixesWhitespaceCommentsAndExtraHeadersAreAccepted() {
    String xml = "<?xml version='1.0' encoding='UTF-8'?>\n<!-- hello -->\n"
        + "<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'\n"
        + "  xmlns:a='http://schemas.xmlsoap.org/ws/2004/08/addressing'>\n"
        + " <e:Header>\n  <a:To e:mustUnderstand='true'> urn:schemas-xmlsoap-org:ws:2005:04:discovery </a:To>\n"
        + "  <x:Extra xmlns:x='urn:extra'><x:Deep>1</x:Deep></x:Extra>\n"
        + "  <a:Action>\n http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe\n</a:Action>\n"
        + "  <a:MessageID>urn:uuid:1</a:MessageID>\n </e:Header>\n"
        + " <e:Body><Probe xmlns='http://schemas.xmlsoap.org/ws/2005/04/discovery'\n"
        + "   xmlns:pd='http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery'>\n"
        + "  <Types>pd:PeerDistData</Types>\n"
        + "  <Scopes MatchBy='http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0'>\n\t" + ID + "\n  </Scopes>"
        + " </Probe></e:Body></e:Envelope>";
    Probe p = assertInstanceOf(Probe.class, codec.decode(utf8(xml)));
    assertEquals("urn:uuid:1", p.messageId());
    assertEquals(List.of(WsdNames.TYPE_V1), p.types());
    assertEquals(List.of(ID), p.scopes());
  }

  @Test
  void cdataAndCharacterReferencesAreText() {
    String xml = probeWithScopes("<![CDATA[" + ID.substring(0, 10) + "]]>&#x" + Integer.toHexString(ID.charAt(10)) + ";"
        + ID.substring(11));
    assertEquals(List.of(ID), ((Probe) codec.decode(utf8(xml))).scopes());
  }

  @Test
  void dtdsAndEntitiesAreRefused() {
    String laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>"
        + "<lolz>&lol2;</lolz>";
    assertTrue(rejected(laughs).getMessage().contains("DTD"));
    String xxe = "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><foo>&xxe;</foo>";
    assertTrue(rejected(xxe).getMessage().contains("DTD"));
    assertTrue(rejected(probeWithScopes("&undeclared;")).getMessage().startsWith("not well-formed"));
  }

  @Test
  void sizeDepthAndCountLimitsAreEnforcedAndNamed() {
    WsdCodec small = new WsdCodec(new WsdLimits(1000, 8, 30, 3, 2));
    byte[] big = utf8(probeWithScopes("A".repeat(2000)));
    assertTrue(assertThrows(WsdDecodeException.class, () -> small.decode(big)).getMessage().contains("exceeds the limit of 1000"));
    String deep = "<a>".repeat(9) + "</a>".repeat(9);
    assertTrue(assertThrows(WsdDecodeException.class, () -> small.decode(utf8(deep))).getMessage().contains("depth"));
    String many = "<a>" + "<b></b>".repeat(40) + "</a>";
    assertTrue(assertThrows(WsdDecodeException.class, () -> small.decode(utf8(many))).getMessage().contains("element count"));
    String items = probeWithScopes("A B C D");
    assertTrue(assertThrows(WsdDecodeException.class, () -> small.decode(utf8(items))).getMessage().contains("4 items"));
  }

  @Test
  void structuralErrorsNameWhatIsMissing() {
    assertTrue(rejected("<x/>").getMessage().contains("not a SOAP 1.2 Envelope"));
    assertTrue(rejected("").getMessage().startsWith("not well-formed"));
    assertTrue(rejected(probeWithScopes(ID).replace("<wsa:MessageID>urn:uuid:1</wsa:MessageID>", ""))
        .getMessage().contains("wsa:MessageID"));
    assertTrue(rejected(probeWithScopes(ID).replace("/Probe</wsa:Action>", "/Hello</wsa:Action>"))
        .getMessage().contains("unsupported wsa:Action"));
    assertTrue(rejected(probeWithScopes(ID).replace("PeerDist:PeerDistData", "nope:PeerDistData"))
        .getMessage().contains("not declared"));
    assertTrue(assertThrows(WsdDecodeException.class, () -> codec.decode(new byte[] {(byte) 0xC3, 0x28}))
        .getMessage().contains("UTF-8"));
  }

  @Test
  void soap11EnvelopeIsNotAccepted() {
    String xml = probeWithScopes(ID).replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/");
    assertTrue(rejected(xml).getMessage().contains("SOAP 1.2"));
  }

  static String probeWithScopes(String scopesText) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\""
        + " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\""
        + " xmlns:PeerDist=\"http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery\"><soap:Header>"
        + "<wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
        + "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
        + "<wsa:MessageID>urn:uuid:1</wsa:MessageID></soap:Header><soap:Body><wsd:Probe>"
        + "<wsd:Types>PeerDist:PeerDistData</wsd:Types><wsd:Scopes>" + scopesText + "</wsd:Scopes>"
        + "</wsd:Probe></soap:Body></soap:Envelope>";
  }
}
