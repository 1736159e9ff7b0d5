package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Random content with real PCCRC hashes, for store tests in any module: block hashes with
 * {@link HashAlgorithm}, HoD, Kp and HoHoDk with {@link PccrcKeys} (PROTOCOL.md §2.2).
 */
public final class TestSegments {
  /** A segment record together with the plaintext of each of its blocks. */
  public record Segment(SegmentRecord record, List<byte[]> blocks) {
    public byte[] block(int index) {
      return blocks.get(index).clone();
    }
  }

  private TestSegments() {}

  /** A V1 segment of {@code length} random bytes, cut into 64 KiB blocks. */
  public static Segment v1(RandomGenerator random, HashAlgorithm algorithm, int length) {
    byte[] content = new byte[length];
    random.nextBytes(content);
    List<byte[]> blocks = new ArrayList<>();
    List<byte[]> hashes = new ArrayList<>();
    for (int off = 0; off < length; off += SegmentRecord.V1_BLOCK_SIZE) {
      int n = Math.min(SegmentRecord.V1_BLOCK_SIZE, length - off);
      byte[] b = java.util.Arrays.copyOfRange(content, off, off + n);
      blocks.add(b);
      hashes.add(algorithm.hash(b));
    }
    byte[] hod = PccrcKeys.v1HashOfData(algorithm, hashes);
    byte[] ks = PccrcKeys.serverSecret(algorithm, "peerdist test secret".getBytes());
    byte[] kp = PccrcKeys.segmentSecret(algorithm, ks, hod);
    return new Segment(SegmentRecord.v1(algorithm, hod, kp, length, hashes), blocks);
  }

  /** A V1 SHA-256 segment of {@code blocks} full 64 KiB blocks. */
  public static Segment v1(RandomGenerator random, int blocks) {
    return v1(random, HashAlgorithm.SHA_256, blocks * SegmentRecord.V1_BLOCK_SIZE);
  }

  /** A V2 segment (one block) of {@code length} random bytes. */
  public static Segment v2(RandomGenerator random, int length) {
    HashAlgorithm a = HashAlgorithm.TRUNCATED_SHA_512;
    byte[] content = new byte[length];
    random.nextBytes(content);
    byte[] hod = a.hash(content);
    byte[] ks = PccrcKeys.serverSecret(a, "peerdist test secret".getBytes());
    byte[] kp = PccrcKeys.segmentSecret(a, ks, hod);
    return new Segment(SegmentRecord.v2(hod, kp, length), List.of(content));
  }

  /** Bytes a store accounts for when it holds the record and the given blocks of {@code s}. */
  public static long footprint(Segment s, int... heldBlocks) {
    long total = CapacityLedger.recordFootprint(s.record());
    for (int i : heldBlocks) {
      total += CapacityLedger.blockFootprint(s.record().blockLength(i));
    }
    return total;
  }

  /** Bytes a store accounts for when it holds the record and every block of {@code s}. */
  public static long fullFootprint(Segment s) {
    int[] all = new int[s.record().blockCount()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return footprint(s, all);
  }
}
