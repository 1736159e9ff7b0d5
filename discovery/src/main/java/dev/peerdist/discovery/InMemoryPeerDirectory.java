package dev.peerdist.discovery;

import dev.peerdist.discovery.pccrd.PccrdAnswer;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.discovery.wsd.ProbeMatches;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory twin of the PCCRD directory: members of one {@link InMemoryDiscoveryNetwork}
 * hear and answer each other's probes synchronously. Answers are built and read by the same
 * {@link PccrdProfile} code as on the wire, so block counts and V2 completeness behave
 * identically.
 *
 * <p>A probe is heard by every other open member in join order ({@link SubnetListener#probeHeard},
 * then {@link LocalHoldings#holding(DiscoveryKey, HeardProbe)}); every answer reaches the
 * prober's listener. {@link #probe} completes immediately (every member has answered), keeping
 * at most {@code enoughPeers} answers in join order when {@code enoughPeers > 0}; the answers
 * beyond that still reach the listener, as late answers do on the wire. Not modelled: loss,
 * duplicates, rate limits, reply suppression, splitting into datagrams.
 */
public final class InMemoryPeerDirectory implements PeerDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryPeerDirectory.class);

  private final InMemoryDiscoveryNetwork network;
  private final PeerEndpoint peer;
  private final String endpointId;
  private volatile LocalHoldings holdings;
  private volatile SubnetListener listener = SubnetListener.NONE;
  private volatile Supplier<ProbeTag> tags;
  private volatile boolean closed;

  InMemoryPeerDirectory(InMemoryDiscoveryNetwork network, PeerEndpoint peer, String endpointId) {
    this.network = network;
    this.peer = peer;
    this.endpointId = endpointId;
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
      query = query(keys);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<ProbeMatch> all = broadcast(query, null);
    List<ProbeMatch> out = enoughPeers > 0 && all.size() > enoughPeers ? all.subList(0, enoughPeers) : all;
    return CompletableFuture.completedFuture(List.copyOf(out));
  }

  @Override
  public void sendProbe(List<DiscoveryKey> keys, ProbeTag tag) {
    PccrdQuery query = query(keys);
    if (!closed) {
      broadcast(query, tag);
    }
  }

  private static PccrdQuery query(List<DiscoveryKey> keys) {
    return new PccrdQuery(keys.isEmpty() ? DiscoveryKey.Form.V1 : keys.get(0).form(), keys);
  }

  /**
   * Every other member hears the probe, tagged {@code given} (null: the supplier's tag); their
   * answers go to our listener and are returned.
   */
  private List<ProbeMatch> broadcast(PccrdQuery query, ProbeTag given) {
    String messageId = messageId(given);
    HeardProbe heard = new HeardProbe(peer.address(), messageId, ProbeTag.fromMessageId(messageId), query.form(),
        query.keys());
    List<ProbeMatch> out = new ArrayList<>();
    for (InMemoryPeerDirectory m : network.members()) {
      if (m == this || m.closed) {
        continue;
      }
      Optional<ProbeMatches.Match> match = m.hear(heard, query);
      if (match.isEmpty()) {
        continue;
      }
      PccrdAnswer a = PccrdProfile.readMatch(query, match.get());
      ProbeMatch pm = new ProbeMatch(m.peer, a.blocksHeld(), a.complete(), network.latency(), a.endpointId());
      out.add(pm);
      notify(() -> listener.matchReceived(pm));
    }
    return out;
  }

  private String messageId(ProbeTag given) {
    Supplier<ProbeTag> t = tags;
    ProbeTag tag = given;
    if (tag == null && t != null) {
      try {
        tag = t.get();
      } catch (RuntimeException e) {
        LOG.warn("discovery: probe tag supplier failed: {}", e.toString());
      }
    }
    if (tag == null) {
      return "urn:uuid:" + network.randomUuid();
    }
    ProbeTag chosen = tag;
    return network.withRandom(chosen::toMessageId);
  }

  private Optional<ProbeMatches.Match> hear(HeardProbe probe, PccrdQuery query) {
    notify(() -> listener.probeHeard(probe));
    LocalHoldings h = holdings;
    if (h == null) {
      return Optional.empty();
    }
    Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
    for (DiscoveryKey k : query.keys()) {
      offered.put(k, h.holding(k, probe));
    }
    return PccrdProfile.match(query, offered, endpointId, peer.toXAddr());
  }

  private static void notify(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.warn("discovery: subnet listener failed: {}", e.toString());
    }
  }

  @Override
  public void serve(LocalHoldings holdings) {
    this.holdings = holdings;
  }

  @Override
  public void listen(SubnetListener listener) {
    this.listener = listener == null ? SubnetListener.NONE : listener;
  }

  @Override
  public void tagProbes(Supplier<ProbeTag> tag) {
    this.tags = tag;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      network.leave(this);
    }
  }
}
