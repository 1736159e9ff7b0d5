package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class KeyCodecTest {
  private static SegmentId id(int length, int fill) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) fill);
    return SegmentId.of(b);
  }

  @Test
  void layoutIsLengthIdIndexBigEndian() {
    SegmentId id = id(32, 0xAB);
    byte[] key = KeyCodec.blockKey(id, 0x01020304);
    assertEquals(37, key.length);
    assertEquals(32, key[0]);
    assertEquals((byte) 0xAB, key[1]);
    assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOfRange(key, 33, 37));
    assertEquals(id, KeyCodec.segmentOfBlock(key));
    assertEquals(0x01020304, KeyCodec.indexOfBlock(key));
    assertEquals(id, KeyCodec.segmentOf(KeyCodec.segmentKey(id)));
    assertEquals(511, KeyCodec.indexOfBlock(KeyCodec.blockKey(id(64, 1), 511)));
  }

  @Test
  void blocksOfASegmentSortInIndexOrderAndApartFromLongerIds() {
    SegmentId shortId = id(32, 0);
    SegmentId longId = id(48, 0);
    assertTrue(Arrays.compareUnsigned(KeyCodec.blockKey(shortId, 255), KeyCodec.blockKey(shortId, 256)) < 0);
    assertTrue(Arrays.compareUnsigned(KeyCodec.blockKey(shortId, 511), KeyCodec.blockKey(longId, 0)) < 0,
        "the length byte separates ids that share a prefix");
  }

  @Test
  void malformedKeysAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> KeyCodec.segmentOf(new byte[0]));
    assertThrows(IllegalArgumentException.class, () -> KeyCodec.segmentOf(new byte[] {32, 1, 2}));
    assertThrows(IllegalArgumentException.class, () -> KeyCodec.indexOfBlock(new byte[] {0, 0, 0}));
    assertThrows(IllegalArgumentException.class, () -> KeyCodec.blockKey(id(32, 0), -1));
  }
}
