package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings.Holding;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdDecodeException;
import dev.peerdist.discovery.wsd.WsdNames;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.namespace.QName;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PccrdProfileTest {
  static DiscoveryKey key(DiscoveryKey.Form form, int n) {
    byte[] b = new byte[32];
    b[31] = (byte) n;
    b[0] = (byte) (n >> 8);
    return DiscoveryKey.of(form, b);
  }

  @Test
  void v1MatchListsOnlyHeldIdsWithEightDigitCounts() {
    DiscoveryKey a = key(DiscoveryKey.Form.V1, 1);
    DiscoveryKey b = key(DiscoveryKey.Form.V1, 2);
    DiscoveryKey c = key(DiscoveryKey.Form.V1, 3);
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(a, b, c));
    Map<DiscoveryKey, Holding> held = Map.of(a, new Holding(0x1234, true), c, new Holding(7, false), b, Holding.NONE);
    ProbeMatches.Match m = PccrdProfile.match(q, held, "urn:uuid:x", "10.0.0.1:80").orElseThrow();
    assertEquals(List.of(a.toHex(), c.toHex()), m.scopes());
    assertEquals("0000123400000007", m.blockCount());
    PccrdAnswer ans = PccrdProfile.readMatch(q, m);
    assertEquals(Map.of(a, 0x1234, c, 7), ans.blocksHeld());
  }

  @Test
  void blockCountsAreTheDigitsOfPercent08XAndARepeatedIdIsListedOnce() {
    for (int v : new int[] {1, 9, 10, 0xABCDEF, 0x7FFFFFFF, 0x10000000, 0x0FFFFFFF}) {
      char[] out = new char[10];
      PccrdProfile.hex8(v, out, 1);
      assertEquals(String.format("%08X", v), new String(out, 1, 8));
    }
    DiscoveryKey a = key(DiscoveryKey.Form.V1, 1);
    DiscoveryKey b = key(DiscoveryKey.Form.V1, 2);
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(a, b, a));
    ProbeMatches.Match m = PccrdProfile.match(q, Map.of(a, new Holding(3, false), b, new Holding(0x7FFFFFFF, true)),
        "urn:uuid:x", "10.0.0.1:80").orElseThrow();
    assertEquals(List.of(a.toHex(), b.toHex()), m.scopes());
    assertEquals("000000037FFFFFFF", m.blockCount());
  }

  @Test
  void silenceWhenNothingIsHeld() {
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(key(DiscoveryKey.Form.V1, 1)));
    assertTrue(PccrdProfile.match(q, Map.of(), "urn:uuid:x", "10.0.0.1:80").isEmpty());
    PccrdQuery q2 = new PccrdQuery(DiscoveryKey.Form.V2, List.of(key(DiscoveryKey.Form.V2, 1)));
    assertTrue(PccrdProfile.match(q2, Map.of(), "urn:uuid:x", "10.0.0.1:80").isEmpty());
  }

  @Test
  void zeroCountsAndUnrequestedIdsAreIgnoredWhenReading() {
    DiscoveryKey a = key(DiscoveryKey.Form.V1, 1);
    DiscoveryKey other = key(DiscoveryKey.Form.V1, 9);
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(a));
    ProbeMatches.Match m = new ProbeMatches.Match("urn:uuid:x", List.of(WsdNames.TYPE_V1),
        List.of(a.toHex(), other.toHex()), List.of("10.0.0.1:80"), 1, "0000000000000005", null);
    assertEquals(Map.of(), PccrdProfile.readMatch(q, m).blocksHeld());
  }

  @Test
  void malformedProbesAreNamed() {
    assertTrue(PccrdProfile.readProbe(new Probe("urn:uuid:1", List.of(new QName("urn:printer", "Printer")), null, List.of("x")))
        .isEmpty(), "non-PeerDist probes are ignored, not malformed");
    assertMalformed("without scopes", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V1), null, List.of()));
    assertMalformed("upper-case hex", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V1), null, List.of("abcd")));
    assertMalformed("in pairs", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V1), null, List.of("ABC")));
    assertMalformed("MatchBy", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V1), "urn:other", List.of("AB")));
    assertMalformed("one scope blob", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V2), null, List.of("AA==", "AA==")));
    assertMalformed("not base64", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V2), null, List.of("!!")));
    assertMalformed("shorter than", new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V2), null, List.of("AAA=")));
    assertMalformed("Count is 0", v2Blob(new byte[] {0, 32, 0}));
    assertMalformed("SegmentHashSize 65", v2Blob(new byte[] {0, 65, 1}));
    assertMalformed("expected 35", v2Blob(new byte[] {0, 32, 1, 1, 2}));
  }

  private static Probe v2Blob(byte[] blob) {
    return new Probe("urn:uuid:1", List.of(WsdNames.TYPE_V2), null, List.of(Base64.getEncoder().encodeToString(blob)));
  }

  private static void assertMalformed(String expected, Probe p) {
    WsdDecodeException e = assertThrows(WsdDecodeException.class, () -> PccrdProfile.readProbe(p));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void malformedMatchesAreNamed() {
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(key(DiscoveryKey.Form.V1, 1)));
    ProbeMatches.Match noCount = new ProbeMatches.Match("urn:uuid:x", List.of(WsdNames.TYPE_V1),
        List.of(key(DiscoveryKey.Form.V1, 1).toHex()), List.of(), 1, null, null);
    assertTrue(assertThrows(WsdDecodeException.class, () -> PccrdProfile.readMatch(q, noCount)).getMessage().contains("BlockCount"));
    ProbeMatches.Match badHex = new ProbeMatches.Match("urn:uuid:x", List.of(WsdNames.TYPE_V1),
        List.of(key(DiscoveryKey.Form.V1, 1).toHex()), List.of(), 1, "0000000G", null);
    assertThrows(WsdDecodeException.class, () -> PccrdProfile.readMatch(q, badHex));
    ProbeMatches.Match v2 = new ProbeMatches.Match("urn:uuid:x", List.of(WsdNames.TYPE_V2), List.of("8A=="), List.of(), 2, null, null);
    assertTrue(assertThrows(WsdDecodeException.class, () -> PccrdProfile.readMatch(q, v2)).getMessage().contains("do not answer"));
  }

  /** Whatever subset a V2 responder holds, the prober reads back exactly that subset. */
  @Property(tries = 200)
  void v2AvailabilityBitsRoundTrip(@ForAll @IntRange(min = 1, max = 255) int n, @ForAll long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    List<DiscoveryKey> keys = new java.util.ArrayList<>();
    Map<DiscoveryKey, Holding> held = new HashMap<>();
    for (int i = 0; i < n; i++) {
      DiscoveryKey k = key(DiscoveryKey.Form.V2, i);
      keys.add(k);
      int state = r.nextInt(3);
      if (state > 0) {
        held.put(k, new Holding(1, state == 2));
      }
    }
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V2, keys);
    Probe probe = PccrdProfile.probe("urn:uuid:p", q);
    assertEquals(q, PccrdProfile.readProbe(probe).orElseThrow());
    var m = PccrdProfile.match(q, held, "urn:uuid:x", "10.0.0.1:80");
    assertEquals(held.isEmpty(), m.isEmpty());
    if (m.isPresent()) {
      PccrdAnswer a = PccrdProfile.readMatch(q, m.get());
      assertEquals(held.keySet(), a.blocksHeld().keySet());
      held.forEach((k, h) -> assertEquals(h.complete(), a.complete().get(k)));
    }
  }
}
