package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.BlockCipher;
import java.util.Objects;

/**
 * A block whose bytes were checked against its segment's hash list (PROTOCOL.md §2.2), made only
 * by {@link SegmentRecord#verify} and {@link SegmentRecord#openSealed}, so that a store handed one
 * can keep it without hashing it a second time (issue 12: every block used to be hashed once by
 * the receiver and again by the store). The holder must not change the bytes afterwards: the
 * proof is about the bytes as they were when checked.
 *
 * <p>A block opened from a PCCRR MSG_BLK sealed exactly the way the store seals blocks (CryptoAlgoId
 * 3, one correct PKCS#7 pad) also carries that form ({@link #sealed()}), so the store keeps the
 * received bytes as they are and skips its own encryption.
 */
public final class VerifiedBlock {
  private final SegmentRecord record;
  private final int index;
  private final byte[] data;
  private final int offset;
  private final int length;
  private final byte[] sealed;

  VerifiedBlock(SegmentRecord record, int index, byte[] data, int offset, int length, byte[] sealed) {
    this.record = Objects.requireNonNull(record, "record");
    this.index = index;
    this.data = data;
    this.offset = offset;
    this.length = length;
    this.sealed = sealed;
  }

  /** The segment the block belongs to. */
  public SegmentRecord record() {
    return record;
  }

  /** The block's index in its segment. */
  public int index() {
    return index;
  }

  /** The array holding the plaintext (not a copy: see the class docs). */
  public byte[] data() {
    return data;
  }

  /** Where the plaintext starts in {@link #data()}. */
  public int offset() {
    return offset;
  }

  /** The plaintext's length: the block's length. */
  public int length() {
    return length;
  }

  /**
   * {@code IV || AES-256-CBC(Kp, IV, block || PKCS#7)} as received, or null when the block came
   * in another form. Not a copy.
   */
  byte[] sealed() {
    return sealed;
  }

  /** True when {@link #sealed()} holds the store's stored form of this block. */
  boolean hasSealedForm() {
    return sealed != null && sealed.length == BlockCipher.IV_LENGTH + BlockCipher.paddedLength(length);
  }
}
