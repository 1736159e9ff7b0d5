package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.Arrays;

/**
 * Fixed big-endian key layout of the RocksDB store.
 *
 * <pre>
 *   segment key:  len (1 byte: 32, 48 or 64) || segment id
 *   block key:    segment key || block index (4 bytes, big-endian, unsigned)
 * </pre>
 *
 * <p>The length byte keeps ids of different lengths apart (a 32-byte id is never a prefix of
 * a 48-byte one's key), and the big-endian index sorts a segment's blocks in order, so all keys
 * of one segment are contiguous.
 */
public final class KeyCodec {
  private KeyCodec() {}

  /** Key of a segment in the {@code segments}, {@code presence}, {@code pins} and {@code access} families. */
  public static byte[] segmentKey(SegmentId id) {
    byte[] raw = id.toBytes();
    byte[] key = new byte[1 + raw.length];
    key[0] = (byte) raw.length;
    System.arraycopy(raw, 0, key, 1, raw.length);
    return key;
  }

  /** Key of block {@code index} of segment {@code id} in the {@code blocks} family. */
  public static byte[] blockKey(SegmentId id, int index) {
    if (index < 0) {
      throw new IllegalArgumentException("block index " + index + " is negative");
    }
    byte[] raw = id.toBytes();
    byte[] key = new byte[1 + raw.length + 4];
    key[0] = (byte) raw.length;
    System.arraycopy(raw, 0, key, 1, raw.length);
    int o = 1 + raw.length;
    key[o] = (byte) (index >>> 24);
    key[o + 1] = (byte) (index >>> 16);
    key[o + 2] = (byte) (index >>> 8);
    key[o + 3] = (byte) index;
    return key;
  }

  /**
   * The segment id of a segment key.
   *
   * @throws IllegalArgumentException when the key is not length byte + that many id bytes
   */
  public static SegmentId segmentOf(byte[] segmentKey) {
    if (segmentKey.length < 1 || (segmentKey[0] & 0xFF) != segmentKey.length - 1) {
      throw new IllegalArgumentException("segment key of " + segmentKey.length
          + " bytes does not match its length byte " + (segmentKey.length == 0 ? "-" : segmentKey[0] & 0xFF));
    }
    return SegmentId.of(Arrays.copyOfRange(segmentKey, 1, segmentKey.length));
  }

  /** The segment id of a block key. */
  public static SegmentId segmentOfBlock(byte[] blockKey) {
    checkBlockKey(blockKey);
    return SegmentId.of(Arrays.copyOfRange(blockKey, 1, blockKey.length - 4));
  }

  /** The block index of a block key. */
  public static int indexOfBlock(byte[] blockKey) {
    checkBlockKey(blockKey);
    int o = blockKey.length - 4;
    return (blockKey[o] & 0xFF) << 24 | (blockKey[o + 1] & 0xFF) << 16 | (blockKey[o + 2] & 0xFF) << 8
        | (blockKey[o + 3] & 0xFF);
  }

  private static void checkBlockKey(byte[] key) {
    if (key.length < 5 || (key[0] & 0xFF) != key.length - 5) {
      throw new IllegalArgumentException("block key of " + key.length
          + " bytes does not match its length byte " + (key.length == 0 ? "-" : key[0] & 0xFF));
    }
  }
}
