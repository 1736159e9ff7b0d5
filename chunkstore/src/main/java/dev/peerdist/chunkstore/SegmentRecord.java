package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentId;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * What the store keeps about one segment: everything needed to verify its blocks, answer PCCRR
 * and PCCRD for it, and hand its bytes back (PROTOCOL.md §2.2, §2.3, §2.4).
 *
 * <p>The factory checks the whole chain: each block hash has the algorithm's length, for V1 the
 * block hashes hash to HoD, and the segment id is HMAC(Kp, HoD || C2). A record therefore cannot
 * name blocks under an id that does not belong to them. For V2 the segment is one block (index
 * 0) whose hash is HoD itself.
 */
public final class SegmentRecord {
  /** V1 block size, [MS-PCCRC] 2.1. */
  public static final int V1_BLOCK_SIZE = 0x10000;
  /** V1 segment size, [MS-PCCRC] 2.1. */
  public static final int V1_SEGMENT_SIZE = 0x2000000;
  /** Largest V2 segment, [MS-PCCRC] 2.4.1.2. */
  public static final int V2_MAX_SEGMENT_SIZE = 128 * 1024;

  private final SegmentId id;
  private final HashAlgorithm algorithm;
  private final byte[] hashOfData;
  private final byte[] segmentSecret;
  private final int segmentLength;
  private final List<byte[]> blockHashes;

  private SegmentRecord(
      SegmentId id, HashAlgorithm algorithm, byte[] hod, byte[] kp, int length, List<byte[]> hashes) {
    this.id = id;
    this.algorithm = algorithm;
    this.hashOfData = hod;
    this.segmentSecret = kp;
    this.segmentLength = length;
    this.blockHashes = hashes;
  }

  /**
   * A V1 segment with its complete block-hash list.
   *
   * @throws IllegalArgumentException naming the field that is inconsistent
   */
  public static SegmentRecord v1(
      HashAlgorithm algorithm, byte[] hashOfData, byte[] segmentSecret, int segmentLength,
      List<byte[]> blockHashes) {
    if (algorithm.version() != ContentVersion.V1) {
      throw new IllegalArgumentException("V1 segment with V2 hash algorithm " + algorithm);
    }
    if (segmentLength <= 0 || segmentLength > V1_SEGMENT_SIZE) {
      throw new IllegalArgumentException("cbSegment " + segmentLength + " outside 1.." + V1_SEGMENT_SIZE);
    }
    int expectedBlocks = (segmentLength + V1_BLOCK_SIZE - 1) / V1_BLOCK_SIZE;
    if (blockHashes.size() != expectedBlocks) {
      throw new IllegalArgumentException(
          "cBlocks " + blockHashes.size() + " but a " + segmentLength + "-byte segment has " + expectedBlocks);
    }
    List<byte[]> copy = new ArrayList<>(blockHashes.size());
    for (int i = 0; i < blockHashes.size(); i++) {
      byte[] h = blockHashes.get(i);
      checkLength("BlockHash[" + i + "]", h, algorithm);
      copy.add(h.clone());
    }
    checkLength("SegmentHashOfData", hashOfData, algorithm);
    checkLength("SegmentSecret", segmentSecret, algorithm);
    if (!MessageDigest.isEqual(PccrcKeys.v1HashOfData(algorithm, copy), hashOfData)) {
      throw new IllegalArgumentException("block hashes do not hash to SegmentHashOfData");
    }
    SegmentId id = PccrcKeys.segmentId(algorithm, segmentSecret, hashOfData);
    return new SegmentRecord(id, algorithm, hashOfData.clone(), segmentSecret.clone(), segmentLength,
        List.copyOf(copy));
  }

  /**
   * A V2 segment (one block, index 0, whose hash is HoD).
   *
   * @throws IllegalArgumentException naming the field that is inconsistent
   */
  public static SegmentRecord v2(byte[] hashOfData, byte[] segmentSecret, int segmentLength) {
    HashAlgorithm algorithm = HashAlgorithm.TRUNCATED_SHA_512;
    if (segmentLength <= 0 || segmentLength > V2_MAX_SEGMENT_SIZE) {
      throw new IllegalArgumentException(
          "cbSegment " + segmentLength + " outside 1.." + V2_MAX_SEGMENT_SIZE);
    }
    checkLength("SegmentHashOfData", hashOfData, algorithm);
    checkLength("SegmentSecret", segmentSecret, algorithm);
    SegmentId id = PccrcKeys.segmentId(algorithm, segmentSecret, hashOfData);
    return new SegmentRecord(id, algorithm, hashOfData.clone(), segmentSecret.clone(), segmentLength,
        List.of(hashOfData.clone()));
  }

