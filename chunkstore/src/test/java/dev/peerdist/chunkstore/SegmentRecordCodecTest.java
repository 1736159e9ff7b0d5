package dev.peerdist.chunkstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SegmentRecordCodecTest {
  private final SplittableRandom random = new SplittableRandom(5);

  @Test
  void roundTripsEveryAlgorithm() {
    for (HashAlgorithm a : new HashAlgorithm[] {HashAlgorithm.SHA_256, HashAlgorithm.SHA_384, HashAlgorithm.SHA_512}) {
      SegmentRecord r = TestSegments.v1(random, a, 3 * 65536 + 7).record();
      byte[] bytes = SegmentRecordCodec.encode(r);
      assertEquals(SegmentRecordCodec.encodedLength(r), bytes.length);
      assertEquals(6 + 2 * a.length() + 4 + 4 * a.length(), bytes.length);
      SegmentRecord back = SegmentRecordCodec.decode(bytes);
      assertEquals(r.id(), back.id());
      assertEquals(r.segmentLength(), back.segmentLength());
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(r.blockHash(i), back.blockHash(i));
      }
    }
    SegmentRecord v2 = TestSegments.v2(random, 999).record();
    byte[] bytes = SegmentRecordCodec.encode(v2);
    assertEquals(6 + 64 + 4, bytes.length);
    assertEquals(v2.id(), SegmentRecordCodec.decode(bytes).id());
  }

  @Test
  void layoutIsFixedBigEndian() {
    SegmentRecord r = TestSegments.v1(random, HashAlgorithm.SHA_256, 65536 + 1).record();
    ByteBuffer b = ByteBuffer.wrap(SegmentRecordCodec.encode(r));
    assertEquals(1, b.get(0));
    assertEquals(1, b.get(1));
    assertEquals(65537, b.getInt(2));
    assertArrayEquals(r.hashOfData(), Arrays.copyOfRange(b.array(), 6, 38));
    assertArrayEquals(r.segmentSecret(), Arrays.copyOfRange(b.array(), 38, 70));
    assertEquals(2, b.getInt(70));
    assertArrayEquals(r.blockHash(1), Arrays.copyOfRange(b.array(), 106, 138));
  }

  @Test
  void damagedBytesGetMessagesNamingTheField() {
    byte[] good = SegmentRecordCodec.encode(TestSegments.v1(random, HashAlgorithm.SHA_256, 65536).record());
    assertMessage("shorter than its 6-byte header", new byte[3]);
    byte[] fmt = good.clone();
    fmt[0] = 2;
    assertMessage("format 2 at offset 0", fmt);
    byte[] alg = good.clone();
    alg[1] = 9;
    assertMessage("algorithm code 9 at offset 1", alg);
    byte[] count = good.clone();
    ByteBuffer.wrap(count).putInt(70, 100_000);
    assertMessage("hash count 100000 at offset 70", count);
    assertMessage("its fields say", Arrays.copyOf(good, good.length - 1));
    assertMessage("ends before the hash count", Arrays.copyOf(good, 40));
    byte[] hash = good.clone();
    hash[80] ^= 1;
    assertMessage("SegmentHashOfData", hash);
  }

  private static void assertMessage(String part, byte[] bytes) {
    var e = assertThrows(IllegalArgumentException.class, () -> SegmentRecordCodec.decode(bytes));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
