package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * peerdist's own at-rest encoding of a {@link SegmentRecord} (not a wire format). Big-endian,
 * fixed layout, n = the algorithm's hash length:
 *
 * <pre>
 *   offset  size   field
 *   0       1      format, always 1
 *   1       1      algorithm: 1 SHA-256, 2 SHA-384, 3 SHA-512 (V1), 4 truncated SHA-512 (V2)
 *   2       4      cbSegment
 *   6       n      HoD
 *   6+n     n      Kp
 *   6+2n    4      number of block hashes that follow: cBlocks for V1, 0 for V2 (its hash is HoD)
 *   10+2n   k*n    block hashes, in order
 * </pre>
 *
 * <p>Decoding rebuilds the record through {@link SegmentRecord#v1}/{@link SegmentRecord#v2}, so
 * the whole hash chain (hashes → HoD → segment id) is checked again: a damaged record cannot
 * come back under its old id.
 */
public final class SegmentRecordCodec {
  /** The only format so far. */
  public static final int FORMAT = 1;

  private static final int HEADER = 6;
  private static final int MAX_V1_BLOCKS = SegmentRecord.V1_SEGMENT_SIZE / SegmentRecord.V1_BLOCK_SIZE;

  private SegmentRecordCodec() {}

  /** The encoded form of {@code record}. */
  public static byte[] encode(SegmentRecord record) {
    HashAlgorithm a = record.algorithm();
    int n = a.length();
    int hashes = record.version() == ContentVersion.V1 ? record.blockCount() : 0;
    ByteBuffer b = ByteBuffer.allocate(encodedLength(a, hashes));
    b.put((byte) FORMAT).put((byte) code(a)).putInt(record.segmentLength());
    b.put(record.hashOfData()).put(record.segmentSecret()).putInt(hashes);
    for (int i = 0; i < hashes; i++) {
      b.put(record.blockHash(i));
    }
    assert b.remaining() == 0 && n > 0;
    return b.array();
  }

  /** Length of {@link #encode}'s output for {@code record}, without encoding it. */
  public static int encodedLength(SegmentRecord record) {
    return encodedLength(
        record.algorithm(), record.version() == ContentVersion.V1 ? record.blockCount() : 0);
  }

  private static int encodedLength(HashAlgorithm a, int hashes) {
    return HEADER + 2 * a.length() + 4 + hashes * a.length();
  }

  /**
   * Decodes a whole encoded record.
   *
   * @throws IllegalArgumentException naming the field and offset when the bytes are not a valid
   *     record (wrong format, unknown algorithm, impossible count, wrong length, broken chain)
   */
  public static SegmentRecord decode(byte[] bytes) {
    if (bytes.length < HEADER) {
      throw new IllegalArgumentException(
          "segment record of " + bytes.length + " bytes is shorter than its " + HEADER + "-byte header");
    }
    if (bytes[0] != FORMAT) {
      throw new IllegalArgumentException("segment record format " + bytes[0] + " at offset 0 is not " + FORMAT);
    }
    HashAlgorithm a = algorithm(bytes[1]);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int segmentLength = b.getInt(2);
    int n = a.length();
    int countOffset = HEADER + 2 * n;
    if (bytes.length < countOffset + 4) {
      throw new IllegalArgumentException(
          "segment record of " + bytes.length + " bytes ends before the hash count at offset " + countOffset);
    }
    int count = b.getInt(countOffset);
    int maxCount = a.version() == ContentVersion.V1 ? MAX_V1_BLOCKS : 0;
    if (count < 0 || count > maxCount) {
      throw new IllegalArgumentException(
          "segment record hash count " + count + " at offset " + countOffset + " outside 0.." + maxCount);
    }
    int expected = encodedLength(a, count);
    if (bytes.length != expected) {
      throw new IllegalArgumentException(
          "segment record is " + bytes.length + " bytes, its fields say " + expected);
    }
    byte[] hod = Arrays.copyOfRange(bytes, HEADER, HEADER + n);
    byte[] kp = Arrays.copyOfRange(bytes, HEADER + n, HEADER + 2 * n);
    if (a.version() == ContentVersion.V2) {
      return SegmentRecord.v2(hod, kp, segmentLength);
    }
    List<byte[]> hashes = new ArrayList<>(count);
    for (int i = 0, off = countOffset + 4; i < count; i++, off += n) {
      hashes.add(Arrays.copyOfRange(bytes, off, off + n));
    }
    return SegmentRecord.v1(a, hod, kp, segmentLength, hashes);
  }

  private static int code(HashAlgorithm a) {
    return switch (a) {
      case SHA_256 -> 1;
      case SHA_384 -> 2;
      case SHA_512 -> 3;
      case TRUNCATED_SHA_512 -> 4;
    };
  }

  private static HashAlgorithm algorithm(byte code) {
    return switch (code) {
      case 1 -> HashAlgorithm.SHA_256;
      case 2 -> HashAlgorithm.SHA_384;
      case 3 -> HashAlgorithm.SHA_512;
      case 4 -> HashAlgorithm.TRUNCATED_SHA_512;
      default -> throw new IllegalArgumentException("segment record algorithm code " + code + " at offset 1 is unknown");
    };
  }
}
