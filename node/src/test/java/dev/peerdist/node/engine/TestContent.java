package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Random content cut into V1 segments of a chosen size, with real hashes and keys. */
final class TestContent {
  static final byte[] SERVER_SECRET = PccrcKeys.serverSecret(HashAlgorithm.SHA_256, "test".getBytes());

  final byte[] bytes;
  final List<SegmentRecord> records = new ArrayList<>();

  TestContent(long seed, int length, int segmentSize) {
    bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    for (int off = 0; off < length; off += segmentSize) {
      records.add(record(Arrays.copyOfRange(bytes, off, Math.min(length, off + segmentSize))));
    }
  }

  static SegmentRecord record(byte[] segment) {
    HashAlgorithm a = HashAlgorithm.SHA_256;
    List<byte[]> hashes = new ArrayList<>();
    for (int off = 0; off < segment.length; off += SegmentRecord.V1_BLOCK_SIZE) {
      hashes.add(a.hash(Arrays.copyOfRange(segment, off, Math.min(segment.length, off + SegmentRecord.V1_BLOCK_SIZE))));
    }
    byte[] hod = PccrcKeys.v1HashOfData(a, hashes);
    byte[] kp = PccrcKeys.segmentSecret(a, SERVER_SECRET, hod);
    return SegmentRecord.v1(a, hod, kp, segment.length, hashes);
  }

  ContentPlan plan() {
    return ContentPlan.whole(records);
  }
}
