package dev.peerdist.node.pchc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.pccrr.Vectors;
import dev.peerdist.node.pchc.PchcDecodeException.MessageLengthException;
import dev.peerdist.node.pchc.PchcDecodeException.UnknownMessageTypeException;
import dev.peerdist.node.pchc.PchcDecodeException.UnsupportedVersionException;
import dev.peerdist.node.pchc.PchcMessage.BatchedOffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The matrix of HOUSE-STYLE 6 for MS-PCHC requests (PROTOCOL.md §6.3): short, long, wrong version
 * and type, every declared size that cannot be right, and every truncation of each vector. A
 * request is one HTTP body, so a truncated body is invalid, never "need more" (except a batch cut
 * at a descriptor boundary, which is a smaller valid batch). The messages name the field.
 */
class PchcCodecMalformedTest {
  static final byte[] OFFER = Vectors.load("pchc-6.3-TV-6a-initial-offer.hex");
  static final byte[] INFO = Vectors.load("pchc-6.3-TV-6b-segment-info.hex");
  static final byte[] BATCH = Vectors.load("pchc-6.3-TV-6c-batched-offer.hex");
  /** Where the embedded V1 structure starts in TV-6b: headers, then the 16-byte ContentTag. */
  static final int CI = 32;

  static PchcDecodeException invalid(byte[] body) {
    ByteBuffer in = ByteBuffer.wrap(body);
    PchcDecodeException e = assertThrows(PchcDecodeException.class, () -> PchcCodec.decodeRequest(in));
    assertEquals(0, in.position(), "an invalid request consumes nothing");
    return e;
  }

  static byte[] with(byte[] base, int offset, int... bytes) {
    byte[] b = base.clone();
    for (int i = 0; i < bytes.length; i++) {
      b[offset + i] = (byte) bytes[i];
    }
    return b;
  }

  static void le32(byte[] b, int offset, long v) {
    for (int i = 0; i < 4; i++) {
      b[offset + i] = (byte) (v >>> (8 * i));
    }
  }

  @Test
  void shorterThanTheHeadersNamesTheHeader() {
    for (int n = 0; n < PchcCodec.HEADERS_LENGTH; n++) {
      PchcDecodeException e = invalid(Arrays.copyOf(OFFER, n));
      assertInstanceOf(MessageLengthException.class, e);
      assertEquals("MESSAGE_HEADER", e.field());
    }
  }

  @Test
  void longerThanAnyRequestIsRefusedBeforeParsing() {
    PchcDecodeException e = invalid(Arrays.copyOf(INFO, PchcCodec.MAX_REQUEST_SIZE + 1));
    assertInstanceOf(MessageLengthException.class, e);
    assertTrue(e.getMessage().contains("exceeds " + PchcCodec.MAX_REQUEST_SIZE), e.getMessage());
  }

  @Test
  void unknownTypes() {
    for (int type : new int[] {0, 4, 0x0100, 0xFFFF}) {
      PchcDecodeException e = invalid(with(OFFER, 2, type >> 8, type & 0xFF));
      assertInstanceOf(UnknownMessageTypeException.class, e);
      assertEquals("Type", e.field());
    }
  }

  @Test
  void versionMustMatchTheType() {
    assertInstanceOf(UnsupportedVersionException.class, invalid(with(OFFER, 1, 2)), "INITIAL_OFFER as 2.0");
    assertInstanceOf(UnsupportedVersionException.class, invalid(with(INFO, 1, 2)), "SEGMENT_INFO as 2.0");
    assertInstanceOf(UnsupportedVersionException.class, invalid(with(BATCH, 1, 1)), "BATCHED_OFFER as 1.0");
    assertInstanceOf(UnsupportedVersionException.class, invalid(with(OFFER, 1, 0)), "major 0");
    // A later minor version of the same major is still read.
    assertEquals(PchcMessage.INITIAL_OFFER, PchcCodec.decodeRequest(ByteBuffer.wrap(with(OFFER, 0, 7))).type());
  }

  @Test
  void initialOfferHashMustBeAHoHoDkLength() {
    for (int len : new int[] {0, 1, 16, 31, 33, 47, 49, 63, 65, 100}) {
      byte[] b = Arrays.copyOf(OFFER, PchcCodec.HEADERS_LENGTH + len);
      PchcDecodeException e = invalid(b);
      assertEquals("Hash", e.field(), "hash of " + len + " bytes");
    }
  }

  @Test
  void everyTruncationOfASegmentInfoIsInvalid() {
    for (int n = PchcCodec.HEADERS_LENGTH; n < INFO.length; n++) {
      PchcDecodeException e = invalid(Arrays.copyOf(INFO, n));
      assertTrue(e.getMessage().length() > 10, "names the problem at " + n);
    }
    assertEquals("SegmentContentBlocks.BlockHashes", invalid(Arrays.copyOf(INFO, INFO.length + 1)).field(),
        "a trailing byte is refused too");
  }

