package dev.peerdist.node.engine;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.node.metrics.NodeMeters;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Finds peers for several segments with one PCCRD probe per key form (PROTOCOL.md §3.3, §3.5:
 * a probe carries many segment ids), and adds the always-asked peers (configured peers, cache
 * servers found by DNS-SD) to every segment. Remembers every peer seen, for {@code /status}.
 */
public final class PeerLocator {
  /** Probes end early once this many distinct peers answered. */
  static final int ENOUGH_PEERS = 8;
  /** Peers remembered for the status page. */
  static final int MAX_PEERS_SEEN = 256;

  private final PeerDirectory directory;
  private final Supplier<List<PeerEndpoint>> alwaysAsk;
  private final Predicate<PeerEndpoint> isSelf;
  private final Duration wait;
  private final NodeMeters meters;
  private final Clock clock;
  private final Map<PeerEndpoint, Seen> seen = new ConcurrentHashMap<>();

  private record Seen(String via, Instant when) {}

  /**
   * @param directory PCCRD, or null when discovery is off
   * @param alwaysAsk peers asked for every segment, read at each call
   * @param isSelf true for this node's own PCCRR endpoint (its responder hears its own probes)
   */
  public PeerLocator(PeerDirectory directory, Supplier<List<PeerEndpoint>> alwaysAsk,
      Predicate<PeerEndpoint> isSelf, Duration wait, NodeMeters meters, Clock clock) {
    this.directory = directory;
    this.alwaysAsk = alwaysAsk;
    this.isSelf = isSelf;
    this.wait = wait;
    this.meters = meters;
    this.clock = clock;
  }

  /** The discovery key of a segment: its HoHoDk in the form of its content version. */
  public static DiscoveryKey key(SegmentId id, ContentVersion version) {
    return DiscoveryKey.of(version == ContentVersion.V1 ? DiscoveryKey.Form.V1 : DiscoveryKey.Form.V2,
        id.toBytes());
  }

  /**
   * Candidates for each of {@code records} (possibly empty lists). Blocks for at most about the
   * discovery wait.
   */
  public Map<SegmentId, List<PeerCandidate>> locate(List<SegmentRecord> records) throws InterruptedException {
    Map<SegmentId, List<PeerCandidate>> out = new LinkedHashMap<>();
    for (SegmentRecord r : records) {
      out.put(r.id(), new ArrayList<>());
    }
    if (directory != null && !records.isEmpty()) {
      Map<DiscoveryKey.Form, List<DiscoveryKey>> byForm = new HashMap<>();
      Map<DiscoveryKey, SegmentId> ids = new HashMap<>();
      for (SegmentRecord r : records) {
        DiscoveryKey k = key(r.id(), r.version());
        byForm.computeIfAbsent(k.form(), f -> new ArrayList<>()).add(k);
        ids.put(k, r.id());
      }
      for (List<DiscoveryKey> keys : byForm.values()) {
        long t0 = System.nanoTime();
        List<ProbeMatch> matches;
        try {
          matches = directory.probe(keys, wait, ENOUGH_PEERS)
              .get(wait.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
          matches = List.of();
        }
        boolean any = false;
        for (ProbeMatch m : matches) {
          if (isSelf.test(m.peer())) {
            continue;
          }
          for (Map.Entry<DiscoveryKey, Integer> e : m.blocksHeld().entrySet()) {
            SegmentId id = ids.get(e.getKey());
            if (id != null && e.getValue() > 0) {
              any = true;
              out.get(id).add(new PeerCandidate(m.peer(), e.getValue(),
                  Boolean.TRUE.equals(m.complete().get(e.getKey()))));
            }
          }
          remember(m.peer(), "pccrd");
        }
        meters.discovery(Duration.ofNanos(System.nanoTime() - t0), any);
      }
    }
    for (PeerEndpoint p : alwaysAsk.get()) {
      if (isSelf.test(p)) {
        continue;
      }
      for (List<PeerCandidate> list : out.values()) {
        if (list.stream().noneMatch(c -> c.endpoint().equals(p))) {
          list.add(new PeerCandidate(p, -1, false));
        }
      }
    }
    return out;
  }

  /** Notes a peer for the status page. */
  public void remember(PeerEndpoint peer, String via) {
    if (seen.size() < MAX_PEERS_SEEN || seen.containsKey(peer)) {
      seen.put(peer, new Seen(via, clock.instant()));
    }
  }

  /** Peers seen, for {@code /status}. */
  public List<Map<String, Object>> peersSeen() {
    List<Map<String, Object>> out = new ArrayList<>();
    Instant now = clock.instant();
    for (Map.Entry<PeerEndpoint, Seen> e : seen.entrySet()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("peer", e.getKey().toString());
      m.put("via", e.getValue().via());
      m.put("age_s", Duration.between(e.getValue().when(), now).toSeconds());
      out.add(m);
    }
    return out;
  }
}
