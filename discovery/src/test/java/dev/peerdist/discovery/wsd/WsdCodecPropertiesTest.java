package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.namespace.QName;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Every valid message round-trips; no input makes the decoder throw anything but its own exception. */
class WsdCodecPropertiesTest {
  private final WsdCodec codec = new WsdCodec();

  @Property(tries = 300)
  void probesRoundTrip(@ForAll("probes") Probe p) {
    assertEquals(p, codec.decode(codec.encode(p)));
  }

  @Property(tries = 300)
  void probeMatchesRoundTrip(@ForAll("probeMatches") ProbeMatches pm) {
    assertEquals(pm, codec.decode(codec.encode(pm)));
  }

  @Property(tries = 1000)
  void randomBytesOnlyEverRaiseWsdDecodeException(@ForAll @Size(max = 2048) byte[] bytes) {
    decodeQuietly(bytes);
  }

  @Property(tries = 1500)
  void mutatedMessagesOnlyEverRaiseWsdDecodeException(
      @ForAll("probeMatches") ProbeMatches pm,
      @ForAll @Size(min = 1, max = 8) List<@net.jqwik.api.constraints.IntRange(min = 0, max = 1_000_000) Integer> positions,
      @ForAll @Size(min = 1, max = 8) List<Byte> values,
      @ForAll("mutation") int kind) {
    byte[] b = codec.encode(pm);
    for (int i = 0; i < positions.size(); i++) {
      int at = positions.get(i) % b.length;
      byte v = values.get(i % values.size());
      b = switch (kind) {
        case 0 -> replace(b, at, v);
        case 1 -> java.util.Arrays.copyOf(b, at);
        case 2 -> insert(b, at, v);
        default -> insert(b, at, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>&a;<![CDATA[".getBytes(StandardCharsets.UTF_8)[at % 40]);
      };
      if (b.length == 0) {
        break;
      }
    }
    decodeQuietly(b);
  }

  private void decodeQuietly(byte[] bytes) {
    try {
      codec.decode(bytes);
    } catch (WsdDecodeException expected) {
      // The only exception the decoder may raise.
    }
  }

  private static byte[] replace(byte[] b, int at, byte v) {
    byte[] c = b.clone();
    c[at] = v;
    return c;
  }

  private static byte[] insert(byte[] b, int at, byte v) {
    byte[] c = new byte[b.length + 1];
    System.arraycopy(b, 0, c, 0, at);
    c[at] = v;
    System.arraycopy(b, at, c, at + 1, b.length - at);
    return c;
  }

  @Provide
  Arbitrary<Integer> mutation() {
    return Arbitraries.integers().between(0, 3);
  }

  /** Tokens: no white space, and some characters that need escaping or are not ASCII. */
  static Arbitrary<String> tokens() {
    Arbitrary<String> plain = Arbitraries.strings().withChars("abcXYZ019:/-._&<>\"'é€").ofMinLength(1).ofMaxLength(40);
    Arbitrary<String> unicode = Arbitraries.strings()
        .withCharRange('\u0021', '\uD7FF')
        .ofMinLength(1)
        .ofMaxLength(20);
    return Arbitraries.oneOf(plain, unicode, Arbitraries.just("😀x"));
  }

  static Arbitrary<QName> types() {
    Arbitrary<String> ns = Arbitraries.oneOf(
        Arbitraries.of(WsdNames.PEERDIST, WsdNames.WSD, WsdNames.WSA, WsdNames.SOAP, ""),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8).map(s -> "urn:x:" + s));
    Arbitrary<String> local = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12);
    return Combinators.combine(ns, local).as(QName::new);
  }

  @Provide
  Arbitrary<Probe> probes() {
    return Combinators.combine(
            tokens(),
            types().list().ofMaxSize(3),
            Arbitraries.oneOf(Arbitraries.just((String) null), tokens()),
            tokens().list().ofMaxSize(6))
        .as(Probe::new);
  }

  static Arbitrary<ProbeMatches.Match> matches() {
    return Combinators.combine(
            tokens(),
            types().list().ofMaxSize(3),
            tokens().list().ofMaxSize(5),
            tokens().list().ofMaxSize(3),
            Arbitraries.longs().between(0, 0xFFFF_FFFFL),
            Arbitraries.oneOf(Arbitraries.just((String) null), tokens()),
            Arbitraries.oneOf(Arbitraries.just((String) null), tokens()))
        .as(ProbeMatches.Match::new);
  }

  @Provide
  Arbitrary<ProbeMatches> probeMatches() {
    Arbitrary<AppSequence> seq = Arbitraries.oneOf(
        Arbitraries.just((AppSequence) null),
        Combinators.combine(Arbitraries.longs().between(0, 0xFFFF_FFFFL), Arbitraries.longs().between(0, 0xFFFF_FFFFL))
            .as(AppSequence::new));
    return Combinators.combine(tokens(), tokens(), seq, matches().list().ofMaxSize(4)).as(ProbeMatches::new);
  }
}
