package dev.peerdist.discovery.wsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.pccrd.PccrdAnswer;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TEST-VECTORS.md TV-4a..TV-4g: parse, read as PCCRD, and re-encode. */
class WsdVectorsTest {
  static final String TV2A_HOHODK = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";
  static final String SPEC_PROBE_ID = "urn:uuid:91528b47-b96d-4e30-981f-308c0586926f";
  static final String SPEC_MATCH_ID = "urn:uuid:7f4b09a3-96c9-4170-9eb3-1c805a52f444";
  static final String SPEC_ENDPOINT = "urn:uuid:87A89944-0230-43a5-AC4E-FAB1386C8E2C";

  private final WsdCodec codec = new WsdCodec();

  static byte[] vector(String name) throws IOException {
    try (InputStream in = WsdVectorsTest.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IOException("missing test vector " + name);
      }
      return in.readAllBytes();
    }
  }

  @Test
  void tv4eIpxeProbeParsesAndReencodesByteForByte() throws IOException {
    byte[] bytes = vector("IPXE-TV-4e-probe-v1.xml");
    assertEquals(814, bytes.length);
    Probe p = assertInstanceOf(Probe.class, codec.decode(bytes));
    assertEquals(SPEC_PROBE_ID, p.messageId());
    assertEquals(List.of(WsdNames.TYPE_V1), p.types());
    assertEquals(WsdNames.MATCH_BY_STRCMP0, p.matchBy());
    assertEquals(List.of(TV2A_HOHODK), p.scopes());
    assertArrayEquals(bytes, codec.encode(p));

    PccrdQuery q = PccrdProfile.readProbe(p).orElseThrow();
    assertEquals(DiscoveryKey.Form.V1, q.form());
    assertEquals(List.of(v1(TV2A_HOHODK)), q.keys());
    assertArrayEquals(bytes, codec.encode(PccrdProfile.probe(SPEC_PROBE_ID, q)));
  }

  @Test
  void tv4fProbeMatchParsesAndReencodesByteForByte() throws IOException {
    byte[] bytes = vector("SELF-TV-4f-probematch-v1.xml");
    ProbeMatches pm = assertInstanceOf(ProbeMatches.class, codec.decode(bytes));
    assertEquals(SPEC_MATCH_ID, pm.messageId());
    assertEquals(SPEC_PROBE_ID, pm.relatesTo());
    assertEquals(new AppSequence(1218765447L, 4), pm.appSequence());
    assertEquals(1, pm.matches().size());
    ProbeMatches.Match m = pm.matches().get(0);
    assertEquals(SPEC_ENDPOINT, m.endpointAddress());
    assertEquals(List.of(WsdNames.TYPE_V1), m.types());
    assertEquals(List.of(TV2A_HOHODK), m.scopes());
    assertEquals(List.of("192.0.2.10:80"), m.xaddrs());
    assertEquals(1, m.metadataVersion());
    assertEquals("00000002", m.blockCount());
    assertNull(m.segmentAges());
    assertArrayEquals(bytes, codec.encode(pm));

    PccrdAnswer a = PccrdProfile.readMatch(new PccrdQuery(DiscoveryKey.Form.V1, List.of(v1(TV2A_HOHODK))), m);
    assertEquals(Map.of(v1(TV2A_HOHODK), 2), a.blocksHeld());
    assertEquals(List.of("192.0.2.10:80"), a.xaddrs());
  }

  @Test
  void ourAnswerToTv4eIsTv4fGivenTheSameIdsAndNumbers() throws IOException {
    Probe probe = (Probe) codec.decode(vector("IPXE-TV-4e-probe-v1.xml"));
    PccrdQuery q = PccrdProfile.readProbe(probe).orElseThrow();
    LocalHoldings holdings = k -> k.equals(v1(TV2A_HOHODK)) ? new LocalHoldings.Holding(2, true) : LocalHoldings.Holding.NONE;
    ProbeMatches.Match m = PccrdProfile.match(q, Map.of(q.keys().get(0), holdings.holding(q.keys().get(0))),
        SPEC_ENDPOINT, "192.0.2.10:80").orElseThrow();
    ProbeMatches reply = PccrdProfile.reply(SPEC_MATCH_ID, probe.messageId(), new AppSequence(1218765447L, 4), List.of(m));
    byte[] ours = codec.encode(reply);
    assertArrayEquals(vector("SELF-TV-4f-probematch-v1.xml"), ours);

    IpxeReplyParser ipxe = IpxeReplyParser.parse(new String(ours, StandardCharsets.UTF_8));
    assertEquals(List.of(TV2A_HOHODK), ipxe.scopes);
    assertEquals(List.of("192.0.2.10:80"), ipxe.xaddrs);
    assertEquals(List.of(2L), ipxe.blockCounts);
  }

  @Test
  void tv4aSpecProbeParsesButItsSplitSampleIdIsNotAValidScope() throws IOException {
    Probe p = assertInstanceOf(Probe.class, codec.decode(vector("PCCRD-4.1-TV-4a-probe-v1.dedented.xml")));
    assertEquals(SPEC_PROBE_ID, p.messageId());
    assertEquals(List.of(WsdNames.TYPE_V1), p.types());
    assertEquals(WsdNames.MATCH_BY_STRCMP0, p.matchBy());
    // The spec's sample id is 128 digits broken over two lines: two list items of 67 and 61.
    assertEquals(2, p.scopes().size());
    assertEquals(67, p.scopes().get(0).length());
    assertEquals(61, p.scopes().get(1).length());
    WsdDecodeException e = assertThrows(WsdDecodeException.class, () -> PccrdProfile.readProbe(p));
    assertTrue(e.getMessage().contains("V1 scope"), e.getMessage());
    assertEquals(p, codec.decode(codec.encode(p)));
    // As listed (indented by one space), the XML declaration is not at the start: rejected cleanly.
    assertThrows(WsdDecodeException.class, () -> codec.decode(vector("PCCRD-4.1-TV-4a-probe-v1.verbatim.xml")));
  }

  @Test
  void tv4bPublishedProbeMatchIsRejectedAndItsReconstructionCarriesTheFieldValues() throws IOException {
    String verbatim = new String(vector("PCCRD-4.3-TV-4b-probematch-v1.verbatim.xml"), StandardCharsets.UTF_8).strip();
    WsdDecodeException e =
        assertThrows(WsdDecodeException.class, () -> codec.decode(verbatim.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().startsWith("not well-formed XML"), e.getMessage());

    ProbeMatches pm = assertInstanceOf(
        ProbeMatches.class, codec.decode(vector("PCCRD-4.3-TV-4b-probematch-v1.reconstructed.xml")));
    assertEquals(SPEC_MATCH_ID, pm.messageId());
    assertEquals(SPEC_PROBE_ID, pm.relatesTo());
    assertEquals(new AppSequence(1218765447L, 4), pm.appSequence());
    ProbeMatches.Match m = pm.matches().get(0);
    assertEquals(SPEC_ENDPOINT, m.endpointAddress());
    assertEquals(List.of(WsdNames.TYPE_V1), m.types());
    assertEquals(List.of("02" + "0".repeat(62), "0".repeat(64)), m.scopes());
    assertEquals(List.of("157.59.141.183:54321"), m.xaddrs());
    assertEquals(1, m.metadataVersion());
    assertEquals("0000002A", m.blockCount());
    assertEquals(pm, codec.decode(codec.encode(pm)));
    // Two scope items but one 8-digit count: the spec sample is inconsistent as PCCRD data.
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(v1("02" + "0".repeat(62))));
    assertThrows(WsdDecodeException.class, () -> PccrdProfile.readMatch(q, m));
  }

  @Test
  void tv4cV2ProbeDecodesToTheSpecBlob() throws IOException {
    Probe p = assertInstanceOf(Probe.class, codec.decode(vector("PCCRD-4.2-TV-4c-probe-v2.wrapped.xml")));
    assertEquals(List.of(WsdNames.TYPE_V2), p.types());
    assertEquals(WsdNames.MATCH_BY_PEERDIST_V2, p.matchBy());
    PccrdQuery q = PccrdProfile.readProbe(p).orElseThrow();
    assertEquals(DiscoveryKey.Form.V2, q.form());
    String id = "23be1a01000000003" + "01d1a0100000000410041004400790067004d004d0031" + "00";
    assertEquals(List.of(v2(id), v2(id)), q.keys());
    assertEquals(p.scopes().get(0), PccrdProfile.v2ScopeBlob(q.keys()));
    assertEquals("ACABKQEaAQAAAAAwHRoBAAAAAEEAQQBEAHkAZwBNAE0AMQA=",
        PccrdProfile.v2ScopeBlob(List.of(v2("29011a0100000000301d1a0100000000410041004400790067004d004d00310"
            + "0"))));
    Probe again = (Probe) codec.decode(codec.encode(PccrdProfile.probe(p.messageId(), q)));
    assertEquals(p, again);
  }

  @Test
  void tv4dV2ProbeMatchSaysFortySegmentsComplete() throws IOException {
    ProbeMatches pm = assertInstanceOf(
        ProbeMatches.class, codec.decode(vector("PCCRD-4.4-TV-4d-probematch-v2.wrapped.xml")));
    ProbeMatches.Match m = pm.matches().get(0);
    assertEquals(List.of(WsdNames.TYPE_V2), m.types());
    assertEquals(List.of("/////////////w=="), m.scopes());
    assertEquals(2, m.metadataVersion());
    assertEquals("AAEDAgBg6gACYOoA", m.segmentAges());
    assertNull(m.blockCount());
    List<DiscoveryKey> forty = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] id = new byte[32];
      id[0] = (byte) i;
      forty.add(DiscoveryKey.of(DiscoveryKey.Form.V2, id));
    }
    PccrdAnswer a = PccrdProfile.readMatch(new PccrdQuery(DiscoveryKey.Form.V2, forty), m);
    assertEquals(40, a.blocksHeld().size());
    assertTrue(a.complete().values().stream().allMatch(Boolean::booleanValue));
    assertEquals(pm, codec.decode(codec.encode(pm)));
  }

  @Test
  void tv4gV2ScopesForTheRealSegmentsAndTheirAvailabilityByte() {
    DiscoveryKey s0 = v2("3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f");
    DiscoveryKey s1 = v2("d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e");
    assertEquals("ACACM3G76t22I1OtzvlwoG/fZQAeBCH0xxCCdrDDep+ewQ/X6SRCXo9PiPAdxqm7G8N74RPseRfHRdSWXCtV+hY6bg==",
        PccrdProfile.v2ScopeBlob(List.of(s0, s1)));
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V2, List.of(s0, s1));
    LocalHoldings.Holding full = new LocalHoldings.Holding(1, true);
    ProbeMatches.Match m = PccrdProfile.match(q, Map.of(s0, full, s1, full), SPEC_ENDPOINT, "192.0.2.10:80").orElseThrow();
    assertEquals(List.of("8A=="), m.scopes());
    // Second only, and partially: 00 10 -> 0x20.
    ProbeMatches.Match partial = PccrdProfile.match(q, Map.of(s1, new LocalHoldings.Holding(1, false)),
        SPEC_ENDPOINT, "192.0.2.10:80").orElseThrow();
    assertEquals(List.of("IA=="), partial.scopes());
    PccrdAnswer a = PccrdProfile.readMatch(q, partial);
    assertEquals(Map.of(s1, 1), a.blocksHeld());
    assertEquals(Map.of(s1, false), a.complete());
  }

  static DiscoveryKey v1(String hex) {
    return DiscoveryKey.of(DiscoveryKey.Form.V1, HexFormat.of().parseHex(hex));
  }

  static DiscoveryKey v2(String hex) {
    return DiscoveryKey.of(DiscoveryKey.Form.V2, HexFormat.of().parseHex(hex));
  }
}
