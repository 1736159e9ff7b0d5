package dev.peerdist.discovery;

import dev.peerdist.discovery.pccrd.PccrdAnswer;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.wsd.ProbeMatches;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The in-memory twin of the PCCRD directory: members of one {@link InMemoryDiscoveryNetwork}
 * answer each other's probes synchronously. Answers are built and read by the same {@link
 * PccrdProfile} code as on the wire, so block counts and V2 completeness behave identically.
 * Probes complete immediately (every member has answered), keeping at most {@code enoughPeers}
 * answers in join order when {@code enoughPeers > 0}.
 */
public final class InMemoryPeerDirectory implements PeerDirectory {
  private final InMemoryDiscoveryNetwork network;
  private final PeerEndpoint peer;
  private final String endpointId = "urn:uuid:" + UUID.randomUUID();
  private volatile LocalHoldings holdings;
  private volatile boolean closed;

  InMemoryPeerDirectory(InMemoryDiscoveryNetwork network, PeerEndpoint peer) {
    this.network = network;
    this.peer = peer;
  }

  /** Where this member says it serves PCCRR. */
  public PeerEndpoint peer() {
    return peer;
  }

  @Override
  public CompletableFuture<List<ProbeMatch>> probe(List<DiscoveryKey> keys, Duration wait, int enoughPeers) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("peer directory is closed"));
    }
    PccrdQuery query;
    try {
      query = new PccrdQuery(keys.isEmpty() ? DiscoveryKey.Form.V1 : keys.get(0).form(), keys);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<ProbeMatch> out = new ArrayList<>();
    for (InMemoryPeerDirectory m : network.members()) {
      if (m == this || m.closed) {
        continue;
      }
      Optional<ProbeMatches.Match> match = m.answer(query);
      if (match.isEmpty()) {
        continue;
      }
      PccrdAnswer a = PccrdProfile.readMatch(query, match.get());
      out.add(new ProbeMatch(m.peer, a.blocksHeld(), a.complete(), network.latency(), a.endpointId()));
      if (enoughPeers > 0 && out.size() >= enoughPeers) {
        break;
      }
    }
    return CompletableFuture.completedFuture(List.copyOf(out));
  }

  private Optional<ProbeMatches.Match> answer(PccrdQuery query) {
    LocalHoldings h = holdings;
    if (h == null) {
      return Optional.empty();
    }
    Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
    for (DiscoveryKey k : query.keys()) {
      offered.put(k, h.holding(k));
    }
    return PccrdProfile.match(query, offered, endpointId, peer.toXAddr());
  }

  @Override
  public void serve(LocalHoldings holdings) {
    this.holdings = holdings;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      network.leave(this);
    }
  }
}
