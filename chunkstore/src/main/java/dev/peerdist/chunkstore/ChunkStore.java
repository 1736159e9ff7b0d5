package dev.peerdist.chunkstore;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/**
 * Verified block storage addressed by (segment id, block index) (PROTOCOL.md §2.1).
 *
 * <p>Contract shared by every implementation (and checked by {@code ChunkStoreConformanceTest}):
 *
 * <ul>
 *   <li>A segment's {@link SegmentRecord} is put before any of its blocks.
 *   <li>{@link #putBlock} hashes the bytes against the record before anything is written; a
 *       mismatch throws {@link BlockVerificationException} and changes nothing.
 *   <li>Blocks are kept encrypted at rest as AES-256-CBC under Kp[0..32) with a random IV, the
 *       exact form PCCRR serves ({@link #storedBlock}); {@link #readBlock} decrypts and re-verifies.
 *   <li>Partial segments are normal; {@link #presentBlocks} answers which blocks are held.
 *   <li>The store holds at most its capacity in bytes of its own data; when a put would exceed
 *       it, least-recently-used unpinned segments are evicted whole. Pinned segments and
 *       segments being written (incomplete, with a put within the write window, 60 s by default)
 *       are never evicted to make room: when only those remain, the put throws {@link
 *       StoreFullException} and changes nothing. A capacity of 0 means pass-through only: every
 *       put throws {@link StoreFullException}.
 *   <li>A block the storage has lost or damaged is dropped from the index when it is read,
 *       counted in {@link StoreStats#droppedCorruptBlocks()}, and reported absent; {@link
 *       #health()} says so.
 *   <li>Pins, capacity accounting and contents survive a restart; a kill at any moment loses at
 *       most puts that had not returned.
 *   <li>Implementations are thread-safe. After {@link #close()} every call throws
 *       {@link StoreClosedException}; close is idempotent.
 * </ul>
 */
public interface ChunkStore extends AutoCloseable {

  /**
   * Records a segment; returns false (and changes nothing) when it is already known.
   *
   * @throws StoreFullException when the record cannot be kept (as for {@link #putBlock})
   */
  boolean putSegment(SegmentRecord record);

  /** The record of a known segment. */
  Optional<SegmentRecord> segment(SegmentId id);

  /** Every known segment id, in unsigned byte order. */
  List<SegmentId> segments();

  /**
   * Verifies and stores block {@code index} of segment {@code id}.
   *
   * @throws UnknownSegmentException when no record was put for {@code id}
   * @throws BlockVerificationException when length or hash do not match; nothing is stored
   * @throws StoreFullException when the block cannot be kept: capacity 0 (pass-through), room only
   *     by evicting pinned segments or segments being written, or a full disk ({@link
   *     DiskFullException}); nothing was stored
   * @throws ChunkStoreException when the storage fails otherwise (the message names the cause)
   */
  void putBlock(SegmentId id, int index, byte[] data, int offset, int length);

  /**
   * Stores a block its caller has already verified ({@link SegmentRecord#verify}), without hashing
   * it again, and, when it carries the stored form ({@link SegmentRecord#openSealed}), without
   * encrypting it again. Otherwise as {@link #putBlock(SegmentId, int, byte[], int, int)}.
   *
   * @throws UnknownSegmentException when no record was put for the block's segment
   */
  default void putBlock(VerifiedBlock block) {
    putBlock(block.record().id(), block.index(), block.data(), block.offset(), block.length());
  }

  /** Convenience for {@code putBlock(id, index, data, 0, data.length)}. */
  default void putBlock(SegmentId id, int index, byte[] data) {
    putBlock(id, index, data, 0, data.length);
  }

  /**
   * The plaintext of a held block, decrypted and verified again; empty when it is not held. A
   * block whose stored form no longer verifies is dropped from the store and reported absent.
   */
  Optional<byte[]> readBlock(SegmentId id, int index);

  /** The stored, encrypted form of a held block, for serving to peers as it is. */
  Optional<StoredBlock> storedBlock(SegmentId id, int index);

  /** True when block {@code index} of {@code id} is held. */
  boolean hasBlock(SegmentId id, int index);

  /** The indexes of the blocks of {@code id} that are held (empty for unknown segments). */
  BitSet presentBlocks(SegmentId id);

  /** Pins a known segment: it is never evicted. Survives restarts. */
  void pin(SegmentId id);

  /** Removes a pin; the segment becomes evictable. */
  void unpin(SegmentId id);

  /** True when {@code id} is pinned. */
  boolean isPinned(SegmentId id);

  /** Removes a segment with its blocks; returns false when it was unknown. */
  boolean removeSegment(SegmentId id);

  /** Sizes and counts, cheap to call. */
  StoreStats stats();

  /**
   * Whether the store works, and if not fully, why (for {@code /healthz} and {@code /readyz});
   * cheap to call, never throws, also after {@link #close()}.
   */
  StoreHealth health();

  /** Summary of a known segment (no block data is read); empty when it is unknown. */
  Optional<SegmentInfo> segmentInfo(SegmentId id);

  /**
   * Every known segment, least recently used first: the order in which unpinned segments would
   * be evicted.
   */
  List<SegmentInfo> segmentsByLastAccess();

  /**
   * Changes the size limit and persists it; when the store holds more, least-recently-used
   * unpinned segments are evicted until it fits. Pinned data is kept even when it alone exceeds
   * the new limit (later puts then throw {@link StoreFullException}).
   *
   * @throws IllegalArgumentException when {@code capacityBytes} is negative
   */
  void setCapacity(long capacityBytes);

  /**
   * Evicts least-recently-used unpinned segments until at most {@code usedBytes} are held or
   * nothing evictable remains.
   *
   * @return the number of segments evicted
   */
  int evictTo(long usedBytes);

  /**
   * The store's {@link SideTable}: a small persistent key-value table kept with the store, outside
   * its capacity and eviction (for the node's V1/V2 content bridge).
   */
  SideTable sideTable();

  /** Releases every resource; idempotent. */
  @Override
  void close();
}
