package dev.peerdist.node.http;

import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.content.SegmentId;
import java.util.BitSet;
import java.util.Optional;

/**
 * Segments the PCCRR server can serve although the chunk store does not hold them under their
 * own id: their bytes are assembled on request from blocks the store holds under other ids (the
 * V1/V2 content bridge, {@code dev.peerdist.node.bridge}). The server asks the store first and
 * these only for ids the store does not know. Implementations are thread-safe and run on the
 * store executor (they may read the store).
 */
public interface VirtualSegments {
  /** None: the server serves the store only. */
  VirtualSegments NONE = new VirtualSegments() {
    @Override
    public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
      return Optional.empty();
    }

    @Override
    public BitSet presentBlocks(SegmentId id) {
      return new BitSet();
    }
  };

  /**
   * Block {@code index} of segment {@code id} in the form a MSG_BLK carries it (PROTOCOL.md §4.4,
   * §4.5), verified before it is returned; empty when it cannot be served.
   */
  Optional<StoredBlock> storedBlock(SegmentId id, int index);

  /** The blocks of {@code id} that can be served now (empty when none). */
  BitSet presentBlocks(SegmentId id);
}
