package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.discovery.PeerEndpoint;
import java.util.concurrent.CompletableFuture;

/** The one call {@link BlockFetcher} needs from a PCCRR client; {@link PeerClient} is the real one. */
@FunctionalInterface
public interface PeerBlockClient {
  /** Fetches, decrypts and verifies one block; never completes exceptionally. */
  CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index);
}
