package dev.peerdist.node.pccrr;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.BlockCipher;
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
  public record Opened(byte[] plaintext, int keyLabel, Failure failure) {
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
      return record.verifies(index, data, 0, length)
          ? new Opened(data.length == length ? data : Arrays.copyOf(data, length), cryptoAlgoId, null)
          : new Opened(null, cryptoAlgoId, Failure.HASH_MISMATCH);
    }
    if (BlockCipher.keyLength(cryptoAlgoId) < 0) {
      return new Opened(null, cryptoAlgoId, Failure.UNKNOWN_ALGORITHM);
    }
    // iPXE's checks (PROTOCOL.md §4.6): a whole number of AES blocks, at least the block length.
    if (data.length % 16 != 0 || data.length < length || iv.length != BlockCipher.IV_LENGTH) {
      return new Opened(null, cryptoAlgoId, Failure.BAD_LENGTH);
    }
    byte[] kp = record.segmentSecret();
    // Decrypted straight into an array of the block's length: no copy of a 64 KiB block.
    byte[] plain = BlockCipher.open(cryptoAlgoId, kp, iv, data, 0, data.length, length).plaintext();
    if (record.verifies(index, plain, 0, length)) {
      return new Opened(plain, cryptoAlgoId, null);
    }
    if (cryptoAlgoId == BlockCipher.AES_128 || cryptoAlgoId == BlockCipher.AES_192) {
      plain = BlockCipher.open(BlockCipher.AES_256, kp, iv, data, 0, data.length, length).plaintext();
      if (record.verifies(index, plain, 0, length)) {
        return new Opened(plain, BlockCipher.AES_256, null);
      }
    }
    return new Opened(null, cryptoAlgoId, Failure.HASH_MISMATCH);
  }
}
