package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.BlockCipher;
import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Encryption at rest: turns a verified block into the form a store keeps and serves, and checks
 * a kept value on the way out. No storage, no accounting, no locks.
 *
 * <p>The stored form is {@code IV (16 bytes) || AES-256-CBC(Kp[0..32), IV, block || PKCS#7)}, the
 * exact bytes a PCCRR MSG_BLK carries with CryptoAlgoId 3 (PROTOCOL.md §4.4, §4.5): a block is
 * encrypted once, when it is put, so serving it needs no cipher work (LIMITS.md, "Network").
 */
public final class BlockSealer {
  private final RandomGenerator random;

  /** @param random source of IVs; a {@link java.security.SecureRandom} outside tests */
  public BlockSealer(RandomGenerator random) {
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The stored form of {@code length} verified bytes of block data, under a fresh random IV. */
  public byte[] seal(SegmentRecord record, byte[] data, int offset, int length) {
    byte[] iv = new byte[BlockCipher.IV_LENGTH];
    synchronized (random) {
      random.nextBytes(iv);
    }
    // One array, encrypted in place of a copy: IV || ciphertext.
    return BlockCipher.seal(BlockCipher.SERVE_ALGORITHM, record.segmentSecret(), iv, data, offset, length);
  }

  /**
   * The stored form of a verified block: the form it arrived in when that is exactly the store's
   * (AES-256, one correct pad: {@link SegmentRecord#openSealed}), else sealed now.
   */
  public byte[] storedForm(VerifiedBlock block) {
    return block.hasSealedForm() ? block.sealed()
        : seal(block.record(), block.data(), block.offset(), block.length());
  }

  /**
   * The plaintext of stored block {@code index}, decrypted and verified against the record's
   * hash; null when the value has the wrong length, a wrong pad, or does not verify.
   */
  public byte[] open(SegmentRecord record, int index, byte[] value) {
    int len = record.blockLength(index);
    if (value.length != CapacityLedger.blockFootprint(len)) {
      return null;
    }
    byte[] iv = Arrays.copyOf(value, BlockCipher.IV_LENGTH);
    // Decrypted straight into an array of the block's length; the pad must be the one seal wrote.
    BlockCipher.Opened o = BlockCipher.open(BlockCipher.SERVE_ALGORITHM, record.segmentSecret(), iv, value,
        iv.length, value.length - iv.length, len);
    if (!o.padded()) {
      return null;
    }
    byte[] plain = o.plaintext();
    return record.verifies(index, plain, 0, len) ? plain : null;
  }

  /**
   * Stored block {@code index} as served, or null when its length is not the stored form's. The
   * receiving peer verifies the plaintext (PROTOCOL.md §4.5); here only the shape is checked, so
   * that a truncated value is never served.
   */
  public StoredBlock servable(SegmentRecord record, int index, byte[] value) {
    if (value.length != CapacityLedger.blockFootprint(record.blockLength(index))) {
      return null;
    }
    byte[] iv = Arrays.copyOfRange(value, 0, BlockCipher.IV_LENGTH);
    byte[] ct = Arrays.copyOfRange(value, BlockCipher.IV_LENGTH, value.length);
    return new StoredBlock(BlockCipher.SERVE_ALGORITHM, iv, ct);
  }
}
