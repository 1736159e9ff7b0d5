package dev.peerdist.node.engine;

import dev.peerdist.discovery.PeerEndpoint;

/**
 * A peer that may hold blocks of a segment: from a ProbeMatch (PROTOCOL.md §3.4: BlockCount), or
 * an always-asked peer (configured, or a cache server found by DNS-SD) whose holdings are unknown.
 *
 * @param endpoint where it serves PCCRR
 * @param blocksHeld blocks it said it holds, or -1 when unknown (ask it anyway)
 * @param complete true when it said it holds the whole segment
 */
public record PeerCandidate(PeerEndpoint endpoint, int blocksHeld, boolean complete) {}