  @Test
  void segmentInfoFields() {
    assertEquals("SegmentInformation.Version", invalid(with(INFO, CI, 0x00, 0x02)).field());
    assertEquals("SegmentInformation.dwHashAlgo", invalid(with(INFO, CI + 2, 0x04, 0, 0, 0)).field());
    byte[] twoSegments = INFO.clone();
    le32(twoSegments, CI + 14, 2);
    assertEquals("SegmentInformation.cSegments", invalid(twoSegments).field());
    byte[] zeroLength = INFO.clone();
    le32(zeroLength, CI + 18 + 8, 0);
    assertEquals("SegmentDescription.cbSegment", invalid(zeroLength).field());
    byte[] huge = INFO.clone();
    le32(huge, CI + 18 + 8, 0x2000001L);
    assertEquals("SegmentDescription.cbSegment", invalid(huge).field());
    byte[] blockSize = INFO.clone();
    le32(blockSize, CI + 18 + 12, 4096);
    assertEquals("SegmentDescription.cbBlockSize", invalid(blockSize).field());
    int cBlocks = CI + 18 + 16 + 64;
    byte[] noBlocks = INFO.clone();
    le32(noBlocks, cBlocks, 0);
    assertEquals("SegmentContentBlocks.cBlocks", invalid(noBlocks).field());
    byte[] tooMany = INFO.clone();
    le32(tooMany, cBlocks, 3); // a 99,710-byte segment has 2 blocks
    assertEquals("SegmentContentBlocks.cBlocks", invalid(tooMany).field());
    byte[] claimsMillions = INFO.clone();
    le32(claimsMillions, cBlocks, 0xFFFFFFFFL);
    assertEquals("SegmentContentBlocks.cBlocks", invalid(claimsMillions).field());
    byte[] offsetPastEnd = INFO.clone();
    le32(offsetPastEnd, CI + 6, 99710);
    assertEquals("SegmentInformation", invalid(offsetPastEnd).field());
    byte[] readPastEnd = INFO.clone();
    le32(readPastEnd, CI + 10, 99711);
    assertEquals("SegmentInformation", invalid(readPastEnd).field());
  }

  @Test
  void everyTruncationOfABatchIsInvalidExceptAtADescriptorBoundary() {
    for (int n = PchcCodec.HEADERS_LENGTH; n < BATCH.length; n++) {
      ByteBuffer in = ByteBuffer.wrap(Arrays.copyOf(BATCH, n));
      int body = n - PchcCodec.HEADERS_LENGTH;
      if (body > 0 && body % PchcCodec.DESCRIPTOR_LENGTH == 0) {
        BatchedOffer b = (BatchedOffer) PchcCodec.decodeRequest(in);
        assertEquals(body / PchcCodec.DESCRIPTOR_LENGTH, b.segments().size());
      } else {
        PchcDecodeException e = invalid(Arrays.copyOf(BATCH, n));
        assertEquals("SegmentDescriptors", e.field(), "cut at " + n);
      }
    }
  }

  @Test
  void batchFields() {
    int d = PchcCodec.HEADERS_LENGTH;
    assertEquals("SizeOfContentTag", invalid(with(BATCH, d + 8, 0, 15)).field());
    assertEquals("SizeOfContentTag", invalid(with(BATCH, d + 8, 0xFF, 0xFF)).field());
    assertEquals("SegmentSize", invalid(with(BATCH, d + 4, 0, 0, 0, 0)).field());
    assertEquals("SegmentSize", invalid(with(BATCH, d + 4, 0x02, 0, 0, 1)).field());
    assertEquals("BlockSize", invalid(with(BATCH, d, 0, 0, 0, 0)).field());
    byte[] tooMany = new byte[PchcCodec.HEADERS_LENGTH + 129 * PchcCodec.DESCRIPTOR_LENGTH];
    System.arraycopy(BATCH, 0, tooMany, 0, PchcCodec.HEADERS_LENGTH);
    for (int i = 0; i < 129; i++) {
      System.arraycopy(BATCH, d, tooMany, d + i * PchcCodec.DESCRIPTOR_LENGTH, PchcCodec.DESCRIPTOR_LENGTH);
    }
    PchcDecodeException e = invalid(tooMany);
    assertTrue(e.getMessage().contains("129 descriptors exceed 128"), e.getMessage());
    assertEquals(128, ((BatchedOffer) PchcCodec.decodeRequest(
        ByteBuffer.wrap(Arrays.copyOf(tooMany, tooMany.length - PchcCodec.DESCRIPTOR_LENGTH)))).segments().size());
  }

  @Test
  void responseSizeAndCode() {
    PchcDecodeException size = assertThrows(PchcDecodeException.class,
        () -> PchcCodec.decodeResponse(ByteBuffer.wrap(new byte[] {0, 0, 0, 2, 0, 0})));
    assertEquals("Size", size.field());
    PchcDecodeException code = assertThrows(PchcDecodeException.class,
        () -> PchcCodec.decodeResponse(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 2})));
    assertEquals("ResponseCode", code.field());
    ByteBuffer in = ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 7});
    assertThrows(PchcDecodeException.class, () -> PchcCodec.decodeResponse(in));
    assertEquals(0, in.position());
  }

  @Test
  void randomDamageOnlyEverRaisesTheDeclaredException() {
    SplittableRandom random = new SplittableRandom(15);
    byte[][] seeds = {OFFER, INFO, BATCH};
    for (int i = 0; i < 20_000; i++) {
      byte[] b = seeds[i % 3].clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      }
      if (random.nextInt(4) == 0) {
        b = Arrays.copyOf(b, random.nextInt(b.length + 8));
      }
      ByteBuffer in = ByteBuffer.wrap(b);
      try {
        PchcMessage m = PchcCodec.decodeRequest(in);
        assertEquals(b.length, in.position());
        // What decodes encodes back to exactly the same bytes, except ignored padding and minor version.
        byte[] again = PchcCodec.encode(m);
        assertEquals(b.length, again.length);
      } catch (PchcDecodeException expected) {
        assertEquals(0, in.position());
      }
    }
  }
}
