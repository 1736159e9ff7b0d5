package dev.peerdist.chunkstore.content;

import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CBC block encryption with a key taken from the segment secret Kp (PROTOCOL.md §4.5).
 *
 * <p>Encryption pads with PKCS#7 (a 65536-byte block becomes 65552 bytes), as Windows does.
 * Decryption uses no padding and the caller keeps the first block-length bytes, as iPXE does,
 * so that both padded and unpadded ciphertexts decrypt. The key is the first 16, 24 or 32 bytes
 * of Kp for CryptoAlgoId 1, 2 or 3.
 *
 * <p>Speed (issue 12): every call reuses one {@code AES/CBC/NoPadding} cipher per thread (no
 * provider lookup per block) and the PKCS#7 block is added and removed here, so a 64 KiB block is
 * never copied to make room for its padding: {@link #seal} encrypts straight from the caller's
 * bytes into the stored form, {@link #open} decrypts straight into an array of the block's length.
 *
 * <p>Every call hands the cipher at most {@value #PIECE} bytes at a time (the bytes produced are
 * the same: CBC carries its chain across calls). The JDK's AES-CBC loop runs as a compiled
 * intrinsic only once its caller is C2-compiled, which takes thousands of calls: with one call per
 * 64 KiB block a fresh JVM encrypted at ~2.5 × and decrypted at ~15 × the steady-state cost for
 * its first ~7,700 blocks (480 MiB); with 4 KiB pieces, for its first ~500 (docs/PERFORMANCE.md,
 * "Store put, 2026-12-04 evening").
 */
public final class BlockCipher {
  /** PCCRR CryptoAlgoId values, [MS-PCCRR] 2.2.3. */
  public static final int NONE = 0;
  public static final int AES_128 = 1;
  public static final int AES_192 = 2;
  public static final int AES_256 = 3;

  /** The label peerdist encrypts with: AES-256 keyed with Kp[0..32) (PROTOCOL.md §4.5). */
  public static final int SERVE_ALGORITHM = AES_256;

  public static final int IV_LENGTH = 16;

  private static final int AES_BLOCK = 16;

  /** Bytes per {@link Cipher#update} call at most (class docs: the JIT's warm-up). */
  static final int PIECE = 4096;

  /** One cipher per thread: {@link Cipher} is not thread-safe, and making one per block costs a provider lookup. */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/CBC/NoPadding");
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new IllegalStateException("the JDK lacks AES/CBC/NoPadding", e);
    }
  });

  private BlockCipher() {}

  /** Key length in bytes for a CryptoAlgoId, or -1 when the id is not an AES label. */
  public static int keyLength(int cryptoAlgoId) {
    return switch (cryptoAlgoId) {
      case AES_128 -> 16;
      case AES_192 -> 24;
      case AES_256 -> 32;
      default -> -1;
    };
  }

  /** Ciphertext length for a plaintext of {@code length} bytes with PKCS#7 padding. */
  public static int paddedLength(int length) {
    return (length / AES_BLOCK + 1) * AES_BLOCK;
  }

  /** Encrypts {@code plain[offset, offset+length)} with PKCS#7 padding. */
  public static byte[] encrypt(int cryptoAlgoId, byte[] segmentSecret, byte[] iv, byte[] plain,
      int offset, int length) {
    byte[] out = new byte[paddedLength(length)];
    encryptInto(cryptoAlgoId, segmentSecret, iv, plain, offset, length, out, 0);
    return out;
  }

  /**
   * The stored (and served) form of a block in one array: {@code iv || AES-CBC(key, iv, plain ||
   * PKCS#7 padding)}, {@code IV_LENGTH + paddedLength(length)} bytes.
   *
   * @param iv {@link #IV_LENGTH} bytes
   */
  public static byte[] seal(int cryptoAlgoId, byte[] segmentSecret, byte[] iv, byte[] plain, int offset, int length) {
    if (iv.length != IV_LENGTH) {
      throw new IllegalArgumentException("IV must be " + IV_LENGTH + " bytes, got " + iv.length);
    }
    byte[] out = new byte[IV_LENGTH + paddedLength(length)];
    System.arraycopy(iv, 0, out, 0, IV_LENGTH);
    encryptInto(cryptoAlgoId, segmentSecret, iv, plain, offset, length, out, IV_LENGTH);
    return out;
  }

  private static void encryptInto(int cryptoAlgoId, byte[] keyMaterial, byte[] iv, byte[] plain, int offset,
      int length, byte[] out, int outOffset) {
    java.util.Objects.checkFromIndexSize(offset, length, plain.length);
    int whole = length - length % AES_BLOCK;
    // The last AES block: the tail of the plaintext and its PKCS#7 padding (a whole block of 16s
    // when the plaintext fills its blocks exactly).
    byte[] last = new byte[AES_BLOCK];
    int tail = length - whole;
    System.arraycopy(plain, offset + whole, last, 0, tail);
    java.util.Arrays.fill(last, tail, AES_BLOCK, (byte) (AES_BLOCK - tail));
    try {
      Cipher c = init(Cipher.ENCRYPT_MODE, cryptoAlgoId, keyMaterial, iv);
      int n = update(c, plain, offset, whole, out, outOffset);
      c.doFinal(last, 0, AES_BLOCK, out, outOffset + n);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC encryption failed", e);
    }
  }

  /**
   * Decrypts a whole ciphertext without removing padding; the caller keeps the bytes it expects.
   *
   * @throws IllegalArgumentException when the ciphertext length is not a multiple of 16
   */
  public static byte[] decrypt(int cryptoAlgoId, byte[] keyMaterial, byte[] iv, byte[] cipherText,
      int offset, int length) {
    if (length % AES_BLOCK != 0) {
      throw new IllegalArgumentException("ciphertext length " + length + " is not a multiple of 16");
    }
    try {
      Cipher c = init(Cipher.DECRYPT_MODE, cryptoAlgoId, keyMaterial, iv);
      byte[] out = new byte[length];
      int n = update(c, cipherText, offset, length, out, 0);
      c.doFinal(out, n);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC decryption failed", e);
    }
  }

  /** The plaintext of a block and whether the ciphertext ended in exactly one correct PKCS#7 pad. */
  public record Opened(byte[] plaintext, boolean padded) {}

  /**
   * Decrypts {@code cipherText[offset, offset+length)} and returns its first {@code plainLength}
   * bytes (the rest is padding, PROTOCOL.md §4.5), without a copy of the whole block. {@link
   * Opened#padded()} says whether the ciphertext is exactly {@code paddedLength(plainLength)} bytes
   * ending in a correct PKCS#7 pad: only then is it the form {@link #seal} makes.
   *
   * @throws IllegalArgumentException when the ciphertext length is not a multiple of 16 or is
   *     shorter than {@code plainLength}
   */
  public static Opened open(int cryptoAlgoId, byte[] keyMaterial, byte[] iv, byte[] cipherText, int offset,
      int length, int plainLength) {
    if (length % AES_BLOCK != 0 || length < plainLength || plainLength < 0) {
      throw new IllegalArgumentException("ciphertext of " + length + " bytes cannot hold a block of " + plainLength
          + " (it must be a multiple of 16, at least the block)");
    }
    java.util.Objects.checkFromIndexSize(offset, length, cipherText.length);
    byte[] plain = new byte[plainLength];
    int whole = plainLength - plainLength % AES_BLOCK;
    try {
      Cipher c = init(Cipher.DECRYPT_MODE, cryptoAlgoId, keyMaterial, iv);
      int n = update(c, cipherText, offset, whole, plain, 0);
      int rest = length - n;
      byte[] tail = rest == 0 ? new byte[0] : new byte[rest];
      if (rest > 0) {
        c.doFinal(cipherText, offset + n, rest, tail, 0);
      } else {
        c.doFinal();
      }
      int tailPlain = plainLength - n;
      System.arraycopy(tail, 0, plain, n, tailPlain);
      boolean padded = length == paddedLength(plainLength);
      int pad = AES_BLOCK - plainLength % AES_BLOCK;
      for (int i = tailPlain; padded && i < rest; i++) {
        padded = tail[i] == (byte) pad;
      }
      return new Opened(plain, padded);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC decryption failed", e);
    }
  }

  /**
   * {@code c.update} of {@code in[offset, offset+length)} into {@code out} from {@code outOffset},
   * {@value #PIECE} bytes per call (class docs); returns the bytes written. {@code length} is a
   * multiple of 16, so with no padding each call writes what it is given.
   */
  private static int update(Cipher c, byte[] in, int offset, int length, byte[] out, int outOffset)
      throws GeneralSecurityException {
    int n = 0;
    for (int done = 0; done < length; done += PIECE) {
      n += c.update(in, offset + done, Math.min(PIECE, length - done), out, outOffset + n);
    }
    return n;
  }

  private static Cipher init(int mode, int cryptoAlgoId, byte[] keyMaterial, byte[] iv) throws GeneralSecurityException {
    int n = keyLength(cryptoAlgoId);
    if (n < 0) {
      throw new IllegalArgumentException("CryptoAlgoId " + cryptoAlgoId + " is not an AES label");
    }
    if (keyMaterial.length < n) {
      throw new IllegalArgumentException(
          "key material of " + keyMaterial.length + " bytes is too short for CryptoAlgoId " + cryptoAlgoId);
    }
    if (iv.length != IV_LENGTH) {
      throw new IllegalArgumentException("IV must be " + IV_LENGTH + " bytes, got " + iv.length);
    }
    Cipher c = CIPHERS.get();
    c.init(mode, new SecretKeySpec(keyMaterial, 0, n, "AES"), new IvParameterSpec(iv));
    return c;
  }
}
