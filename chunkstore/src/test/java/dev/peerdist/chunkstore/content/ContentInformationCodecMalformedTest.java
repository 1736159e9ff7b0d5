package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentInformationFormatException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed-input matrix and fragmentation for {@link ContentInformationCodec}. */
class ContentInformationCodecMalformedTest {
  private static final String V1 = "pccrc-2.3-tv2a-iis85-v1.hex";
  private static final String V2 = "pccrc-2.4-tv2b-iis85-v2.hex";
  private final ContentInformationCodec codec = ContentInformationCodec.standard();

  private ContentInformationFormatException reject(byte[] bytes, Reason reason, String field, long offset) {
    ContentInformationFormatException e =
        assertThrows(ContentInformationFormatException.class, () -> codec.decode(bytes));
    assertEquals(reason, e.reason(), e.getMessage());
    assertEquals(field, e.field(), e.getMessage());
    assertEquals(offset, e.offset(), e.getMessage());
    assertTrue(e.getMessage().contains(field) && e.getMessage().contains("offset " + offset), e.getMessage());
    return e;
  }

  private static byte[] patchLe32(byte[] b, int at, long v) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
    return c;
  }

  private static byte[] patchBe32(byte[] b, int at, long v) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).putInt(at, (int) v);
    return c;
  }

  private static byte[] patchBe64(byte[] b, int at, long v) {
    byte[] c = b.clone();
    ByteBuffer.wrap(c).putLong(at, v);
    return c;
  }

  @ParameterizedTest
  @ValueSource(strings = {V1, V2, "pccrc-2.3-tv3a-syn1-v1.hex", "pccrc-2.4-tv3d-syn3-v2.hex",
      "pccrc-3.7-tv3f-range-v2.hex"})
  void everyProperPrefixIsTruncatedAndNamesAnOffsetInsideIt(String name) {
    byte[] wire = Vectors.load(name);
    for (int len = 0; len < wire.length; len++) {
      byte[] prefix = Arrays.copyOf(wire, len);
      ByteBuffer buf = ByteBuffer.wrap(prefix);
      TruncatedContentInformationException e =
          assertThrows(TruncatedContentInformationException.class, () -> codec.decode(buf), "prefix " + len);
      assertTrue(e.offset() <= len, e.getMessage());
      assertEquals(0, buf.position(), "a failed decode consumes nothing");
    }
  }

  @Test
  void successConsumesTheWholeBufferFromItsPosition() {
    byte[] wire = Vectors.load(V1);
    byte[] framed = new byte[wire.length + 7];
    System.arraycopy(wire, 0, framed, 3, wire.length);
    ByteBuffer buf = ByteBuffer.wrap(framed, 3, wire.length);
    codec.decode(buf);
    assertEquals(3 + wire.length, buf.position());
  }

  @Test
  void unknownVersions() {
    byte[] v = Vectors.load(V1);
    v[1] = 0x03;
    reject(v, Reason.UNKNOWN_VERSION, "Version", 0);
    byte[] w = Vectors.load(V2);
    w[0] = 0x01; // minor 1 of V2 is not 0x0200
    reject(w, Reason.UNKNOWN_VERSION, "Version", 0);
  }

  @Test
  void unknownHashAlgorithms() {
    reject(patchLe32(Vectors.load(V1), 2, 0x8004), Reason.UNKNOWN_HASH_ALGORITHM, "dwHashAlgo", 2);
    byte[] w = Vectors.load(V2);
    w[2] = 0x01; // the obsolete 2012 SHA-256 id
    reject(w, Reason.UNKNOWN_HASH_ALGORITHM, "bHashAlgo", 2);
  }

  @Test
  void impossibleSegmentCountsAllocateNothing() {
    reject(patchLe32(Vectors.load(V1), 14, 0xFFFFFFFFL), Reason.TRUNCATED, "cSegments", 14);
    reject(patchLe32(Vectors.load(V1), 14, 2), Reason.TRUNCATED, "cSegments", 14);
    reject(patchLe32(Vectors.load(V1), 14, 0), Reason.INVALID_VALUE, "cSegments", 14);
  }

  @Test
  void v1SegmentFields() {
    reject(patchLe32(Vectors.load(V1), 30, 4096), Reason.INVALID_VALUE, "segment[0].cbBlockSize", 30);
    reject(patchLe32(Vectors.load(V1), 26, 0), Reason.INVALID_VALUE, "segment[0].cbSegment", 26);
    reject(patchLe32(Vectors.load(V1), 26, 0x2000001), Reason.INVALID_VALUE, "segment[0].cbSegment", 26);
    byte[] offGrid = Vectors.load(V1);
    offGrid[18] = 1;
    reject(offGrid, Reason.INVALID_VALUE, "segment[0].ullOffsetInContent", 18);
    byte[] huge = Vectors.load(V1);
    huge[25] = (byte) 0x80;
    reject(huge, Reason.OVERFLOW, "segment[0].ullOffsetInContent", 18);
  }

  @Test
  void v1BlockCounts() {
    reject(patchLe32(Vectors.load(V1), 98, 3), Reason.INVALID_VALUE, "segment[0].cBlocks", 98);
    // A short cBlocks leaves bytes behind.
    reject(patchLe32(Vectors.load(V1), 98, 1), Reason.TRAILING_BYTES, "end", 134);
    byte[] extra = Arrays.copyOf(Vectors.load(V1), 167);
    reject(extra, Reason.TRAILING_BYTES, "end", 166);
  }

  @Test
  void v1RangeFields() {
    reject(patchLe32(Vectors.load(V1), 6, 99710), Reason.INVALID_VALUE, "dwOffsetInFirstSegment", 6);
    byte[] b = patchLe32(Vectors.load(V1), 6, 10);
    reject(patchLe32(b, 10, 99701), Reason.INVALID_VALUE, "dwReadBytesInLastSegment", 10);
    // 10 + 99700 ends exactly at the segment end: accepted.
    assertEquals(new ByteRange(10, 99710), codec.decode(patchLe32(b, 10, 99700)).contentRange());
  }

  @Test
  void v2ChunkFields() {
    byte[] type = Vectors.load(V2);
    type[31] = 1;
    reject(type, Reason.INVALID_VALUE, "chunk[0].bChunkType", 31);
    reject(patchBe32(Vectors.load(V2), 32, 135), Reason.INVALID_VALUE, "chunk[0].dwChunkDataLength", 32);
    reject(patchBe32(Vectors.load(V2), 32, 0), Reason.INVALID_VALUE, "chunk[0].dwChunkDataLength", 32);
    reject(patchBe32(Vectors.load(V2), 32, 68 * 3), Reason.TRUNCATED, "chunk[0].dwChunkDataLength", 32);
    reject(patchBe32(Vectors.load(V2), 32, 0xFFFFFFCCL), Reason.TRUNCATED, "chunk[0].dwChunkDataLength", 32);
    reject(patchBe32(Vectors.load(V2), 104, 131073), Reason.INVALID_VALUE, "segment[1].cbSegment", 104);
    reject(patchBe32(Vectors.load(V2), 36, 0), Reason.INVALID_VALUE, "segment[0].cbSegment", 36);
    reject(Arrays.copyOf(Vectors.load(V2), 31), Reason.TRUNCATED, "ChunkDescription", 31);
    // A second, truncated chunk after a complete one.
    byte[] twoChunks = Arrays.copyOf(Vectors.load(V2), 172 + 3);
    reject(twoChunks, Reason.TRUNCATED, "chunk[1].dwChunkDataLength", 173);
  }

  @Test
  void v2HeaderFields() {
    reject(patchBe64(Vectors.load(V2), 3, -1L), Reason.OVERFLOW, "ullStartInContent", 3);
    reject(patchBe64(Vectors.load(V2), 11, 5), Reason.INVALID_VALUE, "ullIndexOfFirstSegment", 11);
    reject(patchBe64(Vectors.load(V2), 3, Long.MAX_VALUE - 5), Reason.INVALID_VALUE, "ullIndexOfFirstSegment", 11);
    byte[] nearEnd = patchBe64(patchBe64(Vectors.load(V2), 3, Long.MAX_VALUE - 50_000),
        11, (Long.MAX_VALUE - 50_000) / 1000);
    reject(nearEnd, Reason.OVERFLOW, "segment[1].cbSegment", 104);
    reject(patchBe32(Vectors.load(V2), 19, 39390), Reason.INVALID_VALUE, "dwOffsetInFirstSegment", 19);
    reject(patchBe64(Vectors.load(V2), 23, 99711), Reason.INVALID_VALUE, "ullLengthOfRange", 23);
    assertEquals(new ByteRange(0, 99710), codec.decode(patchBe64(Vectors.load(V2), 23, 99710)).contentRange());
  }

  @Test
  void severalV2ChunksRoundTrip() {
    byte[] one = Vectors.load(V2);
    // Re-chunk TV-2b's two segments into two chunks of one segment each.
    ByteBuffer b = ByteBuffer.allocate(one.length + 5);
    b.put(one, 0, 31).put((byte) 0).putInt(68).put(one, 36, 68).put((byte) 0).putInt(68).put(one, 104, 68);
    byte[] two = b.array();
    ContentInformation info = codec.decode(two);
    assertEquals(java.util.List.of(1, 1), info.chunkSegmentCounts());
    assertEquals(codec.decode(one).segments(), info.segments());
    assertTrue(Arrays.equals(two, codec.encode(info)));
  }

  @Test
  void sizeLimit() {
    ContentInformationCodec small = new ContentInformationCodec(165);
    ContentInformationFormatException e =
        assertThrows(ContentInformationFormatException.class, () -> small.decode(Vectors.load(V1)));
    assertEquals(Reason.TOO_LARGE, e.reason());
    assertThrows(IllegalArgumentException.class, () -> new ContentInformationCodec(10));
  }

  @Test
  void emptyAndOneByteInputs() {
    reject(new byte[0], Reason.TRUNCATED, "Version", 0);
    reject(new byte[] {0}, Reason.TRUNCATED, "Version", 0);
    reject(new byte[] {0, 1}, Reason.TRUNCATED, "dwHashAlgo", 2);
    reject(new byte[] {0, 2}, Reason.TRUNCATED, "bHashAlgo", 2);
  }
}
