package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.namespace.QName;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * {@link WsdCodec#encode} writes UTF-8 bytes directly; it must write exactly the bytes of the
 * StringBuilder encoder it replaced ({@link StringEncoderReference}) for every message.
 */
class WsdEncoderOracleTest {
  private final WsdCodec codec = new WsdCodec();
  private final WsdCodecPropertiesTest messages = new WsdCodecPropertiesTest();

  @Property(tries = 500)
  void probesAreEncodedAsBefore(@ForAll("probes") Probe p) {
    assertArrayEquals(StringEncoderReference.encode(p), codec.encode(p));
  }

  @Property(tries = 500)
  void probeMatchesAreEncodedAsBefore(@ForAll("probeMatches") ProbeMatches pm) {
    assertArrayEquals(StringEncoderReference.encode(pm), codec.encode(pm));
  }

  @Property(tries = 500)
  void textBytesIsTheLengthOfTheEscapedText(@ForAll String text) {
    StringBuilder sb = new StringBuilder();
    WsdText.appendEscaped(sb, text);
    assertEquals(sb.toString().getBytes(StandardCharsets.UTF_8).length, WsdCodec.textBytes(text), text);
  }

  @Test
  void escapesSupplementaryCharactersUnpairedSurrogatesAndExtremeNumbersAsBefore() {
    // A type namespace is not a checked token: an unpaired surrogate becomes '?' both ways.
    List<QName> types = List.of(new QName("urn:a\uD800b&\"<>", "T"), new QName("", "U"), WsdNames.TYPE_V1,
        new QName("urn:\uDC00\uD83D\uDE00€é", "V"));
    ProbeMatches pm = new ProbeMatches("urn:uuid:\uD83D\uDE00&<>\"'", "x€", new AppSequence(0xFFFF_FFFFL, 0),
        List.of(new ProbeMatches.Match("a&b", types, List.of("s1", "é"), List.of("[::1]:80"), 0xFFFF_FFFFL,
            "0000000A", "ages"), new ProbeMatches.Match("b", List.of(), List.of(), List.of(), 0, null, null)));
    assertArrayEquals(StringEncoderReference.encode(pm), codec.encode(pm));
    Probe p = new Probe("m", types, "urn:\"by\"", List.of("A", "€"));
    assertArrayEquals(StringEncoderReference.encode(p), codec.encode(p));
    Probe bare = new Probe("m", List.of(), null, List.of());
    assertArrayEquals(StringEncoderReference.encode(bare), codec.encode(bare));
  }

  @Provide
  Arbitrary<Probe> probes() {
    return messages.probes();
  }

  @Provide
  Arbitrary<ProbeMatches> probeMatches() {
    return messages.probeMatches();
  }
}
