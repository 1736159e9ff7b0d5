package dev.peerdist.node.pccrr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.pccrr.PccrrDecodeException.MessageLengthException;
import dev.peerdist.node.pccrr.PccrrDecodeException.UnknownMessageTypeException;
import dev.peerdist.node.pccrr.PccrrDecodeException.UnsupportedVersionException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed-input matrix: each case patches a valid vector and names the exception, field and offset
 * it must produce. Nothing is consumed when decoding fails.
 */
class PccrrCodecMalformedTest {
  private static final String GETBLKS = "pccrr-4.4-TV-5e-getblks-v1.hex";
  private static final String BLK = "pccrr-4.4-TV-5g-blk-aes256.hex";
  private static final String GETSEGLIST = "pccrr-4.4-TV-5h-getseglist.hex";
  private static final String SEGLIST = "pccrr-4.4-TV-5i-seglist.hex";

  static byte[] patch(String file, int offset, int value) {
    byte[] b = Vectors.load(file);
    b[offset] = (byte) (value >>> 24);
    b[offset + 1] = (byte) (value >>> 16);
    b[offset + 2] = (byte) (value >>> 8);
    b[offset + 3] = (byte) value;
    return b;
  }

  static Stream<Arguments> cases() {
    byte[] grown = Arrays.copyOf(Vectors.load(GETBLKS), 72);
    grown[11] = 72; // MsgSize 72 with 4 trailing bytes no field claims
    byte[] truncatedSize = patch(GETBLKS, 8, 64); // MsgSize cuts the VRF size field
    return Stream.of(
        Arguments.of("version 3.0", patch(GETBLKS, 0, 3), false, UnsupportedVersionException.class, "ProtVer", 0),
        Arguments.of("version 0.1", patch(GETBLKS, 0, 0x00010000), false, UnsupportedVersionException.class,
            "ProtVer", 0),
        Arguments.of("type 8", patch(GETBLKS, 4, 8), false, UnknownMessageTypeException.class, "MsgType", 4),
        Arguments.of("type -1", patch(GETBLKS, 4, -1), false, UnknownMessageTypeException.class, "MsgType", 4),
        Arguments.of("response as request", patch(GETBLKS, 4, 5), false, UnknownMessageTypeException.class,
            "MsgType", 4),
        Arguments.of("request as response", patch(BLK, 8, 3), true, UnknownMessageTypeException.class,
            "MsgType", 8),
        Arguments.of("MsgSize 15", patch(GETBLKS, 8, 15), false, MessageLengthException.class, "MsgSize", 8),
        Arguments.of("MsgSize over request limit", patch(GETBLKS, 8, 98_305), false, MessageLengthException.class,
            "MsgSize", 8),
        Arguments.of("MsgSize negative", patch(GETBLKS, 8, -4), false, MessageLengthException.class, "MsgSize", 8),
        Arguments.of("trailing bytes", grown, false, MessageLengthException.class, "MsgSize", 8),
        Arguments.of("MsgSize too short", truncatedSize, false, MessageLengthException.class,
            "SizeOfDataForVrfBlock", 64),
        Arguments.of("CryptoAlgoId 4", patch(GETBLKS, 12, 4), false, PccrrDecodeException.class,
            "CryptoAlgoId", 12),
        Arguments.of("SizeOfSegmentID 31", patch(GETBLKS, 16, 31), false, MessageLengthException.class,
            "SizeOfSegmentID", 16),
        Arguments.of("SizeOfSegmentID huge", patch(GETBLKS, 16, 0x7fffffff), false, MessageLengthException.class,
            "SizeOfSegmentID", 16),
        Arguments.of("range count 0", patch(GETBLKS, 52, 0), false, MessageLengthException.class,
            "ReqBlockRangeCount", 52),
        Arguments.of("range count huge", patch(GETBLKS, 52, 0x10000000), false, MessageLengthException.class,
            "ReqBlockRangeCount", 52),
        Arguments.of("range index 512", patch(GETBLKS, 56, 512), false, PccrrDecodeException.class,
            "BlockRanges[0]", 56),
        Arguments.of("range count 0 in range", patch(GETBLKS, 60, 0), false, PccrrDecodeException.class,
            "BlockRanges[0]", 56),
        Arguments.of("VRF size past end", patch(GETBLKS, 64, 5), false, MessageLengthException.class,
            "SizeOfDataForVrfBlock", 64),
        Arguments.of("transport Size differs", patch(BLK, 0, 196), true, MessageLengthException.class, "Size", 0),
        Arguments.of("transport Size over limit", patch(BLK, 0, 393_217), true, MessageLengthException.class,
            "Size", 0),
        Arguments.of("SizeOfBlock past end", patch(BLK, 0x40, 0x1000), true, MessageLengthException.class,
            "SizeOfBlock", 0x40),
        Arguments.of("SizeOfIVBlock past end", patch(BLK, 0xb8, 0x11), true, MessageLengthException.class,
            "SizeOfIVBlock", 0xb8),
        Arguments.of("segment count huge", patch(GETSEGLIST, 0x20, 1000), false, MessageLengthException.class,
            "CountOfSegmentIDs", 0x20),
        Arguments.of("segment range count 0", patch(SEGLIST, 0x2c, 0), true, PccrrDecodeException.class,
            "SegmentRanges[0]", 0x28),
        Arguments.of("blob size past end", patch(SEGLIST, 0x30, 0x0d), true, MessageLengthException.class,
            "SizeOfExtensibleBlob", 0x30));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rejectsWithFieldAndOffset(String name, byte[] wire, boolean response,
      Class<? extends PccrrDecodeException> type, String field, int offset) {
    ByteBuf buf = Unpooled.wrappedBuffer(wire);
    try {
      PccrrDecodeException e = assertThrows(PccrrDecodeException.class,
          () -> { if (response) { PccrrCodec.decodeResponse(buf); } else { PccrrCodec.decodeRequest(buf); } });
      assertInstanceOf(type, e);
      assertEquals(field, e.field(), e.getMessage());
      assertEquals(offset, e.offset(), e.getMessage());
      assertTrue(e.getMessage().startsWith(field + " at offset " + offset + ": "), e.getMessage());
      assertEquals(0, buf.readerIndex(), "nothing consumed");
    } finally {
      buf.release();
    }
  }
}
