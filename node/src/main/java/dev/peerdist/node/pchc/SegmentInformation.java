package dev.peerdist.node.pchc;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import java.util.ArrayList;
import java.util.List;

/**
 * The SegmentInformation of a SEGMENT_INFO_MESSAGE: a complete V1 content-information structure
 * (PROTOCOL.md §2.3, little-endian) describing exactly one segment (§6.3): the version and hash
 * algorithm of the original, {@code dwOffsetInFirstSegment} where the client's range began in the
 * segment, {@code dwReadBytesInLastSegment} = the bytes of the whole segment, {@code cSegments} =
 * 1, one SegmentDescription and its block-hash list. Immutable; arrays are copied in and out.
 *
 * @param algorithm dwHashAlgo (a V1 algorithm)
 * @param offsetInFirstSegment dwOffsetInFirstSegment
 * @param readBytesInLastSegment dwReadBytesInLastSegment
 * @param offsetInContent ullOffsetInContent of the segment
 * @param segmentLength cbSegment
 * @param hashOfData SegmentHashOfData (HoD)
 * @param segmentSecret SegmentSecret (Kp)
 * @param blockHashes the BlockHashes listed (the whole segment's, or a prefix when the client's
 *     own content information covered part of the segment)
 */
public record SegmentInformation(
    HashAlgorithm algorithm,
    long offsetInFirstSegment,
    long readBytesInLastSegment,
    long offsetInContent,
    int segmentLength,
    byte[] hashOfData,
    byte[] segmentSecret,
    List<byte[]> blockHashes) {

  /** Checks the values an encoder could not write or a decoder must not accept. */
  public SegmentInformation {
    if (algorithm == null || algorithm.version() != ContentVersion.V1) {
      throw new IllegalArgumentException("SegmentInformation needs a V1 hash algorithm, got " + algorithm);
    }
    if (segmentLength <= 0 || segmentLength > SegmentRecord.V1_SEGMENT_SIZE) {
      throw new IllegalArgumentException("cbSegment " + segmentLength + " outside 1.." + SegmentRecord.V1_SEGMENT_SIZE);
    }
    if (offsetInFirstSegment < 0 || offsetInFirstSegment >= segmentLength) {
      throw new IllegalArgumentException("dwOffsetInFirstSegment " + offsetInFirstSegment
          + " is not inside the " + segmentLength + "-byte segment");
    }
    if (readBytesInLastSegment < 0 || readBytesInLastSegment > segmentLength) {
      throw new IllegalArgumentException("dwReadBytesInLastSegment " + readBytesInLastSegment
          + " exceeds cbSegment " + segmentLength);
    }
    if (offsetInContent < 0) {
      throw new IllegalArgumentException("ullOffsetInContent " + Long.toUnsignedString(offsetInContent) + " out of range");
    }
    check("SegmentHashOfData", hashOfData, algorithm);
    check("SegmentSecret", segmentSecret, algorithm);
    int blocks = blockCountOf(segmentLength);
    if (blockHashes.isEmpty() || blockHashes.size() > blocks) {
      throw new IllegalArgumentException("cBlocks " + blockHashes.size() + " outside 1.." + blocks
          + " for a " + segmentLength + "-byte segment");
    }
    List<byte[]> copy = new ArrayList<>(blockHashes.size());
    for (int i = 0; i < blockHashes.size(); i++) {
      copy.add(check("BlockHash[" + i + "]", blockHashes.get(i), algorithm).clone());
    }
    hashOfData = hashOfData.clone();
    segmentSecret = segmentSecret.clone();
    blockHashes = List.copyOf(copy);
  }

  /**
   * The SegmentInformation a client sends for a segment it holds completely: offset 0, {@code
   * dwReadBytesInLastSegment} = cbSegment, every block hash. The segment's offset in its content
   * is not kept in a record and carries no meaning for the hosted cache, so it is written as 0.
   */
  public static SegmentInformation of(SegmentRecord record) {
    List<byte[]> hashes = new ArrayList<>(record.blockCount());
    for (int i = 0; i < record.blockCount(); i++) {
      hashes.add(record.blockHash(i));
    }
    return new SegmentInformation(record.algorithm(), 0, record.segmentLength(), 0, record.segmentLength(),
        record.hashOfData(), record.segmentSecret(), hashes);
  }

  /** True when every block of the segment has its hash listed (a hosted cache can verify them all). */
  public boolean complete() {
    return blockHashes.size() == blockCountOf(segmentLength);
  }

  /**
   * The store record of the segment, which checks the chain block hashes → HoD → HoHoDk.
   *
   * @throws IllegalArgumentException when the hashes are incomplete or do not hash to HoD
   */
  public SegmentRecord toRecord() {
    if (!complete()) {
      throw new IllegalArgumentException("only " + blockHashes.size() + " of " + blockCountOf(segmentLength)
          + " block hashes listed");
    }
    return SegmentRecord.v1(algorithm, hashOfData, segmentSecret, segmentLength, blockHashes);
  }

  @Override
  public byte[] hashOfData() {
    return hashOfData.clone();
  }

  @Override
  public byte[] segmentSecret() {
    return segmentSecret.clone();
  }

  static int blockCountOf(int segmentLength) {
    return (segmentLength + SegmentRecord.V1_BLOCK_SIZE - 1) / SegmentRecord.V1_BLOCK_SIZE;
  }

  private static byte[] check(String field, byte[] value, HashAlgorithm algorithm) {
    if (value == null || value.length != algorithm.length()) {
      throw new IllegalArgumentException(field + " must be " + algorithm.length() + " bytes for " + algorithm
          + ", got " + (value == null ? "null" : value.length));
    }
    return value;
  }
}
