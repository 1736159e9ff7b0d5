package dev.peerdist.node.metrics;

import java.util.Locale;

/**
 * Why bytes went to the origin instead of a peer (label {@code reason}). This is the per-download
 * "why did this go to origin" answer: every origin byte of a download carries one of these.
 */
public enum FallbackReason {
  /** Discovery found no peer holding the segment (PROTOCOL.md §3.6: nobody answered). */
  NO_PEER,
  /** Peers answered but none holds this block (their BlockCount/block list lacks it). */
  BLOCK_NOT_HELD,
  /** Every peer asked answered busy / the empty MSG_BLK (§4.6). */
  PEER_BUSY,
  /** A peer sent a block whose hash did not match the content information (§4.5). */
  HASH_MISMATCH,
  /** The PCCRR request timer expired (§4.6). */
  TIMEOUT,
  /** A peer failed otherwise: connection refused or reset, malformed answer. */
  PEER_ERROR,
  /** The publisher did not offer PeerDist content information (§5.2 step 2): plain download. */
  NOT_PEERDIST,
  /** The node is configured or forced to skip peers for this download. */
  PEERS_DISABLED,
  /** A verified block left the local store (evicted) before the reader got to it. */
  EVICTED,
  /**
   * Nobody in the subnet held the block and this node was the one its subnet-mates chose to fetch
   * it from the origin (issue 8: one origin fetch per block per subnet); the others copy it from here.
   */
  COORDINATED,
  /** The node chosen to fetch the block from the origin went quiet; this node took over. */
  TAKEOVER,
  /** The store could not keep the block (full disk or too small a cache); it was passed through. */
  STORE_FULL;

  /** The label value, e.g. {@code no_peer}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
