package dev.peerdist.chunkstore.content;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The oracle for {@link ContentInformationGenerator}: content information computed the plainest
 * way, on one thread over the whole content in memory, with the FastCDC loop as it was first
 * written (b102dbb). Any faster or more parallel generator must give byte-identical results.
 */
final class ReferenceContentInformation {
  private static final long[] GEAR = FastCdcChunker.gear();
  private static final long MASK_BEFORE_NORMAL = -1L << (64 - FastCdcChunker.BITS_BEFORE_NORMAL);
  private static final long MASK_AFTER_NORMAL = -1L << (64 - FastCdcChunker.BITS_AFTER_NORMAL);

  private ReferenceContentInformation() {}

  /** V1 (PROTOCOL.md §2.2): 32 MiB segments of 64 KiB blocks, HoD over the block hashes. */
  static ContentInformation v1(HashAlgorithm algorithm, ServerSecret secret, byte[] content) {
    byte[] ks = secret.serverSecret(algorithm);
    List<SegmentDescription> segments = new ArrayList<>();
    for (int offset = 0; offset < content.length; offset += SegmentDescription.V1_SEGMENT_SIZE) {
      int length = Math.min(SegmentDescription.V1_SEGMENT_SIZE, content.length - offset);
      List<byte[]> blocks = new ArrayList<>();
      for (int b = offset; b < offset + length; b += SegmentDescription.V1_BLOCK_SIZE) {
        int to = Math.min(b + SegmentDescription.V1_BLOCK_SIZE, offset + length);
        blocks.add(algorithm.hash(Arrays.copyOfRange(content, b, to)));
      }
      byte[] hod = algorithm.hash(blocks.toArray(new byte[0][]));
      byte[] kp = PccrcKeys.segmentSecret(algorithm, ks, hod);
      segments.add(SegmentDescription.trusted(algorithm, offset, length, hod, kp, blocks));
    }
    return ContentInformation.v1(algorithm, 0, 0, segments);
  }

  /** V2 (PROTOCOL.md §2.2): segments cut by {@link #cut}, HoD = SHA-512(segment)[0:32]. */
  static ContentInformation v2(ServerSecret secret, byte[] content) {
    HashAlgorithm algorithm = HashAlgorithm.TRUNCATED_SHA_512;
    byte[] ks = secret.serverSecret(algorithm);
    List<SegmentDescription> segments = new ArrayList<>();
    int s = 0;
    while (s < content.length) {
      int len = cut(content, s, content.length, true);
      byte[] hod = algorithm.hash(Arrays.copyOfRange(content, s, s + len));
      segments.add(SegmentDescription.trusted(algorithm, s, len, hod,
          PccrcKeys.segmentSecret(algorithm, ks, hod), List.of()));
      s += len;
    }
    return ContentInformation.v2(0, 0, 0, segments);
  }

  /** FastCDC as first written: one byte per step, the contract of {@link FastCdcChunker#nextCut}. */
  static int cut(byte[] data, int start, int end, boolean eof) {
    int available = end - start;
    int limit = Math.min(FastCdcChunker.MAX_SIZE, available);
    int normal = Math.min(FastCdcChunker.NORMAL_SIZE, limit);
    long h = 0;
    int i = FastCdcChunker.MIN_SIZE;
    for (; i < normal; i++) {
      h = (h << 1) + GEAR[data[start + i] & 0xFF];
      if ((h & MASK_BEFORE_NORMAL) == 0) {
        return i + 1;
      }
    }
    for (; i < limit; i++) {
      h = (h << 1) + GEAR[data[start + i] & 0xFF];
      if ((h & MASK_AFTER_NORMAL) == 0) {
        return i + 1;
      }
    }
    if (limit == FastCdcChunker.MAX_SIZE) {
      return FastCdcChunker.MAX_SIZE;
    }
    return eof ? available : -1;
  }
}
