package dev.peerdist.node.pccrtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a raw response head, as the simulator's live harness and the benchmark get it. */
class PeerDistHeaderCodecHeadTest {
  @Test
  void headerValuesOfARawHead() {
    String head = "HTTP/1.1 200 OK\r\ncontent-encoding: peerdist\r\nX-P2P-PeerDist: Version=1.1, ContentLength=99\r\n"
        + "X-Note: content-encoding: peerdist\r\n\r\n";
    assertEquals(List.of("peerdist"), PeerDistHeaderCodec.headerValues(head, "Content-Encoding"));
    assertTrue(PeerDistHeaderCodec.isPeerDistEncoded(PeerDistHeaderCodec.headerValues(head, "Content-Encoding")));
    assertEquals(99, PeerDistHeaderCodec.peerDist(PeerDistHeaderCodec.headerValues(head, "x-p2p-peerdist"))
        .contentLength().getAsLong());
  }

  @Test
  void aCodingThatOnlyContainsTheWordIsNotPeerDist() {
    // The check this replaced ('contains("content-encoding: peerdist")') accepted both heads below.
    String other = "HTTP/1.1 200 OK\nContent-Encoding: x-peerdist-like\nX-Note: content-encoding: peerdist\n\n";
    assertFalse(PeerDistHeaderCodec.isPeerDistEncoded(PeerDistHeaderCodec.headerValues(other, "Content-Encoding")));
    assertFalse(PeerDistHeaderCodec.isPeerDistEncoded(List.of("x-peerdist-like")));
    assertTrue(PeerDistHeaderCodec.isPeerDistEncoded(List.of("gzip, PeerDist")));
  }
}
