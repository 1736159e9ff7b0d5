package dev.peerdist.node.pccrr;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.VerifiedBlock;
import java.util.Arrays;
import java.util.Optional;

/**
 * Turns the block of a MSG_BLK back into verified plaintext (PROTOCOL.md §4.5, §4.6).
 *
 * <p>The key length follows the response's CryptoAlgoId with key = Kp[0..n). Because public
 * sources disagree on how Windows derives the key for labels 1 and 2 (PROTOCOL.md §4.5, §8 item 1),
 * a block labelled AES_128 or AES_192 that does not verify is decrypted once more as AES-256 with
 * the full 32 bytes of Kp. Label 0 is plaintext. Only the first block-length bytes are hashed;
 * the rest is CBC padding. Nothing is returned unless the hash matches.
 */
public final class BlockOpener {
  private BlockOpener() {}

  /** Why a block did not open. */
  public enum Failure {
    /** The label names no algorithm this client knows. */
    UNKNOWN_ALGORITHM,
    /** Ciphertext not a multiple of 16, shorter than the block, or IV not 16 bytes. */
    BAD_LENGTH,
    /** Decrypted (under every allowed key) but the hash did not match. */
    HASH_MISMATCH
  }

  /** The outcome: plaintext with the label that opened it, or a failure. */
  public record Opened(byte[] plaintext, int keyLabel, Failure failure, VerifiedBlock verified) {
    Opened(byte[] plaintext, int keyLabel, Failure failure) {
      this(plaintext, keyLabel, failure, null);
    }

    static Opened of(VerifiedBlock v, int keyLabel) {
      return new Opened(v.data(), keyLabel, null, v);
    }

    public boolean ok() {
      return failure == null;
    }
  }

  /**
   * Decrypts and verifies block {@code index} of {@code record}.
   *
   * @param cryptoAlgoId the label of the response header
   * @param iv the IVBlock of the response
   * @param data the Block field of the response
   */
  public static Opened open(int cryptoAlgoId, byte[] iv, byte[] data, SegmentRecord record, int index) {
    int length = record.blockLength(index);
    if (cryptoAlgoId == BlockCipher.NONE) {
      // Plaintext (PROTOCOL.md §4.5, last bullet): hash exactly the block length.
      if (data.length < length) {
        return new Opened(null, cryptoAlgoId, Failure.BAD_LENGTH);
      }
      byte[] exact = data.length == length ? data : Arrays.copyOf(data, length);
      VerifiedBlock v = record.verify(index, exact, 0, length);
      return v != null ? Opened.of(v, cryptoAlgoId) : new Opened(null, cryptoAlgoId, Failure.HASH_MISMATCH);
    }
    if (BlockCipher.keyLength(cryptoAlgoId) < 0) {
      return new Opened(null, cryptoAlgoId, Failure.UNKNOWN_ALGORITHM);
    }
    // iPXE's checks (PROTOCOL.md §4.6): a whole number of AES blocks, at least the block length.
    if (data.length % 16 != 0 || data.length < length || iv.length != BlockCipher.IV_LENGTH) {
      return new Opened(null, cryptoAlgoId, Failure.BAD_LENGTH);
    }
    // Decrypted straight into an array of the block's length; an AES-256 block padded the way the
    // store seals blocks keeps its received form, so the store stores it without encrypting again.
    VerifiedBlock v = record.openSealed(index, cryptoAlgoId, iv, data);
    if (v != null) {
      return Opened.of(v, cryptoAlgoId);
    }
    if (cryptoAlgoId == BlockCipher.AES_128 || cryptoAlgoId == BlockCipher.AES_192) {
      v = record.openSealed(index, BlockCipher.AES_256, iv, data);
      if (v != null) {
        return Opened.of(v, BlockCipher.AES_256);
      }
    }
    return new Opened(null, cryptoAlgoId, Failure.HASH_MISMATCH);
  }
}
