package dev.peerdist.node.pccrtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The MS-PCCRTP headers of TEST-VECTORS.md TV-7 (PROTOCOL.md §5.1), both directions. */
class PeerDistHeaderCodecVectorsTest {
  @Test
  void tv7aSpecRequest() {
    assertTrue(PeerDistHeaderCodec.acceptsPeerDist(List.of("gzip, deflate, peerdist")));
    PeerDistHeaderCodec.PeerDist pd = PeerDistHeaderCodec.peerDist(List.of("Version=1.1"));
    assertEquals(Optional.of(PeerDistVersion.V1_1), pd.version());
    assertFalse(pd.missingDataRequest());
    PeerDistHeaderCodec.PeerDistEx ex =
        PeerDistHeaderCodec.peerDistEx(List.of("MinContentInformation=1.0, MaxContentInformation=1.0"));
    assertEquals(Optional.of(PeerDistVersion.V1_0), ex.min());
    assertEquals(Optional.of(PeerDistVersion.V1_0), ex.max());
    assertFalse(ex.hashRequest());
  }

  @Test
  void tv7aSpecResponse() {
    assertTrue(PeerDistHeaderCodec.isPeerDistEncoded(List.of("peerdist")));
    PeerDistHeaderCodec.PeerDist pd = PeerDistHeaderCodec.peerDist(List.of("Version=1.1, ContentLength=184946"));
    assertEquals(OptionalLong.of(184946), pd.contentLength());
    assertEquals("Version=1.1, ContentLength=184946", PeerDistHeaderCodec.responsePeerDist(PeerDistVersion.V1_1, 184946));
  }

  @Test
  void tv7aHashNotReadyAndFollowUp() {
    PeerDistHeaderCodec.PeerDistEx make = PeerDistHeaderCodec.peerDistEx(List.of("MakeHashRequest=true"));
    assertTrue(make.makeHashRequest());
    assertEquals("MakeHashRequest=true", PeerDistHeaderCodec.MAKE_HASH_REQUEST);
    String followUp = "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true";
    PeerDistHeaderCodec.PeerDistEx ex = PeerDistHeaderCodec.peerDistEx(List.of(followUp));
    assertTrue(ex.hashRequest());
    assertEquals(Optional.of(PeerDistVersion.V2_0), ex.max());
    assertEquals(followUp, PeerDistHeaderCodec.requestPeerDistEx(PeerDistVersion.V1_0, PeerDistVersion.V2_0, true));
  }

  @Test
  void tv7bIpxeRequestsAreFormattedByteForByte() {
    assertEquals("Version=1.1", PeerDistHeaderCodec.requestPeerDist(PeerDistVersion.V1_1));
    assertEquals("MinContentInformation=1.0, MaxContentInformation=2.0",
        PeerDistHeaderCodec.requestPeerDistEx(PeerDistVersion.V1_0, PeerDistVersion.V2_0, false));
    assertEquals("Version=1.1, MissingDataRequest=true", PeerDistHeaderCodec.missingDataRequest(PeerDistVersion.V1_1));
    assertTrue(PeerDistHeaderCodec.peerDist(List.of("Version=1.1, MissingDataRequest=true")).missingDataRequest());
  }

  @Test
  void tv7cSpecResponseWithCapitalisedCoding() {
    assertTrue(PeerDistHeaderCodec.isPeerDistEncoded(List.of("PeerDist")));
    PeerDistHeaderCodec.PeerDist pd = PeerDistHeaderCodec.peerDist(List.of("Version=1.0, ContentLength=102400"));
    assertEquals(Optional.of(PeerDistVersion.V1_0), pd.version());
    assertEquals(OptionalLong.of(102400), pd.contentLength());
  }

  @Test
  void malformedValuesAreAbsentNeverExceptions() {
    assertEquals(OptionalLong.empty(), PeerDistHeaderCodec.peerDist(List.of("ContentLength=-5")).contentLength());
    assertEquals(OptionalLong.empty(),
        PeerDistHeaderCodec.peerDist(List.of("ContentLength=9999999999999999999999")).contentLength());
    assertEquals(Optional.empty(), PeerDistHeaderCodec.peerDist(List.of("Version=1.1.1")).version());
    assertFalse(PeerDistHeaderCodec.acceptsPeerDist(List.of("*", "peerdist;q=0", "peerdist;q=x")));
    assertFalse(PeerDistHeaderCodec.isPeerDistEncoded(List.of("gzip", "peerdistx")));
    assertEquals(PeerDistHeaderCodec.PeerDist.ABSENT, PeerDistHeaderCodec.peerDist(List.of()));
    assertEquals(PeerDistHeaderCodec.MAX_PARAMETERS,
        PeerDistHeaderCodec.parameters(List.of(String.join(",",
            java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "p" + i + "=1").toList()))).size());
    assertThrows(IllegalArgumentException.class, () -> PeerDistHeaderCodec.responsePeerDist(PeerDistVersion.V1_1, -1));
  }
}
