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
 * <p><b>Answer thinning</b> (issue 9): in a large swarm every holder answering every probe would
 * flood the prober (10,000 datagrams within the 65 ms back-off of PROTOCOL.md §3.6) and every
 * responder's uplink. A holder answers a probe with probability {@code answerTarget ÷ N}, where N
 * depends on which of two kinds of holder it is (see {@link #answerProbability(SegmentId, long,
 * boolean, long)}):
 * <ul>
 *   <li>a <em>wanter</em> (it holds part of the segment, or it was heard probing it within the
 *       membership window): N counts every node heard probing the segment within the
 *       former-wanter horizon, whether it got any block yet or not. Every such holder is one of
 *       those N, so the expected number of their answers to one probe is at most {@code
 *       answerTarget}, from the first probe of a crowd on;
 *   <li>a <em>complete</em> holder not heard probing it within the membership window (a seed, a
 *       node that finished): N counts the wanters that stopped probing it (former wanters) and the
 *       holder itself. A lone seed in a fresh crowd therefore answers every probe, and the
 *       finished nodes of a crowd draw at most {@code answerTarget} answers again.
 * </ul>
 * So one probe draws at most {@code 2 × answerTarget} answers in expectation from the holders
 * this view has heard, plus one per complete holder it never heard (pre-populated seeds), plus
 * every cache server (which always answers, {@code Node}). The draw is deterministic in (probe,
 * node) ({@link #answers}), so the answering holders of one probe are a spread-out sample of the
 * subnet and another probe samples others. Probes without a peerdist tag (Windows, iPXE) are
 * counted as wanters and answered by the same rule as tagged ones.
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
  /** Points each wanter has on a segment's first-copy ring (more points, more even shares). */
  static final int RING_POINTS = 16;
  /**
   * The first-copy ring is rebuilt at most this often while wanters come and go (50 ms was tried
   * with the predecessor rule of 2026-12-04: a seeded crowd of 200 × 1 GiB did worse, p99 1.27 →
   * 1.32 × ideal, seed 1 of the model).
   */
  private static final long RING_REBUILD_NANOS = 100_000_000L;
  /** A wanter that said it fetches a segment within this long is its source, not a copier. */
  static final long SOURCE_NANOS = 5_000_000_000L;

  private final long membershipNanos;
  private final int answerTarget;
  /**
   * The segments heard, least recently used first by {@link Wanted#used} (a look-up or a probe
   * stamps it): the order of an access-ordered map without relinking an entry at every look-up.
   */
  private final Map<SegmentId, Wanted> segments = new HashMap<>(64);
  /** The last {@link Wanted#used} stamp given. */
  private long uses;
  private final Map<Long, Long> fetching = new HashMap<>();
  /** Where tagged wanters serve PCCRR (probe source address + tag port), by node id. */
  private final Map<Long, dev.peerdist.discovery.PeerEndpoint> endpoints = new HashMap<>();
  /**
   * A tagged wanter's endpoint in its other address family, by node id: a dual-stack node probes on
   * IPv4 and IPv6 with one MessageID, and whichever copy comes first is the one heard. {@link
   * #endpoints} keeps the IPv4 one, this map the IPv6 one (or the reverse for a node heard on IPv6
   * only until now).
   */
  private final Map<Long, dev.peerdist.discovery.PeerEndpoint> otherFamily = new HashMap<>();
  /** The reverse of {@link #endpoints} and {@link #otherFamily}. */
  private final Map<dev.peerdist.discovery.PeerEndpoint, Long> nodeAt = new HashMap<>();
  /**
   * A few of {@link #nodeAt}'s entries by endpoint object, direct-mapped by identity: the loop asks
   * {@link #fetching} with the same endpoint objects again and again (every holder's source flag,
   * every 250 ms), and hashing an address each time was a tenth of a large model run. Cleared when
   * an entry of {@link #nodeAt} changes or goes; a miss asks the map.
   */
  private final dev.peerdist.discovery.PeerEndpoint[] endpointKeys = new dev.peerdist.discovery.PeerEndpoint[ENDPOINT_CACHE];
  private final long[] endpointIds = new long[ENDPOINT_CACHE];
  private static final int ENDPOINT_CACHE = 1024;
  /** Bumped whenever what {@link #nodeAt} answers may have changed (a mapping added, changed or gone). */
  private int endpointEpoch;
  /** Up to this many fetchers of a segment are looked through before its wanters' index ({@link Wanted#fetchTime}). */
  private static final int FETCHER_SCAN = 16;
  /**
   * The segment last looked up or heard, and its wanters (null: not tracked), while it is the
   * most recently used entry of {@link #segments}: a lookup of it again would not reorder the
   * map, so it is answered without hashing. Cleared when an entry goes.
   */
  private SegmentId lastSegment;
  /**
   * A few of {@link #segments}' entries by key object, direct-mapped by the key's hash: a site's
   * loops ask about their few segments in turn (each holder's source flag, the standing, the
   * rankings), so the last-used entry alone missed one lookup in five (4.8 M of 22.5 M in the
   * model's 1,000 nodes × 256 MiB) and each miss went through the map. Only entries found in the
   * map are kept; a hit stamps the entry's use as the map lookup did; cleared when an entry goes
   * ({@link #forgetSegments}).
   */
  private final SegmentId[] segmentKeys = new SegmentId[SEGMENT_CACHE];
  private final Wanted[] segmentValues = new Wanted[SEGMENT_CACHE];
  private static final int SEGMENT_CACHE = 256;
  /** Rings built so far (numbers them, see {@link ArcsMemo}). */
  private long rings;
  private Wanted lastWanted;
  /**
   * Segments this node finished fetching itself, and when (see {@link #finishedHere}): the daemon's
   * own probes are not heard by its own view, so this is how it knows it was a wanter until then.
   */
  private final Map<SegmentId, Long> finished = new LinkedHashMap<>(16, 0.75f, false);
  /** When a probe without a peerdist tag (Windows, iPXE) was last heard; MIN_VALUE = never. */
  private long lastForeignProbe = Long.MIN_VALUE;

  /**
   * Wanters of one segment, in parallel arrays by slot (in the order first heard), with an
   * open-addressing index from node id to slot: the scans below (ranking, counts) read a few
   * arrays instead of chasing a hash map's entries, which matters with thousands of wanters.
   */
  private static final class Wanted {
    final long segmentHash;
    int size;
    long[] ids = new long[4];
    /** When each wanter was last heard, and last heard fetching it (nanos; MIN_VALUE = never). */
    long[] last = new long[4];
    long[] fetch = new long[4];
    /**
     * The ids of the wanters ever heard fetching (those whose {@link #fetch} is set), in no order:
     * few per segment, so {@link #fetchTime} answers "never" for every other node without a slot
     * lookup (the loop asks it for every holder every 250 ms).
     */
    long[] fetchers = new long[2];
    int fetcherCount;
    /** Slot + 1 by hash of the node id (0 = free); a power of two, at most half full. */
    int[] index = new int[8];
    /** Bumped when a wanter is added or removed. */
    int version;
    /** Bumped when the wanters heard within the membership window may have grown (see {@link #wanters}). */
    int members;
    int countMembers = -1;
    long countAt;
    int count;
    /** The earliest last-heard time among the wanters counted at {@link #countAt}. */
    long countOldest;
    int rankedVersion = -1;
    long rankedAt;
    long[] ranked = new long[0];
    /**
     * When {@link #answerCounts} last counted (MIN_VALUE: a probe was heard since, count again),
     * until when those counts hold (the first time a counted wanter crosses the window or the
     * horizon), and the counts.
     */
    long answerAt = Long.MIN_VALUE;
    long answerUntil;
    int heardCount;
    int formerCount;
    int sortedVersion = -1;
    long sortedAt;
    /** Tagged wanters heard within the membership window, ascending (see {@link #standing}). */
    long[] sorted = new long[0];
    /** The first-copy ring's points, ascending, built from {@link #ringOf} (see {@link #firstCopyArcs}). */
    long[] ring = new long[0];
    /** The wanter each point of {@link #ring} belongs to (same order). */
    long[] ringOwners = new long[0];
    /** {@link #ring}'s number, unique in this view (0: none built yet). */
    long ringNumber;
    long[] ringOf;
    long ringAt = Long.MIN_VALUE;

    /** When it was last looked up or heard, in {@link #uses} ({@link #segments}' order). */
    long used;
    final SegmentId id;

    Wanted(SegmentId id) {
      this.id = id;
      this.segmentHash = hash(id);
    }

    /** The slot of {@code id}, or -1. */
    int slot(long id) {
      int mask = index.length - 1;
      for (int i = (int) mix(id) & mask; ; i = (i + 1) & mask) {
        int at = index[i];
        if (at == 0) {
          return -1;
        }
        if (ids[at - 1] == id) {
          return at - 1;
        }
      }
    }

    /** Adds wanter {@code id} (not yet present) in the next slot; returns the slot. */
    int add(long id, long now) {
      if (size == ids.length) {
        int grown = size * 2;
        ids = java.util.Arrays.copyOf(ids, grown);
        last = java.util.Arrays.copyOf(last, grown);
        fetch = java.util.Arrays.copyOf(fetch, grown);
      }
      int slot = size++;
      ids[slot] = id;
      last[slot] = now;
      fetch[slot] = Long.MIN_VALUE;
      if (2 * size > index.length) {
        reindex(index.length * 2);
      } else {
        place(slot);
      }
      return slot;
    }

    private void place(int slot) {
      int mask = index.length - 1;
      int i = (int) mix(ids[slot]) & mask;
      while (index[i] != 0) {
        i = (i + 1) & mask;
      }
      index[i] = slot + 1;
    }

    private void reindex(int capacity) {
      index = new int[capacity];
      for (int k = 0; k < size; k++) {
        place(k);
      }
    }

    /** When wanter {@code id} last said it fetches the segment; MIN_VALUE if never (or not a wanter). */
    long fetchTime(long id) {
      if (fetcherCount <= FETCHER_SCAN) {
        boolean listed = false;
        for (int i = 0; i < fetcherCount; i++) {
          listed |= fetchers[i] == id;
        }
        if (!listed) {
          return Long.MIN_VALUE;
        }
      }
      int k = slot(id);
      return k < 0 ? Long.MIN_VALUE : fetch[k];
    }

    /** Wanter {@code slot} says it fetches the segment at {@code now}. */
    void fetched(int slot, long now) {
      if (fetch[slot] == Long.MIN_VALUE) {
        if (fetcherCount == fetchers.length) {
          fetchers = java.util.Arrays.copyOf(fetchers, 2 * fetcherCount);
        }
        fetchers[fetcherCount++] = ids[slot];
      }
      fetch[slot] = now;
    }

    /** Removes the wanters last heard more than {@code nanos} ago (keeping the others' order); true if any. */
    boolean removeHeardBefore(long now, long nanos) {
      int kept = 0;
      for (int k = 0; k < size; k++) {
        if (now - last[k] <= nanos) {
          ids[kept] = ids[k];
          last[kept] = last[k];
          fetch[kept] = fetch[k];
          kept++;
        }
      }
      if (kept == size) {
        return false;
      }
      size = kept;
      fetcherCount = 0;
      for (int k = 0; k < size; k++) {
        if (fetch[k] != Long.MIN_VALUE) {
          if (fetcherCount == fetchers.length) {
            fetchers = java.util.Arrays.copyOf(fetchers, 2 * fetcherCount);
          }
          fetchers[fetcherCount++] = ids[k];
        }
      }
      int capacity = 8;
      while (2 * size > capacity) {
        capacity *= 2;
      }
      reindex(capacity);
      return true;
    }
  }

  public SubnetView(LoopSettings s) {
    this.membershipNanos = s.membershipWindow().toNanos();
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
      remember(nodeId, endpoint);
      Long was = nodeAt.put(endpoint, nodeId);
      if (was != null && was != nodeId) {
        java.util.Arrays.fill(endpointKeys, null);
      }
      if (was == null || was != nodeId) {
        endpointEpoch++; // what nodeAt answers changed (NodeMemo)
      }
    }
    for (int i = 0; i < segments.size(); i++) {
      SegmentId id = segments.get(i);
      Wanted w = this.segments.computeIfAbsent(id, Wanted::new);
      w.used = ++uses;
      lastSegment = id;
      lastWanted = w;
      int slot = w.slot(nodeId);
      if (slot < 0) {
        if (w.size >= MAX_WANTERS) {
          continue;
        }
        slot = w.add(nodeId, now);
        w.version++;
        w.members++;
      } else if (Math.max(now, w.countAt) - w.last[slot] > membershipNanos) {
        w.members++; // heard again after the window (or not counted at the last count): counted again
      }
      w.last[slot] = now;
      w.answerAt = Long.MIN_VALUE;
      if (i < fetching) {
        w.fetched(slot, now);
      }
    }
    if (fetching > 0) {
      fetching(nodeId, now);
    }
    while (this.segments.size() > MAX_SEGMENTS) {
      Wanted eldest = null; // the least recently used (a scan, only when a segment beyond the bound is heard)
      for (Wanted w : this.segments.values()) {
        if (eldest == null || w.used < eldest.used) {
          eldest = w;
        }
      }
      this.segments.remove(eldest.id);
      forgetSegments();
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
    Wanted w = wanted(segment);
    if (w == null) {
      return new long[0];
    }
    if (w.rankedVersion == w.version && now - w.rankedAt < RECOMPUTE_NANOS) {
      return w.ranked;
    }
    long[] ids = new long[RANK_DEPTH];
    long[] scores = new long[RANK_DEPTH];
    int n = 0;
    for (int k = 0; k < w.size; k++) {
      long id = w.ids[k];
      if (id < 0 || now - w.last[k] > membershipNanos) {
        continue;
      }
      n = keepBest(ids, scores, n, id, score(id, w.segmentHash));
    }
    w.ranked = java.util.Arrays.copyOf(ids, n);
    w.rankedVersion = w.version;
    w.rankedAt = now;
    return w.ranked;
  }

  /**
   * Puts {@code id} with score {@code sc} into the best-first list {@code ids}/{@code scores} of
   * {@code n} entries (at most their length: a full list drops its last, unless {@code sc} does
   * not beat it); equal scores stay in the order offered. Returns the new length.
   */
  private static int keepBest(long[] ids, long[] scores, int n, long id, long sc) {
    int depth = ids.length;
    if (n == depth && Long.compareUnsigned(sc, scores[n - 1]) <= 0) {
      return n;
    }
    int at = n < depth ? n++ : n - 1;
    while (at > 0 && Long.compareUnsigned(sc, scores[at - 1]) > 0) {
      scores[at] = scores[at - 1];
      ids[at] = ids[at - 1];
      at--;
    }
    scores[at] = sc;
    ids[at] = id;
    return n;
  }

  /**
   * Tagged wanters of {@code segment} heard within the membership window that rank above {@code
   * self} for it and whose PCCRR endpoint is known, best first, at most {@code limit}.
   */
  public synchronized List<dev.peerdist.discovery.PeerEndpoint> betterRanked(SegmentId segment, long self, long now,
      int limit) {
    Wanted w = wanted(segment);
    List<dev.peerdist.discovery.PeerEndpoint> out = new ArrayList<>();
    if (w == null) {
      return out;
    }
    long mine = score(self, w.segmentHash);
    // The best `limit` of them in one pass, best first (equal scores in the order first heard).
    int depth = Math.max(0, Math.min(limit, w.size));
    long[] ids = new long[depth];
    long[] scores = new long[depth];
    int n = 0;
    for (int k = 0; k < w.size && depth > 0; k++) {
      long id = w.ids[k];
      if (id < 0 || id == self || now - w.last[k] > membershipNanos) {
        continue;
      }
      long sc = score(id, w.segmentHash);
      if (Long.compareUnsigned(sc, mine) <= 0 || (n == depth && Long.compareUnsigned(sc, scores[n - 1]) <= 0)
          || !endpoints.containsKey(id)) {
        continue;
      }
      n = keepBest(ids, scores, n, id, sc);
    }
    for (int i = 0; i < n; i++) {
      out.add(endpoints.get(ids[i]));
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
    Wanted w = wanted(segment);
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
    long[] ids = new long[w.size];
    int n = 0;
    for (int k = 0; k < w.size; k++) {
      boolean source = w.fetch[k] != Long.MIN_VALUE && now - w.fetch[k] <= SOURCE_NANOS;
      if (w.ids[k] >= 0 && now - w.last[k] <= membershipNanos && !source) {
        ids[n++] = w.ids[k];
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
   * The arcs of {@code segment}'s first-copy ring that are {@code self}'s, as pairs (from exclusive,
   * to inclusive) of ring points, or null when no other wanter is on the ring (every block is
   * ours). Each tagged wanter (the same ones {@link #standing} counts) has {@value #RING_POINTS}
   * points on a ring of 64-bit values derived from its node id and the segment; a block belongs to
   * the wanter whose point follows the block's point ({@link #onArc}). It is consistent hashing:
   * a wanter that joins or leaves moves only the blocks of its own arcs, so while a crowd is still
   * arriving two nodes seldom both think a block is theirs — with positions in the sorted order,
   * every arrival moved most blocks to another first copier.
   */
  public synchronized long[] firstCopyArcs(SegmentId segment, long self, long now) {
    return firstCopyArcs(segment, self, now, null);
  }

  /**
   * As {@link #firstCopyArcs(SegmentId, long, long)}, remembering in {@code last} the ring the
   * arcs came from: while the ring is the same (it is rebuilt at most every 100 ms, and only when
   * the wanters changed), the same arcs are returned without searching it again. {@code last}
   * belongs to one caller and one {@code self}; the arcs returned must not be modified.
   */
  public synchronized long[] firstCopyArcs(SegmentId segment, long self, long now, ArcsMemo last) {
    Wanted w = wanted(segment);
    long[] ring = w == null ? new long[0] : ring(w, now);
    if (ring.length == 0) {
      return null;
    }
    if (last != null && last.view == this && last.ring == w.ringNumber) {
      return last.arcs;
    }
    long[] arcs = arcs(ring, self, w);
    if (last != null) {
      last.view = this;
      last.ring = w.ringNumber;
      last.arcs = arcs;
      last.predecessors = predecessors(w, arcs, self);
    }
    return arcs;
  }

  /**
   * For each of {@code self}'s arcs, where the wanter serves PCCRR that owns the arc's blocks when
   * {@code self} is not on the ring: the owner of the next point after the arc's end that is not
   * {@code self}'s. It is the wanter those blocks belonged to before {@code self} arrived, so the
   * one that may have copied them already (null: none, or not a tagged prober).
   */
  private dev.peerdist.discovery.PeerEndpoint[] predecessors(Wanted w, long[] arcs, long self) {
    long[] ring = w.ring;
    dev.peerdist.discovery.PeerEndpoint[] out = new dev.peerdist.discovery.PeerEndpoint[arcs.length / 2];
    for (int k = 0; k < out.length; k++) {
      long point = arcs[2 * k + 1];
      int at = java.util.Arrays.binarySearch(ring, point);
      at = at >= 0 ? at + 1 : -at - 1; // the first point above ours
      for (int i = 0; i < ring.length; i++) {
        int j = (at + i) % ring.length;
        long owner = w.ringOwners[j];
        if (owner != self) {
          out[k] = endpoints.get(owner);
          break;
        }
      }
    }
    return out;
  }

  /**
   * What {@link #firstCopyArcs(SegmentId, long, long, ArcsMemo)} remembers for one caller: the
   * number of the ring (not the ring itself: 16 points per wanter, which a memo per segment and
   * node would keep alive long after the ring was rebuilt) and the arcs.
   */
  public static final class ArcsMemo {
    private SubnetView view;
    private long ring;
    private long[] arcs;
    private dev.peerdist.discovery.PeerEndpoint[] predecessors;

    /**
     * Per arc of the arcs last returned, where the wanter serves that owned the arc before this
     * node was on the ring (null: none known); see {@link SubnetView#firstCopyArcs}. Read only.
     */
    public dev.peerdist.discovery.PeerEndpoint[] predecessors() {
      return predecessors;
    }
  }

  private static long[] arcs(long[] ring, long self, Wanted w) {
    long base = score(self, w.segmentHash);
    long[] arcs = new long[2 * RING_POINTS];
    for (int k = 0; k < RING_POINTS; k++) {
      long point = ringPoint(base, k);
      int at = java.util.Arrays.binarySearch(ring, point);
      at = at >= 0 ? at : -at - 1; // the first point not below ours
      arcs[2 * k] = at > 0 ? ring[at - 1] : ring[ring.length - 1];
      arcs[2 * k + 1] = point;
    }
    return arcs;
  }

  /** Whether {@code point} lies on one of {@code arcs} ({@link #firstCopyArcs}; null = the whole ring). */
  public static boolean onArc(long[] arcs, long point) {
    return arcs == null || arcOf(arcs, point) >= 0;
  }

  /** Whether {@code point} lies on the arc from {@code from} (exclusive) to {@code to} (inclusive). */
  public static boolean onArc(long from, long to, long point) {
    return from < to ? point > from && point <= to : point > from || point <= to;
  }

  /** The index of the arc of {@code arcs} that {@code point} lies on, or -1 ({@link #onArc}). */
  public static int arcOf(long[] arcs, long point) {
    for (int i = 0; i < arcs.length; i += 2) {
      if (onArc(arcs[i], arcs[i + 1], point)) {
        return i / 2;
      }
    }
    return -1;
  }

  /** Block {@code block}'s point on the first-copy ring of a segment of hash {@code segmentHash}. */
  public static long blockPoint(long segmentHash, int block) {
    return mix(segmentHash ^ (block * 0x9E3779B97F4A7C15L));
  }

  private static long ringPoint(long base, int k) {
    return mix(base + k * 0xD1B54A32D192ED03L);
  }

  private long[] ring(Wanted w, long now) {
    long[] ids = sortedWanters(w, now);
    if (ids != w.ringOf && w.ringOf != null && now - w.ringAt >= RING_REBUILD_NANOS
        && java.util.Arrays.equals(ids, w.ringOf)) {
      // The same wanters, recounted (every 500 ms): the same points and owners. The ring keeps its
      // number, so callers' memos hold, and counts as rebuilt now for the 100 ms rule.
      w.ringOf = ids;
      w.ringAt = now;
      return w.ring;
    }
    if (ids != w.ringOf && (w.ringOf == null || now - w.ringAt >= RING_REBUILD_NANOS)) {
      long[] ring = new long[ids.length * RING_POINTS];
      for (int i = 0; i < ids.length; i++) {
        long base = score(ids[i], w.segmentHash);
        for (int k = 0; k < RING_POINTS; k++) {
          ring[i * RING_POINTS + k] = ringPoint(base, k);
        }
      }
      java.util.Arrays.sort(ring);
      long[] owners = new long[ring.length];
      for (int i = 0; i < ids.length; i++) {
        long base = score(ids[i], w.segmentHash);
        for (int k = 0; k < RING_POINTS; k++) {
          owners[java.util.Arrays.binarySearch(ring, ringPoint(base, k))] = ids[i];
        }
      }
      w.ring = ring;
      w.ringOwners = owners;
      w.ringNumber = ++rings;
      w.ringOf = ids;
      w.ringAt = now;
    }
    return w.ring;
  }

  /**
   * Up to {@code max} PCCRR endpoints of peerdist wanters of {@code segment} heard within the
   * membership window, other than {@code self} and those {@code skip} rejects, scanning from slot
   * {@code start} (taken modulo the wanters) on. They are fetching the segment too, so they will
   * hold parts of it soon: a loop whose segment runs dry asks them for their block lists
   * (PROTOCOL.md §4.4) before any probe answer of theirs reaches it.
   */
  public synchronized List<dev.peerdist.discovery.PeerEndpoint> wanterEndpoints(SegmentId segment, long self, int max,
      int start, java.util.function.Predicate<dev.peerdist.discovery.PeerEndpoint> skip, long now) {
    Wanted w = wanted(segment);
    if (w == null || w.size == 0 || max <= 0) {
      return List.of();
    }
    List<dev.peerdist.discovery.PeerEndpoint> found = new ArrayList<>(Math.min(max, 8));
    int from = Math.floorMod(start, w.size);
    for (int i = 0; i < w.size && found.size() < max; i++) {
      int k = from + i < w.size ? from + i : from + i - w.size;
      long id = w.ids[k];
      if (id < 0 || id == self || now - w.last[k] > membershipNanos) {
        continue;
      }
      dev.peerdist.discovery.PeerEndpoint at = endpoints.get(id);
      if (at != null && !skip.test(at)) {
        found.add(at);
      }
    }
    return found;
  }

  /**
   * Whether the node serving PCCRR at {@code endpoint} said, within {@code withinNanos}, that it is
   * fetching {@code segment} from the origin: a source of fresh blocks, whose uplink the subnet
   * spares. False for endpoints not heard in a tagged probe (other implementations).
   */
  public synchronized boolean fetching(dev.peerdist.discovery.PeerEndpoint endpoint, SegmentId segment, long now,
      long withinNanos) {
    return fetching(endpoint, null, segment, now, withinNanos);
  }

  /**
   * As {@link #fetching(dev.peerdist.discovery.PeerEndpoint, SegmentId, long, long)}, with the
   * caller's memo of {@code endpoint}'s node id (one memo per endpoint).
   */
  public synchronized boolean fetching(dev.peerdist.discovery.PeerEndpoint endpoint, NodeMemo memo, SegmentId segment,
      long now, long withinNanos) {
    long id = nodeAt(endpoint, memo);
    if (id < 0) {
      return false;
    }
    Wanted w = wanted(segment);
    long at = w == null ? Long.MIN_VALUE : w.fetchTime(id);
    return at != Long.MIN_VALUE && now - at <= withinNanos;
  }

  /**
   * What {@link #fetching(dev.peerdist.discovery.PeerEndpoint, NodeMemo, SegmentId, long, long)}
   * reads of one segment, copied for a caller that asks it about many holders at once (a loop's
   * source flags, each holder's every 250 ms): the wanters ever heard fetching the segment (few)
   * and when each last said so, and the {@link FetchStamps#epoch()} of the endpoints' node ids.
   * Looking the holders up in the copy, by node ids the caller keeps per epoch ({@link
   * SubnetView#nodeId}), spares each of them the view's lock, its segment look-up and a memo
   * object; when nobody was heard fetching the segment, no node id is needed at all. One caller's,
   * reused; good until the view hears another probe.
   */
  public static final class FetchStamps {
    private SubnetView view;
    private SegmentId segment;
    /** {@link SubnetView#endpointEpoch} when copied. */
    private int epoch;
    /** How many stamps; -1: too many to copy, every look-up asks the view. */
    private int count;
    private long[] ids = new long[FETCHER_SCAN];
    private long[] times = new long[FETCHER_SCAN];

    /** Whether nobody was heard saying it fetches the segment: every endpoint's answer is false. */
    public boolean none() {
      return count == 0;
    }

    /**
     * The view's endpoint epoch when copied: node ids of endpoints got from {@link
     * SubnetView#nodeId} while it was the same are what the view would look up now.
     */
    public int epoch() {
      return epoch;
    }
  }

  /**
   * Copies into {@code into} what {@link #fetching(FetchStamps, dev.peerdist.discovery.PeerEndpoint,
   * NodeMemo, long, long)} reads of {@code segment} now. Like a look-up of the segment, it counts
   * as a use of it (the order in which segments beyond {@value #MAX_SEGMENTS} are forgotten).
   */
  public synchronized void fetchStamps(SegmentId segment, FetchStamps into) {
    Wanted w = wanted(segment);
    into.view = this;
    into.segment = segment;
    into.epoch = endpointEpoch;
    if (w == null || w.fetcherCount == 0) {
      into.count = 0;
    } else if (w.fetcherCount > into.ids.length) {
      into.count = -1;
    } else {
      int n = 0;
      for (int i = 0; i < w.fetcherCount; i++) {
        long id = w.fetchers[i];
        into.ids[n] = id;
        into.times[n++] = w.fetchTime(id);
      }
      into.count = n;
    }
  }

  /**
   * {@link #fetching(dev.peerdist.discovery.PeerEndpoint, NodeMemo, SegmentId, long, long)} for the
   * segment of {@code stamps} (copied by {@link #fetchStamps} of this view, nothing heard since) and
   * the endpoint of node {@code nodeId} ({@link #nodeId} in the stamps' epoch): the same answer,
   * without the lock or the segment's look-up while the stamps were copied.
   */
  public boolean fetching(FetchStamps stamps, long nodeId, long now, long withinNanos) {
    if (stamps.view != this) {
      throw new IllegalArgumentException("fetch stamps of another view");
    }
    if (stamps.count == 0 || nodeId < 0) {
      return false; // nobody said it fetches the segment, or not a tagged prober
    }
    long at = Long.MIN_VALUE;
    if (stamps.count < 0) {
      at = lastFetching(nodeId, stamps.segment);
    } else {
      for (int i = 0; i < stamps.count; i++) {
        if (stamps.ids[i] == nodeId) {
          at = stamps.times[i];
          break;
        }
      }
    }
    return at != Long.MIN_VALUE && now - at <= withinNanos;
  }

  /**
   * The node id of the tagged prober serving PCCRR at {@code endpoint}, or -1: good while the view's
   * endpoint epoch ({@link FetchStamps#epoch()}) is the same.
   */
  public synchronized long nodeId(dev.peerdist.discovery.PeerEndpoint endpoint) {
    return nodeAt(endpoint);
  }

  /** {@code segments.get(id)}, without hashing when {@code id} is the entry used last. */
  private Wanted wanted(SegmentId id) {
    if (id == lastSegment && id != null) {
      return lastWanted;
    }
    Wanted w;
    int i = id == null ? 0 : segmentSlot(id);
    if (id != null && segmentKeys[i] == id) {
      w = segmentValues[i];
    } else {
      w = segments.get(id);
      if (w != null && id != null) {
        segmentKeys[i] = id;
        segmentValues[i] = w;
      }
    }
    if (w != null) {
      w.used = ++uses;
    }
    lastSegment = id;
    lastWanted = w;
    return w;
  }

  private static int segmentSlot(SegmentId id) {
    int h = id.hashCode();
    return (h ^ (h >>> 16)) & (SEGMENT_CACHE - 1);
  }

  /** An entry of {@link #segments} went: nothing cached of it may answer again. */
  private void forgetSegments() {
    lastSegment = null;
    lastWanted = null;
    java.util.Arrays.fill(segmentKeys, null);
    java.util.Arrays.fill(segmentValues, null);
  }

  /**
   * What a caller remembers of {@link #nodeAt} for one endpoint of its own (a loop keeps one per
   * peer): the answer, good while no mapping of this view changed since. It spares hashing the
   * endpoint (an address, by value) each time the loop looks up a holder's flags.
   */
  public static final class NodeMemo {
    private SubnetView view;
    private int epoch;
    private long id;
  }

  /** {@link #nodeAt(dev.peerdist.discovery.PeerEndpoint)}, through {@code memo} (null: none). */
  private long nodeAt(dev.peerdist.discovery.PeerEndpoint endpoint, NodeMemo memo) {
    if (memo == null) {
      return nodeAt(endpoint);
    }
    if (memo.view != this || memo.epoch != endpointEpoch) {
      memo.id = nodeAt(endpoint);
      memo.view = this;
      memo.epoch = endpointEpoch;
    }
    return memo.id;
  }

  /**
   * Where node {@code nodeId} serves PCCRR, as heard now in a tagged probe: a new address in the
   * same family replaces the old one; an address in the other family is kept beside it, the IPv4
   * one preferred in {@link #endpoints} (the one the loop and the wanters' adoption use). Before,
   * the endpoint flipped between the families with whichever copy of a dual-stack node's probe came
   * first: look-ups by the other endpoint then found no node (a subnet-mate that finished a segment
   * passed for a seed), and every flip cleared the endpoint cache (live-16: nodes met as holders at
   * both addresses, fe80::…%2 beside 10.64.0.x).
   */
  private void remember(long nodeId, dev.peerdist.discovery.PeerEndpoint endpoint) {
    dev.peerdist.discovery.PeerEndpoint main = endpoints.get(nodeId);
    if (endpoint.equals(main)) {
      return;
    }
    if (main == null) {
      endpoints.put(nodeId, endpoint);
      return;
    }
    boolean v4 = endpoint.address().getAddress() instanceof java.net.Inet4Address;
    boolean mainV4 = main.address().getAddress() instanceof java.net.Inet4Address;
    dev.peerdist.discovery.PeerEndpoint gone;
    if (v4 == mainV4) {
      gone = main; // moved within its family
      endpoints.put(nodeId, endpoint);
    } else if (v4) {
      gone = otherFamily.put(nodeId, main); // an IPv4 address for a node heard on IPv6 until now
      endpoints.put(nodeId, endpoint);
    } else {
      gone = otherFamily.put(nodeId, endpoint);
    }
    // (The two maps hold one endpoint of each family: what went is in neither unless it came back.)
    if (gone != null && !gone.equals(endpoint)) {
      nodeAt.remove(gone);
      java.util.Arrays.fill(endpointKeys, null);
      endpointEpoch++;
    }
  }

  /** The node id serving PCCRR at {@code endpoint} (tagged probers only), or -1. */
  private long nodeAt(dev.peerdist.discovery.PeerEndpoint endpoint) {
    int i = System.identityHashCode(endpoint) & (ENDPOINT_CACHE - 1);
    if (endpointKeys[i] == endpoint && endpoint != null) {
      return endpointIds[i];
    }
    Long id = nodeAt.get(endpoint);
    if (id == null) {
      return -1;
    }
    endpointKeys[i] = endpoint;
    endpointIds[i] = id;
    return id;
  }

  /** Whether a probe without a peerdist tag (a Windows or iPXE client) was heard within {@code nanos}. */
  public synchronized boolean foreignProbersWithin(long nanos, long now) {
    return lastForeignProbe != Long.MIN_VALUE && now - lastForeignProbe <= nanos;
  }

  /**
   * Wanters of {@code segment} heard within the membership window (peerdist or not). The count is
   * kept between calls while it cannot have changed: no wanter joined or came back ({@code
   * members}), none of those counted has left the window, and time did not go back.
   */
  public synchronized int wanters(SegmentId segment, long now) {
    Wanted w = wanted(segment);
    if (w == null) {
      return 0;
    }
    if (w.countMembers == w.members && now >= w.countAt && now - w.countOldest <= membershipNanos) {
      return w.count;
    }
    int n = 0;
    long oldest = Long.MAX_VALUE;
    for (int k = 0; k < w.size; k++) {
      if (now - w.last[k] <= membershipNanos) {
        n++;
        oldest = Math.min(oldest, w.last[k]);
      }
    }
    w.countMembers = w.members;
    w.countAt = now;
    w.count = n;
    w.countOldest = n == 0 ? now : oldest;
    return n;
  }

  /** When {@code nodeId} last said it was fetching {@code segment} from the origin; MIN_VALUE if never. */
  public synchronized long lastFetching(long nodeId, SegmentId segment) {
    Wanted w = wanted(segment);
    return w == null ? Long.MIN_VALUE : w.fetchTime(nodeId);
  }

  /**
   * The peerdist wanters of {@code segment} heard saying they fetch it from the origin within
   * {@code window} of {@code now}, and not heard since probing it without saying so (they stopped),
   * into {@code into} (at most its length, in no order); returns how many. The daemon's own probes
   * are not heard here (see {@link #finished}).
   */
  public synchronized int fetchersWithin(SegmentId segment, long now, long window, long[] into) {
    Wanted w = wanted(segment);
    if (w == null) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < w.fetcherCount && n < into.length; i++) {
      long id = w.fetchers[i];
      int k = id < 0 ? -1 : w.slot(id);
      if (k >= 0 && w.fetch[k] != Long.MIN_VALUE && w.fetch[k] >= w.last[k] && now - w.fetch[k] <= window) {
        into[n++] = id;
      }
    }
    return n;
  }

  /**
   * When {@code nodeId} was last heard probing {@code segment}, and its {@link #lastFetching}, into
   * {@code into[0]} and {@code into[1]} (MIN_VALUE: never): one look-up of the segment and the node
   * for a caller that reads both (the loop, for the elected fetcher of each segment every tick).
   */
  public synchronized void lastHeardAndFetching(long nodeId, SegmentId segment, long[] into) {
    Wanted w = wanted(segment);
    int k = w == null ? -1 : w.slot(nodeId);
    into[0] = k < 0 ? Long.MIN_VALUE : w.last[k];
    into[1] = k < 0 ? Long.MIN_VALUE : w.fetch[k]; // MIN_VALUE unless it was heard fetching (Wanted#fetchTime)
  }

  /**
   * Whether the node serving PCCRR at {@code endpoint} was heard probing for {@code segment} within
   * the membership window: a subnet-mate that wanted it (and may have finished it), not a seed or
   * cache server that held it all along. False for endpoints not heard in a tagged probe.
   */
  public synchronized boolean wanted(dev.peerdist.discovery.PeerEndpoint endpoint, SegmentId segment, long now) {
    return wanted(endpoint, null, segment, now);
  }

  /** As {@link #wanted(dev.peerdist.discovery.PeerEndpoint, SegmentId, long)}, with the caller's memo of the endpoint's node id. */
  public synchronized boolean wanted(dev.peerdist.discovery.PeerEndpoint endpoint, NodeMemo memo, SegmentId segment,
      long now) {
    long id = nodeAt(endpoint, memo);
    if (id < 0) {
      return false;
    }
    Wanted w = wanted(segment);
    int k = w == null ? -1 : w.slot(id);
    return k >= 0 && now - w.last[k] <= membershipNanos;
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

  /**
   * The probability with which holder {@code self} of {@code segment} answers a probe for it now
   * (the thinning described above: {@code answerTarget ÷ N}, at most 1).
   *
   * @param self the holder's node id (its own probes tell whether it still wants the segment)
   * @param complete whether it holds every block of the segment
   */
  public synchronized double answerProbability(SegmentId segment, long self, boolean complete, long now) {
    Wanted w = wanted(segment);
    if (w == null) {
      return 1; // nobody heard wanting it within the horizon: the prober is one of very few
    }
    answerCounts(w, now);
    int k = w.slot(self);
    Long done = finished.get(segment);
    boolean wanter = k >= 0 && now - w.last[k] <= membershipNanos || done != null && now - done <= membershipNanos;
    if (complete && !wanter) {
      boolean counted = k >= 0 && now - w.last[k] <= FORMER_WANTER_NANOS;
      return thin(w.formerCount + (counted ? 0 : 1));
    }
    return thin(w.heardCount);
  }

  /**
   * This node finished fetching {@code segment} (its last block stored): for the membership window
   * it answers probes for it as the wanter it just was, not as a seed, since the others that
   * finished with it are not yet told apart from those still probing (see the class comment).
   */
  public synchronized void finishedHere(SegmentId segment, long now) {
    finished.remove(segment);
    finished.put(segment, now);
    while (finished.size() > MAX_SEGMENTS) {
      Iterator<SegmentId> it = finished.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  /**
   * The probability for a holder that still wants {@code segment} (or holds only part of it): at
   * most what any holder this view heard answers with, so the model samples holders with it.
   */
  public synchronized double wanterAnswerProbability(SegmentId segment, long now) {
    Wanted w = wanted(segment);
    if (w == null) {
      return 1;
    }
    answerCounts(w, now);
    return thin(w.heardCount);
  }

  private double thin(int holders) {
    return holders <= answerTarget ? 1.0 : (double) answerTarget / holders;
  }

  /**
   * Counts the wanters heard within the former-wanter horizon and, of those, the ones not heard
   * within the membership window. The counts are kept while they cannot change (no probe heard for
   * the segment, no counted wanter crossed the window or the horizon, time did not go back), so
   * the holders asking about one probe share one count, and every answer is what a recount gives.
   */
  private void answerCounts(Wanted w, long now) {
    if (w.answerAt != Long.MIN_VALUE && now >= w.answerAt && now < w.answerUntil) {
      return;
    }
    int heard = 0;
    int former = 0;
    long until = Long.MAX_VALUE;
    for (int k = 0; k < w.size; k++) {
      long ago = now - w.last[k];
      if (ago <= membershipNanos) {
        heard++;
        until = Math.min(until, w.last[k] + membershipNanos + 1);
      } else if (ago <= FORMER_WANTER_NANOS) {
        heard++;
        former++;
        until = Math.min(until, w.last[k] + FORMER_WANTER_NANOS + 1);
      }
    }
    w.heardCount = heard;
    w.formerCount = former;
    w.answerAt = now;
    w.answerUntil = until;
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
      if (w.removeHeardBefore(now, FORMER_WANTER_NANOS)) {
        w.version++;
        w.members++;
      }
      if (w.size == 0) {
        it.remove();
        forgetSegments();
      }
    }
    fetching.values().removeIf(t -> now - t > membershipNanos);
    finished.values().removeIf(t -> now - t > membershipNanos);
  }

  /** Segments tracked, for tests and status. */
  public synchronized List<SegmentId> segments() {
    List<Wanted> byUse = new ArrayList<>(segments.values());
    byUse.sort(java.util.Comparator.comparingLong(w -> w.used));
    List<SegmentId> ids = new ArrayList<>(byUse.size());
    for (Wanted w : byUse) {
      ids.add(w.id);
    }
    return ids;
  }
}
