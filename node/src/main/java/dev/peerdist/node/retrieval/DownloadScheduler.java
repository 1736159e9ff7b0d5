package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The download policy for one content: which block to ask which peer for, and when to give up on
 * peers. Plain code driven by events with an injected {@link Clock}: no sockets, no threads, not
 * thread-safe (one owner calls it, HOUSE-STYLE 14), so the simulator runs the same policy.
 *
 * <p>Inputs: the blocks wanted ({@link #want}), what each peer holds ({@link #addPeer} from a
 * PCCRD BlockCount, {@link #addPeerBlocks} from an exact list), and the result of every request
 * ({@link #onResult}). Outputs: requests to send now ({@link #poll}), blocks for the fallback
 * ({@link #takeFallbacks}), and when to call {@link #poll} again ({@link #nextWakeup}).
 *
 * <p>Policy:
 * <ul>
 *   <li>Spread: each request goes to the holder with the lowest (in-flight + 1) / throughput, so
 *       faster peers get more; a peer's in-flight limit is {@code maxInFlightPerPeer} scaled by its
 *       throughput relative to the fastest peer (at least 1). Ties break by the injected random source.
 *   <li>Back off: a peer that answered empty while claiming the whole segment, or was locally busy,
 *       rests {@code busyBackoff}; a timeout or I/O error excludes the peer for that block and rests
 *       it {@code failureBackoff} doubling per consecutive failure.
 *   <li>Drop: a peer that sent bad data gets nothing more in this download.
 *   <li>Hedge: a block with one request outstanding for longer than the hedge delay (the
 *       {@code hedgePercentile} of recent block latencies times {@code hedgeFactor}) is asked of a
 *       second peer; the first verified answer wins.
 *   <li>Fallback: a block that no usable peer holds, or that failed {@code maxAttemptsPerBlock}
 *       times, goes to the fallback (the origin).
 * </ul>
 */
public final class DownloadScheduler {
  /** A request the driver must send. */
  public record Assignment(long id, BlockRef block, PeerEndpoint peer, boolean hedge, Instant sentAt) {}

  /** A block handed to the fallback, and why. */
  public record FallbackRequest(BlockRef block, FallbackReason reason) {}

  /** Why a block went to the fallback. */
  public enum FallbackReason {
    /** No peer that answered discovery holds it. */
    NO_PEER,
    /** Every peer that holds it failed, or was dropped, or attempts ran out. */
    PEERS_FAILED
  }

  private enum Status { PENDING, IN_FLIGHT, DONE, FALLBACK }

  private static final int LATENCY_WINDOW = 64;
  private static final int MIN_LATENCY_SAMPLES = 8;
  private static final double DEFAULT_THROUGHPUT = 50e6; // bytes/s before the first measurement
  private static final double EWMA = 0.3;

  private final SchedulerConfig config;
  private final Clock clock;
  private final RandomGenerator random;
  private final Map<BlockRef, BlockState> blocks = new LinkedHashMap<>();
  private final LinkedHashSet<BlockRef> pending = new LinkedHashSet<>();
  private final Map<PeerEndpoint, PeerState> peers = new LinkedHashMap<>();
  private final Map<SegmentId, Integer> blockCounts = new HashMap<>();
  private final List<FallbackRequest> fallbacks = new ArrayList<>();
  private final long[] latencies = new long[LATENCY_WINDOW];
  private int latencyCount;
  private long nextId;
  private int unfinished;

  public DownloadScheduler(SchedulerConfig config, Clock clock, RandomGenerator random) {
    this.config = config;
    this.clock = clock;
    this.random = random;
  }

  private static final class BlockState {
    final BlockRef ref;
    Status status = Status.PENDING;
    final List<Assignment> inFlight = new ArrayList<>(2);
    /** Peers not to ask for this block: they answered empty, or failed (see {@link #failedPeers}). */
    final Set<PeerEndpoint> excluded = new HashSet<>();
    /** The subset of {@link #excluded} that timed out or failed I/O; they may be retried later. */
    final Set<PeerEndpoint> failedPeers = new HashSet<>();
    int failures;

    BlockState(BlockRef ref) {
      this.ref = ref;
    }
  }

  private static final class PeerState {
    final PeerEndpoint peer;
    /** Per segment: exact block set, or null entry with a count in {@link #counts}. */
    final Map<SegmentId, BitSet> exact = new HashMap<>();
    final Map<SegmentId, Integer> counts = new HashMap<>();
    int inFlight;
    double throughput = Double.NaN;
    Instant backoffUntil = Instant.MIN;
    int consecutiveFailures;
    boolean dropped;
    final EnumMap<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);

    PeerState(PeerEndpoint peer) {
      this.peer = peer;
    }
  }

  /** Adds wanted blocks of a segment of {@code blockCount} blocks. Blocks already known are ignored. */
  public void want(SegmentId segment, int blockCount, BitSet indexes) {
    blockCounts.put(segment, blockCount);
    for (int i = indexes.nextSetBit(0); i >= 0; i = indexes.nextSetBit(i + 1)) {
      BlockRef ref = new BlockRef(segment, i);
      if (blocks.putIfAbsent(ref, new BlockState(ref)) == null) {
        pending.add(ref);
        unfinished++;
      }
    }
  }

  /**
   * A peer answered discovery holding {@code blocksHeld} of the segment's blocks (PCCRD BlockCount,
   * PROTOCOL.md §3.4). When that is every block it is asked for any of them; when it is fewer, the
   * peer is still asked (it holds some unknown subset) and an empty answer excludes it per block.
   */
  public void addPeer(PeerEndpoint peer, SegmentId segment, int blocksHeld) {
    if (blocksHeld <= 0) {
      return;
    }
    peers.computeIfAbsent(peer, PeerState::new).counts.put(segment, blocksHeld);
  }

  /** A peer holds exactly {@code held} of the segment (from MSG_BLKLIST or a simulator). */
  public void addPeerBlocks(PeerEndpoint peer, SegmentId segment, BitSet held) {
    peers.computeIfAbsent(peer, PeerState::new).exact.put(segment, (BitSet) held.clone());
  }

  private boolean holds(PeerState p, BlockRef b) {
    BitSet exact = p.exact.get(b.segment());
    if (exact != null) {
      return exact.get(b.index());
    }
    return p.counts.containsKey(b.segment());
  }

  private boolean claimsWhole(PeerState p, SegmentId segment) {
    BitSet exact = p.exact.get(segment);
    Integer total = blockCounts.get(segment);
    if (exact != null) {
      return total != null && exact.cardinality() >= total;
    }
    Integer count = p.counts.get(segment);
    return count != null && total != null && count >= total;
  }

  private double speed(PeerState p) {
    if (!Double.isNaN(p.throughput)) {
      return p.throughput;
    }
    double best = Double.NaN;
    for (PeerState q : peers.values()) {
      if (!Double.isNaN(q.throughput)) {
        best = Double.isNaN(best) ? q.throughput : Math.max(best, q.throughput);
      }
    }
    // An unmeasured peer is assumed as fast as the best known one, so that it gets tried.
    return Double.isNaN(best) ? DEFAULT_THROUGHPUT : best;
  }

  private int limit(PeerState p, double bestSpeed) {
    double share = speed(p) / bestSpeed;
    return Math.max(1, (int) Math.round(config.maxInFlightPerPeer() * Math.min(1.0, share)));
  }

  private double bestSpeed() {
    double best = 0;
    for (PeerState p : peers.values()) {
      if (!p.dropped) {
        best = Math.max(best, speed(p));
      }
    }
    return best > 0 ? best : DEFAULT_THROUGHPUT;
  }

  /** Requests to send now; each is recorded as in flight until {@link #onResult}. */
  public List<Assignment> poll() {
    Instant now = clock.instant();
    List<Assignment> out = new ArrayList<>();
    double best = bestSpeed();
    for (BlockRef ref : new ArrayList<>(pending)) {
      BlockState b = blocks.get(ref);
      PeerState p = choose(b, now, best);
      if (p != null) {
        out.add(assign(b, p, false, now));
      } else if (!anyFuturePeer(b)) {
        if (b.failures < config.maxAttemptsPerBlock() && !b.failedPeers.isEmpty()) {
          // Every holder is excluded, but some only for a timeout or I/O error (load, a dropped
          // connection): give them another try after their backoff while attempts remain.
          b.excluded.removeAll(b.failedPeers);
          b.failedPeers.clear();
          if (anyFuturePeer(b)) {
            PeerState again = choose(b, now, best);
            if (again != null) {
              out.add(assign(b, again, false, now));
            }
            continue;
          }
        }
        toFallback(b, hasAnyHolder(b) ? FallbackReason.PEERS_FAILED : FallbackReason.NO_PEER);
      }
    }
    Duration hedge = hedgeDelay();
    for (BlockState b : blocks.values()) {
      if (b.status == Status.IN_FLIGHT && b.inFlight.size() == 1
          && !Duration.between(b.inFlight.get(0).sentAt(), now).minus(hedge).isNegative()) {
        PeerState p = choose(b, now, best);
        if (p != null) {
          out.add(assign(b, p, true, now));
        }
      }
    }
    return out;
  }

  private Assignment assign(BlockState b, PeerState p, boolean hedge, Instant now) {
    Assignment a = new Assignment(nextId++, b.ref, p.peer, hedge, now);
    b.inFlight.add(a);
    b.status = Status.IN_FLIGHT;
    pending.remove(b.ref);
    p.inFlight++;
    return a;
  }

  private PeerState choose(BlockState b, Instant now, double best) {
    PeerState chosen = null;
    double chosenScore = Double.MAX_VALUE;
    int ties = 0;
    for (PeerState p : peers.values()) {
      if (p.dropped || b.excluded.contains(p.peer) || p.backoffUntil.isAfter(now) || !holds(p, b.ref)
          || p.inFlight >= limit(p, best) || askedNow(b, p.peer)) {
        continue;
      }
      double score = (p.inFlight + 1) / speed(p);
      if (score < chosenScore) {
        chosen = p;
        chosenScore = score;
        ties = 1;
      } else if (score == chosenScore && random.nextInt(++ties) == 0) {
        chosen = p; // reservoir choice among equals spreads load without bias
      }
    }
    return chosen;
  }

  private static boolean askedNow(BlockState b, PeerEndpoint peer) {
    for (Assignment a : b.inFlight) {
      if (a.peer().equals(peer)) {
        return true;
      }
    }
    return false;
  }

  /** A usable holder exists, perhaps only after its backoff or once its requests finish. */
  private boolean anyFuturePeer(BlockState b) {
    for (PeerState p : peers.values()) {
      if (!p.dropped && !b.excluded.contains(p.peer) && holds(p, b.ref)) {
        return true;
      }
    }
    return false;
  }

  private boolean hasAnyHolder(BlockState b) {
    for (PeerState p : peers.values()) {
      if (holds(p, b.ref)) {
        return true;
      }
    }
    return false;
  }

  private void toFallback(BlockState b, FallbackReason reason) {
    b.status = Status.FALLBACK;
    pending.remove(b.ref);
    fallbacks.add(new FallbackRequest(b.ref, reason));
    unfinished--;
  }

  /** Blocks the driver must now get from the fallback; each is returned once. */
  public List<FallbackRequest> takeFallbacks() {
    if (fallbacks.isEmpty()) {
      return List.of();
    }
    List<FallbackRequest> out = List.copyOf(fallbacks);
    fallbacks.clear();
    return out;
  }

  /**
   * The result of an assignment. {@code OK} must mean the block was verified (and stored) by the
   * driver; {@code bytes} and {@code elapsed} feed the throughput and latency estimates.
   */
  public void onResult(Assignment a, Outcome outcome, long bytes, Duration elapsed) {
    BlockState b = blocks.get(a.block());
    PeerState p = peers.get(a.peer());
    if (b == null || p == null || !b.inFlight.remove(a)) {
      throw new IllegalArgumentException("unknown or finished assignment " + a);
    }
    p.inFlight--;
    p.outcomes.merge(outcome, 1, Integer::sum);
    Instant now = clock.instant();
    switch (outcome) {
      case OK -> {
        p.consecutiveFailures = 0;
        long nanos = Math.max(1, elapsed.toNanos());
        double rate = bytes * 1e9 / nanos;
        p.throughput = Double.isNaN(p.throughput) ? rate : (1 - EWMA) * p.throughput + EWMA * rate;
        latencies[latencyCount++ % LATENCY_WINDOW] = nanos;
        if (b.status == Status.IN_FLIGHT || b.status == Status.PENDING) {
          b.status = Status.DONE;
          pending.remove(b.ref);
          unfinished--;
        }
        return;
      }
      case NOT_AVAILABLE -> {
        b.excluded.add(p.peer);
        if (claimsWhole(p, b.ref.segment())) {
          // It said it holds the whole segment: the empty answer most likely means busy (§4.6).
          p.backoffUntil = now.plus(config.busyBackoff());
        }
      }
      case BUSY -> p.backoffUntil = now.plus(config.busyBackoff());
      case TIMEOUT, IO_ERROR -> {
        b.excluded.add(p.peer);
        b.failedPeers.add(p.peer);
        b.failures++;
        p.consecutiveFailures++;
        long factor = 1L << Math.min(20, p.consecutiveFailures - 1);
        Duration backoff = config.failureBackoff().multipliedBy(factor);
        p.backoffUntil = now.plus(backoff.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : backoff);
      }
      case BAD_DATA -> {
        b.failures++;
        p.dropped = true;
      }
      default -> throw new IllegalStateException("unhandled outcome " + outcome);
    }
    if (b.status == Status.IN_FLIGHT && b.inFlight.isEmpty()) {
      if (b.failures >= config.maxAttemptsPerBlock()) {
        toFallback(b, FallbackReason.PEERS_FAILED);
      } else {
        b.status = Status.PENDING;
        pending.add(b.ref);
      }
    }
  }

  /** The current hedge delay. */
  public Duration hedgeDelay() {
    int n = Math.min(latencyCount, LATENCY_WINDOW);
    if (n < MIN_LATENCY_SAMPLES) {
      return config.initialHedgeDelay();
    }
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    int at = Math.min(n - 1, (int) Math.ceil(config.hedgePercentile() * n) - 1);
    long nanos = (long) (sorted[Math.max(0, at)] * config.hedgeFactor());
    return Duration.ofNanos(Math.max(nanos, config.minHedgeDelay().toNanos()));
  }

  /**
   * When {@link #poll} may have new work without a result arriving: the next backoff end or hedge
   * deadline strictly after now; empty if none. Deadlines already passed are left out (their
   * blocks could not be hedged at the last poll, and only a result or a backoff end changes that),
   * so a driver never spins.
   */
  public Optional<Instant> nextWakeup() {
    Instant now = clock.instant();
    Instant next = null;
    boolean waiting = !pending.isEmpty();
    Duration hedge = hedgeDelay();
    for (BlockState b : blocks.values()) {
      if (b.status == Status.IN_FLIGHT && b.inFlight.size() == 1) {
        waiting = true;
        Instant due = b.inFlight.get(0).sentAt().plus(hedge);
        if (due.isAfter(now) && (next == null || due.isBefore(next))) {
          next = due;
        }
      }
    }
    if (waiting) {
      for (PeerState p : peers.values()) {
        if (!p.dropped && p.backoffUntil.isAfter(now) && (next == null || p.backoffUntil.isBefore(next))) {
          next = p.backoffUntil;
        }
      }
    }
    return Optional.ofNullable(next);
  }

  /** True when every wanted block is verified or handed to the fallback. */
  public boolean finished() {
    return unfinished == 0;
  }

  /** True when a block's first verified copy has been reported (later copies are duplicates). */
  public boolean isDone(BlockRef ref) {
    BlockState b = blocks.get(ref);
    return b != null && b.status == Status.DONE;
  }

  /** Requests outstanding in total. */
  public int inFlight() {
    int n = 0;
    for (PeerState p : peers.values()) {
      n += p.inFlight;
    }
    return n;
  }

  /** Per peer, how many requests ended with each outcome. */
  public Map<PeerEndpoint, Map<Outcome, Integer>> outcomes() {
    Map<PeerEndpoint, Map<Outcome, Integer>> out = new LinkedHashMap<>();
    for (PeerState p : peers.values()) {
      out.put(p.peer, Collections.unmodifiableMap(new EnumMap<>(p.outcomes)));
    }
    return out;
  }

  /** Peers dropped for bad data. */
  public Set<PeerEndpoint> droppedPeers() {
    Set<PeerEndpoint> out = new LinkedHashSet<>();
    for (PeerState p : peers.values()) {
      if (p.dropped) {
        out.add(p.peer);
      }
    }
    return out;
  }
}
