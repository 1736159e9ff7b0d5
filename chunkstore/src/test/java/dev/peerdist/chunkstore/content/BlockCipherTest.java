package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The reused-cipher paths (seal, open) against the JDK's own PKCS#5 padding cipher. */
class BlockCipherTest {
  private static final byte[] KP = new byte[32];
  private static final byte[] IV = new byte[16];

  static {
    for (int i = 0; i < 32; i++) {
      KP[i] = (byte) (i * 7 + 1);
    }
    for (int i = 0; i < 16; i++) {
      IV[i] = (byte) (0xA0 + i);
    }
  }

  private static byte[] reference(int keyLength, byte[] plain) throws Exception {
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Arrays.copyOf(KP, keyLength), "AES"), new IvParameterSpec(IV));
    return c.doFinal(plain);
  }

  @Test
  void sealAndEncryptMatchTheJdkPaddingCipherForEveryTailLength() throws Exception {
    SplittableRandom r = new SplittableRandom(12);
    // Lengths around the cipher's piece size too: every call hands it at most PIECE bytes.
    int p = BlockCipher.PIECE;
    for (int len : new int[] {0, 1, 15, 16, 17, 31, 32, p - 16, p - 1, p, p + 1, p + 16, 2 * p + 17, 65535, 65536}) {
      byte[] plain = new byte[len + 5];
      r.nextBytes(plain);
      byte[] block = Arrays.copyOfRange(plain, 3, 3 + len);
      for (int[] alg : new int[][] {{BlockCipher.AES_128, 16}, {BlockCipher.AES_192, 24}, {BlockCipher.AES_256, 32}}) {
        byte[] want = reference(alg[1], block);
        assertArrayEquals(want, BlockCipher.encrypt(alg[0], KP, IV, plain, 3, len), "encrypt " + len);
        byte[] sealed = BlockCipher.seal(alg[0], KP, IV, plain, 3, len);
        assertEquals(BlockCipher.IV_LENGTH + BlockCipher.paddedLength(len), sealed.length);
        assertArrayEquals(IV, Arrays.copyOf(sealed, 16));
        assertArrayEquals(want, Arrays.copyOfRange(sealed, 16, sealed.length), "seal " + len);
        BlockCipher.Opened o = BlockCipher.open(alg[0], KP, IV, sealed, 16, sealed.length - 16, len);
        assertArrayEquals(block, o.plaintext(), "open " + len);
        assertTrue(o.padded(), "seal's own pad " + len);
        byte[] whole = BlockCipher.decrypt(alg[0], KP, IV, want, 0, want.length);
        assertArrayEquals(block, Arrays.copyOf(whole, len), "decrypt " + len);
      }
    }
  }

  @Test
  void openReportsAWrongOrMissingPad() {
    byte[] plain = new byte[40];
    new SplittableRandom(3).nextBytes(plain);
    byte[] ct = BlockCipher.encrypt(BlockCipher.AES_256, KP, IV, plain, 0, 40);
    // Unpadded ciphertext of 48 bytes holding 40 bytes of block (iPXE-style trailing junk).
    byte[] noPad = BlockCipher.decrypt(BlockCipher.AES_256, KP, IV, ct, 0, 48);
    assertArrayEquals(plain, Arrays.copyOf(noPad, 40));
    BlockCipher.Opened tooShort = BlockCipher.open(BlockCipher.AES_256, KP, IV, ct, 0, 48, 32);
    assertArrayEquals(Arrays.copyOf(plain, 32), tooShort.plaintext());
    assertFalse(tooShort.padded(), "48 bytes is not the padded length of 32");
    ct[ct.length - 1] ^= 1; // the last AES block decrypts to garbage: no valid pad
    BlockCipher.Opened bad = BlockCipher.open(BlockCipher.AES_256, KP, IV, ct, 0, 48, 40);
    assertArrayEquals(Arrays.copyOf(plain, 32), Arrays.copyOf(bad.plaintext(), 32), "earlier AES blocks intact");
    assertEquals(40, bad.plaintext().length);
    assertFalse(bad.padded());
  }

  @Test
  void rejectsBadShapes() {
    byte[] ct = new byte[48];
    assertThrows(IllegalArgumentException.class, () -> BlockCipher.open(BlockCipher.AES_256, KP, IV, ct, 0, 47, 40));
    assertThrows(IllegalArgumentException.class, () -> BlockCipher.open(BlockCipher.AES_256, KP, IV, ct, 0, 48, 49));
    assertThrows(IllegalArgumentException.class, () -> BlockCipher.seal(BlockCipher.AES_256, KP, new byte[8], ct, 0, 8));
    assertThrows(IllegalArgumentException.class, () -> BlockCipher.open(99, KP, IV, ct, 0, 48, 40));
  }
}
