package dev.peerdist.node.publish;

import dev.peerdist.node.pccrtp.PeerDistVersion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.publish.PeerDistNegotiation.Verdict;
import dev.peerdist.node.publish.PeerDistNegotiation.Result;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PeerDistNegotiationTest {
  private static Result negotiate(String acceptEncoding, String peerDist, String peerDistEx) {
    return negotiate(acceptEncoding, peerDist, peerDistEx, ContentVersion.V2);
  }

  private static Result negotiate(String ae, String pd, String ex, ContentVersion max) {
    return PeerDistNegotiation.negotiate(list(ae), list(pd), list(ex), max);
  }

  private static List<String> list(String s) {
    return s == null ? List.of() : List.of(s);
  }

  @Test
  void ipxeRequestOfTv7bGetsV2WithVersion11() {
    Result r =
        negotiate("peerdist", "Version=1.1", "MinContentInformation=1.0, MaxContentInformation=2.0");
    assertEquals(Verdict.CONTENT_INFORMATION, r.verdict());
    assertEquals(ContentVersion.V2, r.contentVersion());
    assertEquals("1.1", r.replyVersion().toString());
  }

  @Test
  void sameOfferFromAServerCappedAtV1GetsV1() {
    Result r =
        negotiate(
            "peerdist",
            "Version=1.1",
            "MinContentInformation=1.0, MaxContentInformation=2.0",
            ContentVersion.V1);
    assertEquals(ContentVersion.V1, r.contentVersion());
    assertEquals("1.1", r.replyVersion().toString());
  }

  @Test
  void noPeerDistExMeansV1AndTheVersionIsEchoed() {
    Result r = negotiate("gzip, deflate, peerdist", "Version=1.0", null);
    assertEquals(ContentVersion.V1, r.contentVersion());
    assertEquals("1.0", r.replyVersion().toString());
    Result r11 = negotiate("peerdist", "Version=1.1", null);
    assertEquals(ContentVersion.V1, r11.contentVersion());
    assertEquals("1.1", r11.replyVersion().toString());
  }

  @Test
  void tv7aSpecExampleWithMax10GetsV1() {
    Result r =
        negotiate(
            "gzip, deflate, peerdist", "Version=1.1", "MinContentInformation=1.0, MaxContentInformation=1.0");
    assertEquals(ContentVersion.V1, r.contentVersion());
    assertEquals("1.1", r.replyVersion().toString());
  }

  @Test
  void min2Max2GetsV2() {
    Result r = negotiate("peerdist", "Version=1.1", "MinContentInformation=2.0, MaxContentInformation=2.0");
    assertEquals(ContentVersion.V2, r.contentVersion());
  }

  @Test
  void min2Max2FromV1OnlyServerIsDeclined() {
    Result r =
        negotiate(
            "peerdist", "Version=1.1", "MinContentInformation=2.0, MaxContentInformation=2.0", ContentVersion.V1);
    assertEquals(Verdict.DECLINED, r.verdict());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "MinContentInformation=2.0, MaxContentInformation=1.0",
        "MinContentInformation=1.0",
        "MaxContentInformation=2.0",
        "MinContentInformation=x, MaxContentInformation=2.0",
        "MinContentInformation=1.0, MaxContentInformation=2",
        "MinContentInformation=3.0, MaxContentInformation=4.0",
        "MinContentInformation=1.1, MaxContentInformation=1.9",
      })
  void invalidOrUnsatisfiableRangeIsDeclined(String ex) {
    Result r = negotiate("peerdist", "Version=1.1", ex);
    assertEquals(Verdict.DECLINED, r.verdict(), r.reason());
    assertNull(r.contentVersion());
  }

  @Test
  void versionsCompareAsIntegers() {
    // 1.10 > 1.9 as integers; a lexical compare would reject this range.
    Result r = negotiate("peerdist", "Version=1.1", "MinContentInformation=1.0, MaxContentInformation=2.10");
    assertEquals(ContentVersion.V2, r.contentVersion());
    assertTrue(PeerDistVersion.parse("1.23").get().compareTo(PeerDistVersion.parse("1.3").get()) > 0);
  }

  @Test
  void higherClientVersionGetsReply11() {
    Result r = negotiate("peerdist", "Version=1.5", null);
    assertEquals("1.1", r.replyVersion().toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"Version=abc", "Version=", "Foo=1", "Version=0.9", "Version=1.0.0"})
  void badClientVersionIsDeclined(String pd) {
    assertEquals(Verdict.DECLINED, negotiate("peerdist", pd, null).verdict());
  }

  @Test
  void missingPeerDistHeaderCountsAsVersion10() {
    Result r = negotiate("peerdist", null, null);
    assertEquals(ContentVersion.V1, r.contentVersion());
    assertEquals("1.0", r.replyVersion().toString());
  }

  @Test
  void missingDataRequestWinsEvenWhenPeerDistIsOffered() {
    Result r =
        negotiate(
            "peerdist",
            "Version=1.1, MissingDataRequest=true",
            "MinContentInformation=1.0, MaxContentInformation=2.0");
    assertEquals(Verdict.MISSING_DATA, r.verdict());
    assertEquals(Verdict.MISSING_DATA, negotiate(null, "Version=1.1, MissingDataRequest=TRUE", null).verdict());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "PeerDist|true",
        "PEERDIST;q=0.5|true",
        "gzip;q=1.0, peerdist ; q=0.001|true",
        "peerdist;q=0|false",
        "peerdist;q=0.000|false",
        "peerdist;q=abc|false",
        "*|false",
        "gzip, deflate|false",
        "xpeerdist|false",
        "''|false",
      })
  void acceptEncodingTokenAndQValues(String ae, boolean expected) {
    assertEquals(expected, PeerDistHeaders.acceptsPeerDist(List.of(ae)), ae);
  }

  @Test
  void notOfferedIsPlainAndHashRequestIsReported() {
    Result r =
        negotiate(
            null, "Version=1.1", "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true");
    assertEquals(Verdict.PLAIN, r.verdict());
    assertTrue(r.hashRequest());
    assertFalse(negotiate("peerdist", "Version=1.1", null).hashRequest());
  }

  @Test
  void headerSplitOverSeveralLinesIsJoined() {
    Result r =
        PeerDistNegotiation.negotiate(
            List.of("gzip", "peerdist"),
            List.of("Version=1.1"),
            List.of("MinContentInformation=1.0", "MaxContentInformation=2.0"),
            ContentVersion.V2);
    assertEquals(ContentVersion.V2, r.contentVersion());
  }
}
