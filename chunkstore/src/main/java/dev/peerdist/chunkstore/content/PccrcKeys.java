package dev.peerdist.chunkstore.content;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The key and identifier derivations of [MS-PCCRC] 2.2 (PROTOCOL.md §2.2).
 *
 * <pre>
 *   Ks     = H(server secret key material)
 *   HoD    = H(BlockHash_0 || ... )           (V1)   |  H(segment bytes) (V2)
 *   Kp     = HMAC_H(Ks, HoD)
 *   HoHoDk = HMAC_H(Kp, HoD || C2)
 * </pre>
 *
 * where H is the content's {@link HashAlgorithm} (truncation for V2 happens after each
 * computation) and C2 is UTF-16LE "MS_P2P_CACHING" with its 2-byte NUL (PROTOCOL.md §9.1).
 */
public final class PccrcKeys {
  private static final byte[] C2 = "MS_P2P_CACHING\0".getBytes(StandardCharsets.UTF_16LE);

  private PccrcKeys() {}

  /** The 30-byte constant C2 (TV-1). */
  public static byte[] c2() {
    return C2.clone();
  }

  /** Ks from arbitrary key material. */
  public static byte[] serverSecret(HashAlgorithm algorithm, byte[] keyMaterial) {
    return algorithm.hash(keyMaterial);
  }

  /** Key material as {@code netsh branchcache set key "TEXT"} makes it: UTF-16LE, no NUL. */
  public static byte[] keyMaterialFromText(String text) {
    return text.getBytes(StandardCharsets.UTF_16LE);
  }

  /** V1 HoD: the hash of all block hashes of a segment, in order. */
  public static byte[] v1HashOfData(HashAlgorithm algorithm, List<byte[]> blockHashes) {
    var d = algorithm.newDigest();
    for (byte[] h : blockHashes) {
      d.update(h);
    }
    return algorithm.finish(d);
  }

  /** Kp = HMAC(Ks, HoD). */
  public static byte[] segmentSecret(HashAlgorithm algorithm, byte[] serverSecret, byte[] hashOfData) {
    return algorithm.hmac(serverSecret, hashOfData);
  }

  /** HoHoDk = HMAC(Kp, HoD || C2). */
  public static SegmentId segmentId(HashAlgorithm algorithm, byte[] segmentSecret, byte[] hashOfData) {
    return SegmentId.of(algorithm.hmac(segmentSecret, hashOfData, C2));
  }
}
