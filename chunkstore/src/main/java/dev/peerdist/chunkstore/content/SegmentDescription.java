package dev.peerdist.chunkstore.content;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One segment of a {@link ContentInformation}: where it lies in the content, its length, its hash
 * of data (HoD), its segment secret (Kp) and, for V1, the hashes of its 64 KiB blocks
 * (PROTOCOL.md §2.3 SegmentDescription + SegmentContentBlocks, §2.4 SegmentDescription V2).
 *
 * <p>A V1 description made from a range response may list only a prefix of the block hashes
 * (PROTOCOL.md §2.3, "the list may stop early"); {@link #hasAllBlockHashes()} tells. A V2 segment is
 * one block (index 0) whose hash is HoD itself (§2.1, §4.6).
 *
 * <p>Immutable: every accessor that returns an array returns a copy.
 */
public final class SegmentDescription {
  /** V1 block size, [MS-PCCRC] 2.1 (PROTOCOL.md §2.1). */
  public static final int V1_BLOCK_SIZE = 0x10000;
  /** V1 segment size, [MS-PCCRC] 2.1 (PROTOCOL.md §2.1). */
  public static final int V1_SEGMENT_SIZE = 0x2000000;
  /** Largest V2 segment, [MS-PCCRC] 2.4.1.2 (PROTOCOL.md §2.1). */
  public static final int V2_MAX_SEGMENT_SIZE = 128 * 1024;

  private final HashAlgorithm algorithm;
  private final long offsetInContent;
  private final int segmentLength;
  private final byte[] hashOfData;
  private final byte[] segmentSecret;
  private final List<byte[]> blockHashes;
  private volatile SegmentId id;

  private SegmentDescription(
      HashAlgorithm algorithm, long offset, int length, byte[] hod, byte[] kp, List<byte[]> hashes) {
    this.algorithm = algorithm;
    this.offsetInContent = offset;
    this.segmentLength = length;
    this.hashOfData = hod;
    this.segmentSecret = kp;
    this.blockHashes = hashes;
  }

  /**
   * A V1 segment. {@code blockHashes} may be a prefix of the segment's blocks (range responses).
   *
   * @throws IllegalArgumentException naming the field that is out of bounds
   */
  public static SegmentDescription v1(
      HashAlgorithm algorithm, long offsetInContent, int cbSegment, byte[] hashOfData,
      byte[] segmentSecret, List<byte[]> blockHashes) {
    if (algorithm.version() != ContentVersion.V1) {
      throw new IllegalArgumentException("V1 segment with V2 hash algorithm " + algorithm);
    }
    if (cbSegment <= 0 || cbSegment > V1_SEGMENT_SIZE) {
      throw new IllegalArgumentException("cbSegment " + cbSegment + " outside 1.." + V1_SEGMENT_SIZE);
    }
    checkOffset(offsetInContent, cbSegment);
    int blocks = blockCountOf(cbSegment);
    if (blockHashes.size() > blocks) {
      throw new IllegalArgumentException(
          "cBlocks " + blockHashes.size() + " exceeds the " + blocks + " blocks of a " + cbSegment + "-byte segment");
    }
    List<byte[]> copy = new ArrayList<>(blockHashes.size());
    for (int i = 0; i < blockHashes.size(); i++) {
      copy.add(checkLength("BlockHash[" + i + "]", blockHashes.get(i), algorithm).clone());
    }
    return new SegmentDescription(algorithm, offsetInContent, cbSegment,
        checkLength("SegmentHashOfData", hashOfData, algorithm).clone(),
        checkLength("SegmentSecret", segmentSecret, algorithm).clone(),
        Collections.unmodifiableList(copy));
  }

  /**
   * A V2 segment (truncated SHA-512, at most 128 KiB).
   *
   * @throws IllegalArgumentException naming the field that is out of bounds
   */
  public static SegmentDescription v2(
      long offsetInContent, int cbSegment, byte[] hashOfData, byte[] segmentSecret) {
    HashAlgorithm algorithm = HashAlgorithm.TRUNCATED_SHA_512;
    if (cbSegment <= 0 || cbSegment > V2_MAX_SEGMENT_SIZE) {
      throw new IllegalArgumentException("cbSegment " + cbSegment + " outside 1.." + V2_MAX_SEGMENT_SIZE);
    }
    checkOffset(offsetInContent, cbSegment);
    return new SegmentDescription(algorithm, offsetInContent, cbSegment,
        checkLength("SegmentHashOfData", hashOfData, algorithm).clone(),
        checkLength("SegmentSecret", segmentSecret, algorithm).clone(), List.of());
  }

  /** Builds a description from values the caller has already checked and will not share. */
  static SegmentDescription trusted(
      HashAlgorithm algorithm, long offset, int length, byte[] hod, byte[] kp, List<byte[]> hashes) {
    return new SegmentDescription(algorithm, offset, length, hod, kp, Collections.unmodifiableList(hashes));
  }

  private static void checkOffset(long offset, int length) {
    if (offset < 0 || offset > Long.MAX_VALUE - length) {
      throw new IllegalArgumentException("ullOffsetInContent " + Long.toUnsignedString(offset) + " out of range");
    }
  }

  private static byte[] checkLength(String field, byte[] value, HashAlgorithm algorithm) {
    if (value == null || value.length != algorithm.length()) {
      throw new IllegalArgumentException(field + " must be " + algorithm.length() + " bytes for "
          + algorithm + ", got " + (value == null ? "null" : value.length));
    }
    return value;
  }

  static int blockCountOf(int cbSegment) {
    return (cbSegment + V1_BLOCK_SIZE - 1) / V1_BLOCK_SIZE;
  }

  public HashAlgorithm algorithm() {
    return algorithm;
  }

  public ContentVersion version() {
    return algorithm.version();
  }

  /** Absolute offset of the segment's first byte in the content. */
  public long offsetInContent() {
    return offsetInContent;
  }

  /** cbSegment: the full length of the segment, even when only part of it is in a range. */
  public int segmentLength() {
    return segmentLength;
  }

  /** The bytes of the content this segment covers. */
  public ByteRange range() {
    return new ByteRange(offsetInContent, offsetInContent + segmentLength);
  }

  /** A copy of HoD. */
  public byte[] hashOfData() {
    return hashOfData.clone();
  }

  /** A copy of Kp, the segment secret (the PCCRR key material). */
  public byte[] segmentSecret() {
    return segmentSecret.clone();
  }

  /** The segment ID HoHoDk = HMAC(Kp, HoD || C2), computed once (PROTOCOL.md §2.2). */
  public SegmentId segmentId() {
    SegmentId s = id;
    if (s == null) {
      s = PccrcKeys.segmentId(algorithm, segmentSecret, hashOfData);
      id = s;
    }
    return s;
  }

  /** Number of blocks: ceil(cbSegment / 64 KiB) for V1, 1 for V2 (PROTOCOL.md §2.1). */
  public int blockCount() {
    return version() == ContentVersion.V1 ? blockCountOf(segmentLength) : 1;
  }

  /** Nominal block size: 64 KiB for V1, the segment length for V2. */
  public int blockSize() {
    return version() == ContentVersion.V1 ? V1_BLOCK_SIZE : segmentLength;
  }

  /** Length of block {@code index}; only the last block of a V1 segment may be shorter. */
  public int blockLength(int index) {
    checkIndex(index);
    int size = blockSize();
    return (int) Math.min(size, (long) segmentLength - (long) index * size);
  }

  /** Absolute content bytes of block {@code index}. */
  public ByteRange blockRange(int index) {
    checkIndex(index);
    long start = offsetInContent + (long) index * blockSize();
    return new ByteRange(start, start + blockLength(index));
  }

  /** Number of V1 block hashes listed (cBlocks); for V2 always 1 (HoD serves as block hash). */
  public int listedBlockHashCount() {
    return version() == ContentVersion.V1 ? blockHashes.size() : 1;
  }

  /** True when every block's hash is known, so HoD can be checked and every block verified. */
  public boolean hasAllBlockHashes() {
    return listedBlockHashCount() == blockCount();
  }

  /**
   * A copy of the expected hash of block {@code index}: the listed V1 block hash, or HoD for V2.
   *
   * @throws IndexOutOfBoundsException when the index is outside the listed hashes
   */
  public byte[] blockHash(int index) {
    if (version() == ContentVersion.V2) {
      checkIndex(index);
      return hashOfData.clone();
    }
    if (index < 0 || index >= blockHashes.size()) {
      throw new IndexOutOfBoundsException(
          "block " + index + " has no listed hash (" + blockHashes.size() + " of " + blockCount() + " listed)");
    }
    return blockHashes.get(index).clone();
  }

  /** Copies of the listed V1 block hashes, in block order; empty for V2. */
  public List<byte[]> blockHashes() {
    List<byte[]> out = new ArrayList<>(blockHashes.size());
    for (byte[] h : blockHashes) {
      out.add(h.clone());
    }
    return out;
  }

  /**
   * True when the listed block hashes hash to HoD (V1 with all hashes listed). V2 HoD covers the
   * segment bytes, so it can only be checked against the data: always false for V2.
   */
  public boolean blockHashesMatchHashOfData() {
    return version() == ContentVersion.V1 && hasAllBlockHashes()
        && MessageDigest.isEqual(PccrcKeys.v1HashOfData(algorithm, blockHashes), hashOfData);
  }

  /**
   * True when {@code data[offset, offset+length)} is exactly block {@code index}: the right length
   * and the right hash (PROTOCOL.md §2.2 verification rule; for V2 the block is the segment).
   */
  public boolean verifyBlock(int index, byte[] data, int offset, int length) {
    if (index < 0 || index >= listedBlockHashCount() || length != blockLength(index)) {
      return false;
    }
    MessageDigest d = algorithm.newDigest();
    d.update(data, offset, length);
    byte[] expected = version() == ContentVersion.V1 ? blockHashes.get(index) : hashOfData;
    return MessageDigest.isEqual(algorithm.finish(d), expected);
  }

  // Package-private, uncopied views for the codec.
  byte[] rawHashOfData() {
    return hashOfData;
  }

  byte[] rawSegmentSecret() {
    return segmentSecret;
  }

  List<byte[]> rawBlockHashes() {
    return blockHashes;
  }

  /** The same segment with only the first {@code count} block hashes (V1 range responses). */
  SegmentDescription withBlockHashPrefix(int count) {
    if (version() != ContentVersion.V1 || count == blockHashes.size()) {
      return this;
    }
    return new SegmentDescription(algorithm, offsetInContent, segmentLength, hashOfData, segmentSecret,
        blockHashes.subList(0, count));
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= blockCount()) {
      throw new IndexOutOfBoundsException("block index " + index + " outside 0.." + (blockCount() - 1));
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SegmentDescription other)) {
      return false;
    }
    if (algorithm != other.algorithm || offsetInContent != other.offsetInContent
        || segmentLength != other.segmentLength || blockHashes.size() != other.blockHashes.size()
        || !MessageDigest.isEqual(hashOfData, other.hashOfData)
        || !MessageDigest.isEqual(segmentSecret, other.segmentSecret)) {
      return false;
    }
    for (int i = 0; i < blockHashes.size(); i++) {
      if (!MessageDigest.isEqual(blockHashes.get(i), other.blockHashes.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(hashOfData) * 31 + Long.hashCode(offsetInContent);
  }

  @Override
  public String toString() {
    return "Segment{offset " + offsetInContent + ", " + segmentLength + " bytes, " + listedBlockHashCount()
        + "/" + blockCount() + " block hashes, id " + segmentId() + "}";
  }
}
