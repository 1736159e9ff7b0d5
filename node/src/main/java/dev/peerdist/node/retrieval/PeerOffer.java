package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import java.util.Objects;

/**
 * A peer that answered discovery for a segment with how many of its blocks it holds (the PCCRD
 * BlockCount, PROTOCOL.md §3.4; 1 for a complete V2 segment). The daemon turns each
 * {@code ProbeMatch} into these, mapping its discovery keys back to segment ids.
 */
public record PeerOffer(PeerEndpoint peer, SegmentId segment, int blocksHeld) {
  public PeerOffer {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(segment, "segment");
    if (blocksHeld < 1) {
      throw new IllegalArgumentException("blocksHeld must be >= 1, got " + blocksHeld);
    }
  }
}
