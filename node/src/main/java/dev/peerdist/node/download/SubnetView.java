package dev.peerdist.node.download;

import dev.peerdist.chunkstore.content.SegmentId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a node hears of its subnet's wants, from the PCCRD probes every node multicasts
 * (PROTOCOL.md §3.1): who wants which segment, who says it is fetching one from the origin, and
 * from that, which node of the subnet should fetch a segment's missing blocks from the origin.
 * This is the coordination of issue 8 without a tracker or a new server: the probes are already on
 * the wire, peerdist nodes only mark theirs (the {@code ProbeTag} in the MessageID).
 *
 * <p><b>Election</b>: the fetcher of a segment is the wanter with the highest rendezvous score
 * {@code mix(nodeId, segment)}; every node computes the same order from the same probes, so they
 * agree without talking, and when the chosen one goes quiet the next in order takes over.
 *
 * <p><b>Answer thinning</b>: in a large swarm every holder answering every probe would flood the
 * prober (1,000 datagrams within the 65 ms back-off). A holder answers with probability
 * {@code answerTarget ÷ estimated holders}, where the estimate counts nodes heard wanting the
 * segment long enough ago to hold part of it ({@code answerSettle}), plus those that stopped asking.
 *
 * <p>Bounded: at most {@value #MAX_SEGMENTS} segments (least recently heard forgotten) and
 * {@value #MAX_WANTERS} wanters each. Thread-safe (the responder asks from a discovery thread).
 * Pure: time comes in as nanoseconds from the caller's clock.
 */
public final class SubnetView {
  static final int MAX_SEGMENTS = 4096;
  static final int MAX_WANTERS = 65_536;
  /** How long a node that stopped probing a segment is still counted as a probable holder. */
  static final long FORMER_WANTER_NANOS = 600_000_000_000L;
  /** Ranking entries kept per segment. */
  static final int RANK_DEPTH = 8;
  private static final long RECOMPUTE_NANOS = 500_000_000L;
  /** A wanter that said it fetches a segment within this long is its source, not a copier. */
  static final long SOURCE_NANOS = 5_000_000_000L;

  private final long membershipNanos;
  private final long settleNanos;
  private final int answerTarget;
  private final Map<SegmentId, Wanted> segments = new LinkedHashMap<>(64, 0.75f, true);
  private final Map<Long, Long> fetching = new HashMap<>();
  /** Where tagged wanters serve PCCRR (probe source address + tag port), by node id. */
  private final Map<Long, dev.peerdist.discovery.PeerEndpoint> endpoints = new HashMap<>();
  /** The reverse of {@link #endpoints}. */
  private final Map<dev.peerdist.discovery.PeerEndpoint, Long> nodeAt = new HashMap<>();
  /** When a probe without a peerdist tag (Windows, iPXE) was last heard; MIN_VALUE = never. */
  private long lastForeignProbe = Long.MIN_VALUE;

  /** Wanters of one segment. */
  private static final class Wanted {
    final long segmentHash;
    /** nodeId → {first heard, last heard, last heard fetching it} (nanos; MIN_VALUE = never). */
    final Map<Long, long[]> wanters = new HashMap<>();
    int version;
    int rankedVersion = -1;
    long rankedAt;
    long[] ranked = new long[0];
    long answerAt = Long.MIN_VALUE;
    double answerP = 1;
    int sortedVersion = -1;
    long sortedAt;
    /** Tagged wanters heard within the membership window, ascending (see {@link #standing}). */
    long[] sorted = new long[0];

    Wanted(SegmentId id) {
      this.segmentHash = hash(id);
    }
  }

  public SubnetView(LoopSettings s) {
    this.membershipNanos = s.membershipWindow().toNanos();
    this.settleNanos = s.answerSettle().toNanos();
    this.answerTarget = s.answerTarget();
  }

  /** A 64-bit mix of a segment id (its first 8 bytes are already uniform: it is an HMAC). */
  static long hash(SegmentId id) {
    byte[] b = id.toBytes();
    long h = 0;
    for (int i = 0; i < Math.min(8, b.length); i++) {
      h = (h << 8) | (b[i] & 0xFF);
    }
    return mix(h ^ b.length);
  }

  /** SplitMix64's finalizer: a fixed, well-spread bijection. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** The rendezvous score of {@code nodeId} for a segment of hash {@code segmentHash}. */
  static long score(long nodeId, long segmentHash) {
    return mix(nodeId * 0x9E3779B97F4A7C15L ^ segmentHash);
  }

  /** The score of {@code nodeId} for {@code segment}. */
  public static long score(long nodeId, SegmentId segment) {
    return score(nodeId, hash(segment));
  }

  /**
   * A probe was heard.
   *
   * @param nodeId the prober's node id; for probes without a peerdist tag, any stable negative
   *     number derived from the source address (such nodes are counted, never elected)
   * @param segments the probed segments, in probe order
   * @param fetching how many of the leading segments the prober says it is fetching from the origin
   */
  public synchronized void heard(long nodeId, List<SegmentId> segments, int fetching, long now) {
    heard(nodeId, null, segments, fetching, now);
  }

  /** As {@link #heard(long, List, int, long)}, remembering where a tagged prober serves PCCRR. */
  public synchronized void heard(long nodeId, dev.peerdist.discovery.PeerEndpoint endpoint, List<SegmentId> segments,
      int fetching, long now) {
    if (nodeId < 0) {
      lastForeignProbe = now;
    } else if (endpoint != null && (endpoints.size() < MAX_WANTERS || endpoints.containsKey(nodeId))) {
      dev.peerdist.discovery.PeerEndpoint before = endpoints.put(nodeId, endpoint);
      if (before != null && !before.equals(endpoint)) {
        nodeAt.remove(before);
      }
      nodeAt.put(endpoint, nodeId);
    }
    for (int i = 0; i < segments.size(); i++) {
      SegmentId id = segments.get(i);
      Wanted w = this.segments.computeIfAbsent(id, Wanted::new);
      long[] t = w.wanters.get(nodeId);
      if (t == null) {
        if (w.wanters.size() >= MAX_WANTERS) {
          continue;
        }
        t = new long[] {now, now, Long.MIN_VALUE};
        w.wanters.put(nodeId, t);
        w.version++;
      }
      t[1] = now;
      if (i < fetching) {
        t[2] = now;
      }
    }
    if (fetching > 0) {
      fetching(nodeId, now);
    }
    while (this.segments.size() > MAX_SEGMENTS) {
      Iterator<SegmentId> it = this.segments.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  private void fetching(long nodeId, long now) {
    this.fetching.put(nodeId, now);
    if (this.fetching.size() > MAX_WANTERS) {
      this.fetching.values().removeIf(t -> now - t > membershipNanos);
    }
  }

  /**
   * The wanters of {@code segment} heard within the membership window, best rendezvous score first
   * (at most {@value #RANK_DEPTH}). Only peerdist nodes (non-negative ids) are ranked.
   */
  public synchronized long[] ranking(SegmentId segment, long now) {
    Wanted w = segments.get(segment);
    if (w == null) {
      return new long[0];
    }
    if (w.rankedVersion == w.version && now - w.rankedAt < RECOMPUTE_NANOS) {
      return w.ranked;
    }
    long[] ids = new long[RANK_DEPTH];
    long[] scores = new long[RANK_DEPTH];
    int n = 0;
    for (Map.Entry<Long, long[]> e : w.wanters.entrySet()) {
      long id = e.getKey();
      if (id < 0 || now - e.getValue()[1] > membershipNanos) {
        continue;
      }
      long sc = score(id, w.segmentHash);
      if (n == RANK_DEPTH && Long.compareUnsigned(sc, scores[n - 1]) <= 0) {
        continue;
      }
      int at = n < RANK_DEPTH ? n++ : n - 1;
      while (at > 0 && Long.compareUnsigned(sc, scores[at - 1]) > 0) {
        scores[at] = scores[at - 1];
        ids[at] = ids[at - 1];
        at--;
      }
      scores[at] = sc;
      ids[at] = id;
    }
    w.ranked = java.util.Arrays.copyOf(ids, n);
    w.rankedVersion = w.version;
    w.rankedAt = now;
    return w.ranked;
  }

  /**
   * Tagged wanters of {@code segment} heard within the membership window that rank above {@code
   * self} for it and whose PCCRR endpoint is known, best first, at most {@code limit}.
   */
  public synchronized List<dev.peerdist.discovery.PeerEndpoint> betterRanked(SegmentId segment, long self, long now,
      int limit) {
    Wanted w = segments.get(segment);
    List<dev.peerdist.discovery.PeerEndpoint> out = new ArrayList<>();
    if (w == null) {
      return out;
    }
    long mine = score(self, w.segmentHash);
    List<long[]> better = new ArrayList<>();
    for (Map.Entry<Long, long[]> e : w.wanters.entrySet()) {
      long id = e.getKey();
      if (id < 0 || id == self || now - e.getValue()[1] > membershipNanos || !endpoints.containsKey(id)) {
        continue;
      }
      long sc = score(id, w.segmentHash);
      if (Long.compareUnsigned(sc, mine) > 0) {
        better.add(new long[] {id, sc});
      }
    }
    better.sort((a, b) -> Long.compareUnsigned(b[1], a[1]));
    for (int i = 0; i < Math.min(limit, better.size()); i++) {
      out.add(endpoints.get(better.get(i)[0]));
    }
    return out;
  }

  /**
   * Where {@code self} stands among the peerdist wanters of {@code segment} that copy it (those not
   * fetching it from the origin): its index in their ascending node ids (itself included, heard or
   * not) in the high 32 bits, their number in the low 32. Every node that heard the same probes computes the same list, which lets the wanters divide
   * a segment's blocks among themselves exactly (one first copy of each block from a lone source).
   */
  public synchronized long standing(SegmentId segment, long self, long now) {
    Wanted w = segments.get(segment);
    long[] ids = w == null ? new long[0] : sortedWanters(w, now);
    int at = java.util.Arrays.binarySearch(ids, self);
    if (at >= 0) {
      return ((long) at << 32) | ids.length;
    }
    return ((long) (-at - 1) << 32) | (ids.length + 1);
  }

  private long[] sortedWanters(Wanted w, long now) {
    if (w.sortedVersion == w.version && now - w.sortedAt < RECOMPUTE_NANOS) {
      return w.sorted;
    }
    long[] ids = new long[w.wanters.size()];
    int n = 0;
    for (Map.Entry<Long, long[]> e : w.wanters.entrySet()) {
      long[] t = e.getValue();
      boolean source = t[2] != Long.MIN_VALUE && now - t[2] <= SOURCE_NANOS;
      if (e.getKey() >= 0 && now - t[1] <= membershipNanos && !source) {
        ids[n++] = e.getKey();
      }
    }
    ids = java.util.Arrays.copyOf(ids, n);
    java.util.Arrays.sort(ids);
    w.sorted = ids;
    w.sortedVersion = w.version;
    w.sortedAt = now;
    return ids;
  }

  /**
   * Whether the node serving PCCRR at {@code endpoint} said, within {@code withinNanos}, that it is
   * fetching {@code segment} from the origin: a source of fresh blocks, whose uplink the subnet
   * spares. False for endpoints not heard in a tagged probe (other implementations).
   */
  public synchronized boolean fetching(dev.peerdist.discovery.PeerEndpoint endpoint, SegmentId segment, long now,
      long withinNanos) {
    Long id = nodeAt.get(endpoint);
    if (id == null) {
      return false;
    }
    Wanted w = segments.get(segment);
    long[] t = w == null ? null : w.wanters.get(id);
    return t != null && t[2] != Long.MIN_VALUE && now - t[2] <= withinNanos;
  }

  /** Whether a probe without a peerdist tag (a Windows or iPXE client) was heard within {@code nanos}. */
  public synchronized boolean foreignProbersWithin(long nanos, long now) {
    return lastForeignProbe != Long.MIN_VALUE && now - lastForeignProbe <= nanos;
  }

  /** Wanters of {@code segment} heard within the membership window (peerdist or not). */
  public synchronized int wanters(SegmentId segment, long now) {
    Wanted w = segments.get(segment);
    if (w == null) {
      return 0;
    }
    int n = 0;
    for (long[] t : w.wanters.values()) {
      if (now - t[1] <= membershipNanos) {
        n++;
      }
    }
    return n;
  }

  /** When {@code nodeId} last said it was fetching {@code segment} from the origin; MIN_VALUE if never. */
  public synchronized long lastFetching(long nodeId, SegmentId segment) {
    Wanted w = segments.get(segment);
    long[] t = w == null ? null : w.wanters.get(nodeId);
    return t == null ? Long.MIN_VALUE : t[2];
  }

  /** When {@code nodeId} was last heard probing {@code segment}; MIN_VALUE if never. */
  public synchronized long lastHeard(long nodeId, SegmentId segment) {
    Wanted w = segments.get(segment);
    long[] t = w == null ? null : w.wanters.get(nodeId);
    return t == null ? Long.MIN_VALUE : t[1];
  }

  /** Nodes other than {@code self} heard fetching from the origin within the membership window. */
  public synchronized int activeFetchers(long self, long now) {
    int n = 0;
    for (Map.Entry<Long, Long> e : fetching.entrySet()) {
      if (e.getKey() != self && now - e.getValue() <= membershipNanos) {
        n++;
      }
    }
    return n;
  }

  /** The probability with which a holder of {@code segment} answers a probe for it now. */
  public synchronized double answerProbability(SegmentId segment, long now) {
    Wanted w = segments.get(segment);
    if (w == null) {
      return 1;
    }
    if (now - w.answerAt < RECOMPUTE_NANOS && w.answerAt != Long.MIN_VALUE) {
      return w.answerP;
    }
    int holders = 0;
    for (long[] t : w.wanters.values()) {
      boolean settled = now - t[0] >= settleNanos;
      boolean recent = now - t[1] <= FORMER_WANTER_NANOS;
      if (settled && recent) {
        holders++;
      }
    }
    w.answerAt = now;
    w.answerP = holders <= answerTarget ? 1.0 : (double) answerTarget / holders;
    return w.answerP;
  }

  /**
   * Whether this node answers a probe: deterministic in (probe, node), so a retransmitted probe
   * (same MessageID) gets the same answer, and different probes sample different holders.
   */
  public static boolean answers(double probability, long probeHash, long nodeId) {
    if (probability >= 1) {
      return true;
    }
    long x = mix(probeHash ^ mix(nodeId));
    return (x >>> 11) * 0x1.0p-53 < probability;
  }

  /** Drops what is older than the former-wanter horizon (call now and then). */
  public synchronized void expire(long now) {
    for (Iterator<Wanted> it = segments.values().iterator(); it.hasNext(); ) {
      Wanted w = it.next();
      if (w.wanters.values().removeIf(t -> now - t[1] > FORMER_WANTER_NANOS)) {
        w.version++;
      }
      if (w.wanters.isEmpty()) {
        it.remove();
      }
    }
    fetching.values().removeIf(t -> now - t > membershipNanos);
  }

  /** Segments tracked, for tests and status. */
  public synchronized List<SegmentId> segments() {
    return new ArrayList<>(segments.keySet());
  }
}
