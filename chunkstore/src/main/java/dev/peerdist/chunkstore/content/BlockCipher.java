package dev.peerdist.chunkstore.content;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CBC block encryption with a key taken from the segment secret Kp (PROTOCOL.md §4.5).
 *
 * <p>Encryption pads with PKCS#7 (a 65536-byte block becomes 65552 bytes), as Windows does.
 * Decryption uses no padding and the caller keeps the first block-length bytes, as iPXE does,
 * so that both padded and unpadded ciphertexts decrypt. The key is the first 16, 24 or 32 bytes
 * of Kp for CryptoAlgoId 1, 2 or 3.
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
    return (length / 16 + 1) * 16;
  }

  /** Encrypts {@code plain[offset, offset+length)} with PKCS#7 padding. */
  public static byte[] encrypt(int cryptoAlgoId, byte[] segmentSecret, byte[] iv, byte[] plain,
      int offset, int length) {
    try {
      Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
      c.init(Cipher.ENCRYPT_MODE, key(cryptoAlgoId, segmentSecret), new IvParameterSpec(iv));
      return c.doFinal(plain, offset, length);
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
    if (length % 16 != 0) {
      throw new IllegalArgumentException("ciphertext length " + length + " is not a multiple of 16");
    }
    try {
      Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key(cryptoAlgoId, keyMaterial), new IvParameterSpec(iv));
      return c.doFinal(cipherText, offset, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC decryption failed", e);
    }
  }

  private static SecretKeySpec key(int cryptoAlgoId, byte[] keyMaterial) {
    int n = keyLength(cryptoAlgoId);
    if (n < 0) {
      throw new IllegalArgumentException("CryptoAlgoId " + cryptoAlgoId + " is not an AES label");
    }
    if (keyMaterial.length < n) {
      throw new IllegalArgumentException(
          "key material of " + keyMaterial.length + " bytes is too short for CryptoAlgoId " + cryptoAlgoId);
    }
    return new SecretKeySpec(Arrays.copyOf(keyMaterial, n), "AES");
  }
}