  private static void checkLength(String field, byte[] value, HashAlgorithm algorithm) {
    if (value == null || value.length != algorithm.length()) {
      throw new IllegalArgumentException(field + " must be " + algorithm.length() + " bytes for "
          + algorithm + ", got " + (value == null ? "null" : value.length));
    }
  }

  public SegmentId id() {
    return id;
  }

  public HashAlgorithm algorithm() {
    return algorithm;
  }

  public ContentVersion version() {
    return algorithm.version();
  }

  /** A copy of HoD. */
  public byte[] hashOfData() {
    return hashOfData.clone();
  }

  /** A copy of Kp, the segment secret (also the PCCRR encryption key material Ke). */
  public byte[] segmentSecret() {
    return segmentSecret.clone();
  }

  /** cbSegment. */
  public int segmentLength() {
    return segmentLength;
  }

  /** Number of blocks: ceil(cbSegment / 64 KiB) for V1, 1 for V2. */
  public int blockCount() {
    return blockHashes.size();
  }

  /** Nominal block size: 64 KiB for V1, the segment length for V2. */
  public int blockSize() {
    return version() == ContentVersion.V1 ? V1_BLOCK_SIZE : segmentLength;
  }

  /** Length of block {@code index}; only the last V1 block may be shorter. */
  public int blockLength(int index) {
    checkIndex(index);
    int size = blockSize();
    return (int) Math.min(size, (long) segmentLength - (long) index * size);
  }

  /** A copy of the expected hash of block {@code index} (HoD for a V2 segment). */
  public byte[] blockHash(int index) {
    checkIndex(index);
    return blockHashes.get(index).clone();
  }

  /** True when {@code data} is exactly block {@code index}: right length and right hash. */
  public boolean verifies(int index, byte[] data, int offset, int length) {
    checkIndex(index);
    if (length != blockLength(index)) {
      return false;
    }
    MessageDigest d = algorithm.newDigest();
    d.update(data, offset, length);
    return MessageDigest.isEqual(algorithm.finish(d), blockHashes.get(index));
  }

  /**
   * The block as a {@link VerifiedBlock} when {@code data[offset, offset+length)} is exactly block
   * {@code index} (as {@link #verifies}), else null. The array is kept, not copied.
   */
  public VerifiedBlock verify(int index, byte[] data, int offset, int length) {
    return verifies(index, data, offset, length) ? new VerifiedBlock(this, index, data, offset, length, null) : null;
  }

  /**
   * Decrypts a block received encrypted (a PCCRR MSG_BLK, PROTOCOL.md §4.5) with this segment's
   * Kp and checks it: the plaintext's first {@code blockLength(index)} bytes must hash to the
   * block's hash; the padding is not checked (iPXE's rule, PROTOCOL.md §4.6). Null when it does
   * not verify. When the label is AES-256 and the ciphertext is exactly the padded block, the
   * result keeps {@code iv || cipherText}, the store's own stored form, so the store need not
   * encrypt it again.
   *
   * @throws IllegalArgumentException when the label is not an AES label, the IV is not 16 bytes
   *     or the ciphertext is not a whole number of AES blocks at least the block's length
   */
  public VerifiedBlock openSealed(int index, int cryptoAlgoId, byte[] iv, byte[] cipherText) {
    int length = blockLength(index);
    BlockCipher.Opened o = BlockCipher.open(cryptoAlgoId, segmentSecret, iv, cipherText, 0, cipherText.length, length);
    if (!verifies(index, o.plaintext(), 0, length)) {
      return null;
    }
    byte[] sealed = null;
    if (cryptoAlgoId == BlockCipher.SERVE_ALGORITHM && o.padded()) {
      sealed = new byte[iv.length + cipherText.length];
      System.arraycopy(iv, 0, sealed, 0, iv.length);
      System.arraycopy(cipherText, 0, sealed, iv.length, cipherText.length);
    }
    return new VerifiedBlock(this, index, o.plaintext(), 0, length, sealed);
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= blockHashes.size()) {
      throw new IndexOutOfBoundsException(
          "block index " + index + " outside 0.." + (blockHashes.size() - 1) + " of segment " + id);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SegmentRecord other && id.equals(other.id) && segmentLength == other.segmentLength;
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "SegmentRecord{" + id + ", " + algorithm + ", " + segmentLength + " bytes, "
        + blockCount() + " blocks}";
  }
}
