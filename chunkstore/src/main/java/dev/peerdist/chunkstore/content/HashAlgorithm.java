package dev.peerdist.chunkstore.content;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hash functions that content information may name.
 *
 * <p>V1 content uses SHA-256, SHA-384 or SHA-512 with full-length output, identified by the
 * {@code dwHashAlgo} values of [MS-PCCRC] 2.3 (PROTOCOL.md §2.3). V2 content uses "truncated
 * SHA-512" ({@code bHashAlgo} 0x04, PROTOCOL.md §2.4): the ordinary SHA-512 or HMAC-SHA-512
 * output cut to its first 32 bytes <em>after</em> it is computed (PROTOCOL.md §2.2 and §9.2).
 *
 * <p>All operations use the JDK providers: they are several times faster than BouncyCastle on
 * this hardware (LIMITS.md, "Crypto").
 */
public enum HashAlgorithm {
  SHA_256(ContentVersion.V1, 0x0000800C, "SHA-256", "HmacSHA256", 32),
  SHA_384(ContentVersion.V1, 0x0000800D, "SHA-384", "HmacSHA384", 48),
  SHA_512(ContentVersion.V1, 0x0000800E, "SHA-512", "HmacSHA512", 64),
  TRUNCATED_SHA_512(ContentVersion.V2, 0x04, "SHA-512", "HmacSHA512", 32);

  private final ContentVersion version;
  private final int wireId;
  private final String digestName;
  private final String macName;
  private final int length;
  /** A digest to clone: cloning skips the provider lookup of {@code getInstance} (issue 12). */
  private final MessageDigest prototype;
  /** One MAC per thread, re-keyed per call: {@code Mac.getInstance} per segment id was a hot spot. */
  private final ThreadLocal<Mac> macs;

  HashAlgorithm(ContentVersion version, int wireId, String digestName, String macName, int length) {
    this.version = version;
    this.wireId = wireId;
    this.digestName = digestName;
    this.macName = macName;
    this.length = length;
    this.prototype = lookup(digestName);
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        return Mac.getInstance(macName);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK lacks " + macName, e);
      }
    });
  }

  private static MessageDigest lookup(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + name, e);
    }
  }

  /** The content-information version that uses this algorithm. */
  public ContentVersion version() {
    return version;
  }

  /** {@code dwHashAlgo} for V1, {@code bHashAlgo} for V2. */
  public int wireId() {
    return wireId;
  }

  /** Length in bytes of every hash, key and identifier made with this algorithm. */
  public int length() {
    return length;
  }

  /** The JCA name of the underlying digest ("SHA-256", "SHA-512", ...). */
  public String digestName() {
    return digestName;
  }

  /**
   * The algorithm named by a V1 {@code dwHashAlgo}.
   *
   * @throws IllegalArgumentException naming the value when it is not one of the three V1 ids
   */
  public static HashAlgorithm fromV1Id(int dwHashAlgo) {
    for (HashAlgorithm a : values()) {
      if (a.version == ContentVersion.V1 && a.wireId == dwHashAlgo) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        String.format("unknown V1 dwHashAlgo 0x%08X (expected 0x800C, 0x800D or 0x800E)", dwHashAlgo));
  }

  /**
   * The algorithm named by a V2 {@code bHashAlgo}.
   *
   * @throws IllegalArgumentException naming the value when it is not 0x04
   */
  public static HashAlgorithm fromV2Id(int bHashAlgo) {
    if (bHashAlgo == TRUNCATED_SHA_512.wireId) {
      return TRUNCATED_SHA_512;
    }
    throw new IllegalArgumentException(
        String.format("unknown V2 bHashAlgo 0x%02X (expected 0x04, truncated SHA-512)", bHashAlgo));
  }

  /** A fresh digest; callers that hash in a loop should keep it and call {@link #finish}. */
  public MessageDigest newDigest() {
    try {
      return (MessageDigest) prototype.clone();
    } catch (CloneNotSupportedException e) {
      return lookup(digestName); // a provider whose digests cannot be cloned
    }
  }

  /** Completes a digest made by {@link #newDigest()} and truncates it where the algorithm says. */
  public byte[] finish(MessageDigest digest) {
    byte[] full = digest.digest();
    return full.length == length ? full : Arrays.copyOf(full, length);
  }

  /** Hash of the concatenation of {@code parts}. */
  public byte[] hash(byte[]... parts) {
    MessageDigest d = newDigest();
    for (byte[] p : parts) {
      d.update(p);
    }
    return finish(d);
  }

  /** HMAC with this algorithm's hash over the concatenation of {@code parts}, truncated for V2. */
  public byte[] hmac(byte[] key, byte[]... parts) {
    try {
      Mac mac = macs.get();
      mac.init(new SecretKeySpec(key, macName));
      for (byte[] p : parts) {
        mac.update(p);
      }
      byte[] full = mac.doFinal();
      return full.length == length ? full : Arrays.copyOf(full, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks " + macName, e);
    }
  }
}
