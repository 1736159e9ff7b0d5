package dev.peerdist.node.pchc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.Vectors;
import dev.peerdist.node.pchc.PchcMessage.BatchedOffer;
import dev.peerdist.node.pchc.PchcMessage.InitialOffer;
import dev.peerdist.node.pchc.PchcMessage.SegmentDescriptor;
import dev.peerdist.node.pchc.PchcMessage.SegmentInfo;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The MS-PCHC codec against TEST-VECTORS.md TV-6 (PROTOCOL.md §6.3): every field decoded, the same
 * bytes encoded back, and the response at every split (the only length-prefixed PCHC message).
 */
class PchcCodecVectorsTest {
  /** HoHoDk of TV-2a: the segment TV-6a offers and TV-6b describes. */
  static final String TV2A_HOHODK = "491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9";

  static PchcMessage decode(byte[] b) {
    ByteBuffer in = ByteBuffer.wrap(b);
    PchcMessage m = PchcCodec.decodeRequest(in);
    assertEquals(b.length, in.position(), "a decoded request consumes the whole body");
    return m;
  }

  @Test
  void initialOfferTv6a() {
    byte[] wire = Vectors.load("pchc-6.3-TV-6a-initial-offer.hex");
    InitialOffer o = assertInstanceOf(InitialOffer.class, decode(wire));
    assertEquals(80, o.port());
    assertEquals(1, o.majorVersion());
    assertEquals(SegmentId.of(Vectors.hex(TV2A_HOHODK)), o.hash());
    assertArrayEquals(wire, PchcCodec.encode(new InitialOffer(80, SegmentId.of(Vectors.hex(TV2A_HOHODK)))));
  }

  @Test
  void segmentInfoTv6bDescribesTheOfferedSegment() {
    byte[] wire = Vectors.load("pchc-6.3-TV-6b-segment-info.hex");
    SegmentInfo s = assertInstanceOf(SegmentInfo.class, decode(wire));
    assertEquals(80, s.port());
    assertEquals(ContentTag.of(new byte[16]), s.contentTag());
    SegmentInformation i = s.segmentInformation();
    assertEquals(HashAlgorithm.SHA_256, i.algorithm());
    assertEquals(0, i.offsetInFirstSegment());
    assertEquals(99710, i.readBytesInLastSegment(), "dwReadBytesInLastSegment = the whole segment (§6.3)");
    assertEquals(0, i.offsetInContent());
    assertEquals(99710, i.segmentLength());
    assertEquals(2, i.blockHashes().size());
    assertArrayEquals(Vectors.hex("d8d976354a4872e925761803f458d9daaa67f8e31c630fb74e6a312ef8a25aba"), i.hashOfData());
    assertArrayEquals(Vectors.hex("11afc0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e2"), i.segmentSecret());
    assertTrue(i.complete());
    // The chain block hashes -> HoD -> HoHoDk lands on the id TV-6a offered.
    SegmentRecord r = i.toRecord();
    assertEquals(SegmentId.of(Vectors.hex(TV2A_HOHODK)), r.id());
    assertArrayEquals(wire, PchcCodec.encode(s));
    assertArrayEquals(wire, PchcCodec.encode(new SegmentInfo(80, ContentTag.of(new byte[16]), SegmentInformation.of(r))),
        "a client describing the stored record sends the same bytes");
  }

  @Test
  void batchedOfferTv6c() {
    byte[] wire = Vectors.load("pchc-6.3-TV-6c-batched-offer.hex");
    BatchedOffer b = assertInstanceOf(BatchedOffer.class, decode(wire));
    assertEquals(80, b.port());
    assertEquals(2, b.majorVersion());
    assertEquals(2, b.segments().size());
    SegmentDescriptor d0 = b.segments().get(0);
    assertEquals(0x99de, d0.blockSize());
    assertEquals(0x99de, d0.segmentSize());
    assertEquals(SegmentDescriptor.TRUNCATED_SHA_512, d0.hashAlgorithm());
    assertEquals(SegmentId.of(Vectors.hex("3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f")), d0.segmentId());
    SegmentDescriptor d1 = b.segments().get(1);
    assertEquals(0xeba0, d1.segmentSize());
    assertEquals(SegmentId.of(Vectors.hex("d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e")), d1.segmentId());
    assertArrayEquals(wire, PchcCodec.encode(b));
  }

  @Test
  void responsesTv6d() {
    assertArrayEquals(Vectors.load("pchc-6.3-TV-6d-response-ok.hex"), PchcCodec.encodeResponse(ResponseCode.OK));
    assertArrayEquals(Vectors.load("pchc-6.3-TV-6d-response-interested.hex"),
        PchcCodec.encodeResponse(ResponseCode.INTERESTED));
    assertEquals(ResponseCode.OK, PchcCodec.decodeResponse(ByteBuffer.wrap(Vectors.load("pchc-6.3-TV-6d-response-ok.hex"))));
    assertEquals(ResponseCode.INTERESTED,
        PchcCodec.decodeResponse(ByteBuffer.wrap(Vectors.load("pchc-6.3-TV-6d-response-interested.hex"))));
  }

  @Test
  void responseAtEverySplitNeedsMoreThenDecodesAndConsumesNothingEarly() {
    byte[] wire = Vectors.load("pchc-6.3-TV-6d-response-interested.hex");
    for (int split = 0; split < wire.length; split++) {
      ByteBuffer part = ByteBuffer.allocate(wire.length);
      part.put(wire, 0, split).flip();
      assertNull(PchcCodec.decodeResponse(part), "prefix of " + split + " bytes needs more");
      assertEquals(0, part.position(), "need more consumes nothing");
      part.limit(wire.length).position(split);
      part.put(wire, split, wire.length - split).flip();
      assertEquals(ResponseCode.INTERESTED, PchcCodec.decodeResponse(part));
      assertEquals(wire.length, part.position());
    }
  }

  @Test
  void responseFollowedByMoreBytesConsumesOnlyItself() {
    ByteBuffer in = ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 0, 9, 9});
    assertEquals(ResponseCode.OK, PchcCodec.decodeResponse(in));
    assertEquals(5, in.position());
  }

  @Test
  void everyRequestRoundTrips() {
    SegmentId id48 = SegmentId.of(new byte[48]);
    for (PchcMessage m : List.<PchcMessage>of(
        new InitialOffer(65535, id48),
        new InitialOffer(0, SegmentId.of(new byte[64])),
        new BatchedOffer(8081, List.of(new SegmentDescriptor(65536, 0x2000000, ContentTag.PEERDIST,
            SegmentDescriptor.SHA_256, SegmentId.of(new byte[32])))))) {
      byte[] wire = PchcCodec.encode(m);
      assertEquals(PchcCodec.encodedLength(m), wire.length);
      assertArrayEquals(wire, PchcCodec.encode(decode(wire)), m.label());
    }
  }

  @Test
  void decodeLeavesTheBufferAloneWhenInvalid() {
    byte[] wire = Vectors.load("pchc-6.3-TV-6a-initial-offer.hex").clone();
    wire[3] = 9; // Type 9
    ByteBuffer in = ByteBuffer.wrap(wire);
    assertThrows(PchcDecodeException.UnknownMessageTypeException.class, () -> PchcCodec.decodeRequest(in));
    assertEquals(0, in.position());
  }
}
