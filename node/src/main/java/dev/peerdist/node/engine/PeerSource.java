package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Fetches blocks of one segment from peers by PCCRR (PROTOCOL.md §4): the retrieval scheduler
 * behind a seam, so the engine runs the same with real sockets or an in-memory twin. An
 * implementation verifies every block against {@code record} and puts it in the chunk store
 * before it reports it (a corrupt block is never stored or reported).
 */
public interface PeerSource {
  /** What happened to one wanted block. */
  sealed interface Outcome permits Fetched, Missing {}

  /** The block was fetched from {@code peer}, verified and stored. */
  record Fetched(PeerEndpoint peer) implements Outcome {}

  /** No peer supplied the block, for {@code reason} (the last reason seen). */
  record Missing(FallbackReason reason) implements Outcome {}

  /**
   * Fetches the {@code wanted} blocks of {@code record} from {@code peers}. Blocks; bounded by the
   * implementation's request timer and retries.
   *
   * @return an outcome for every wanted block index
   * @throws InterruptedException when the download is cancelled
   */
  Map<Integer, Outcome> fetch(SegmentRecord record, BitSet wanted, List<PeerCandidate> peers)
      throws InterruptedException;
}
