package dev.peerdist.simulator.model;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.retrieval.BlockRef;
import dev.peerdist.node.retrieval.DownloadScheduler;
import dev.peerdist.node.retrieval.DownloadScheduler.Assignment;
import dev.peerdist.node.retrieval.DownloadScheduler.FallbackRequest;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.SchedulerConfig;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.report.SiteRecorder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A seeded discrete-event model of one site rolling out one package: no sockets, no threads, a
 * simulated clock. Every node runs the real {@link DownloadScheduler} (one per segment, as the
 * daemon's download engine does); the network, discovery and the origin are modelled:
 * <ul>
 *   <li>Discovery: a node locates a segment when it reaches it ({@code readAhead} segments at a
 *       time); after {@code probeWait} it learns the exact blocks every live node of its own
 *       subnet holds then (PCCRD answers, PROTOCOL.md §3.4). Blocks nobody holds go to the origin.
 *   <li>PCCRR: a request costs one LAN latency each way; the block is serialised on the server's
 *       uplink and the client's downlink (both FIFO, {@code lanBitsPerSecond}). A server already
 *       serving {@code uploadSlots} requests answers empty (busy, PROTOCOL.md §4.6); a vanished
 *       one times out after {@code peerTimeout}; a corrupt one sends a block that fails
 *       verification.
 *   <li>WAN: one FIFO link for the whole site; each block costs half the RTT each way plus its
 *       serialisation at {@code wanBitsPerSecond}; a node keeps at most {@code originConcurrency}
 *       range requests queued on it, so nodes interleave.
 * </ul>
 * The same config (including the seed) always gives the same {@link Report}.
 */
public final class SiteSimulation {
  private static final long NANOS = 1_000_000_000L;
  private static final int PORT = 1337;
  private static final long PROGRESS_EVERY = 1L << 18;

  private enum Kind { START, PROBE, RESULT, ORIGIN_DONE, WAKEUP, SHARED_DONE }

  /** Why an origin job exists, for the report (index = the third element of an origin job). */
  private static final String[] ORIGIN_REASON = {"no_peer", "peer_error", "takeover"};
  private static final int NO_PEER = 0;
  private static final int PEERS_FAILED = 1;
  private static final int TAKEOVER = 2;

  private record Event(long time, long seq, Kind kind, SimNode node, int segment, Assignment assignment,
      Outcome outcome, SimNode server, int block) {}

  private final SiteConfig config;
  private final SchedulerConfig schedulerConfig;
  private final SimClock clock = new SimClock();
  private final SplittableRandom random;
  private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
      a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
  private final List<SimNode> nodes = new ArrayList<>();
  private final Map<PeerEndpoint, SimNode> byEndpoint = new HashMap<>();
  private final SegmentId[] segmentIds;
  private long seq;
  private long events;
  private long wanFree;
  private long wanBytes;
  private long peerBytes;
  private long duplicatePeerBytes;
  private long badBlocks;
  private long fallbackNoPeer;
  private long fallbackPeersFailed;
  private int running;
  private Consumer<String> progress = s -> { };
  private boolean singleFlight;
  private int waves;
  private SiteRecorder recorder;
  /** Single-flight model only: per (subnet, block), the node fetching it from the origin. */
  private final Map<Long, SimNode> wanFetcher = new HashMap<>();
  /** Single-flight model only: per (subnet, block), nodes waiting for that fetch: {node id, segment}. */
  private final Map<Long, List<int[]>> waiters = new HashMap<>();

  /** One simulated node. */
  private final class SimNode {
    final int id;
    final int subnet;
    final PeerEndpoint endpoint;
    final BitSet held = new BitSet();
    final DownloadScheduler[] schedulers;
    final int[] originOutstanding;
    final boolean[] segmentDone;
    final long[] wakeupAt;
    final ArrayDeque<int[]> originQueue = new ArrayDeque<>(); // {segment, block}
    long startAt;
    long vanishAt = Long.MAX_VALUE;
    long doneAt = -1;
    boolean corrupt;
    boolean started;
    boolean gone;
    int nextSegment;
    int originInFlight;
    long upFree;
    long downFree;
    int activeUploads;

    SimNode(int id, int subnet) {
      this.id = id;
      this.subnet = subnet;
      this.endpoint = endpoint(subnet, id);
      int segs = config.segments();
      schedulers = new DownloadScheduler[segs];
      originOutstanding = new int[segs];
      segmentDone = new boolean[segs];
      wakeupAt = new long[segs];
      Arrays.fill(wakeupAt, -1);
    }

    boolean goneAt(long t) {
      return t >= vanishAt;
    }
  }

  public SiteSimulation(SiteConfig config) {
    this(config, SchedulerConfig.defaults());
  }

  public SiteSimulation(SiteConfig config, SchedulerConfig schedulerConfig) {
    this.config = config;
    this.schedulerConfig = schedulerConfig;
    this.random = new SplittableRandom(config.seed());
    this.segmentIds = new SegmentId[config.segments()];
    for (int s = 0; s < segmentIds.length; s++) {
      segmentIds[s] = segmentId(s);
    }
  }

  /** Receives a one-line progress summary now and then during long runs. */
  public SiteSimulation onProgress(Consumer<String> listener) {
    this.progress = listener;
    return this;
  }

  /**
   * A model option, NOT the daemon's behaviour: when the scheduler hands a block to the origin for
   * NO_PEER while a node of the same subnet is already fetching it from the origin, the block waits
   * for that fetch and is then copied over the LAN from that node (per-subnet single-flight, the
   * FIELD.md pain point 1 remedy). It shows how far the WAN ratio could fall; the copy bypasses
   * the scheduler and the upload-slot limit.
   */
  public SiteSimulation withSingleFlight(boolean on) {
    this.singleFlight = on;
    return this;
  }

  /**
   * Rolls out in {@code count} waves instead of uniform starts: each node joins a seeded random
   * wave w in [0, count) and starts at exactly w × window ÷ count (a 20 % rolling update is 5
   * waves). 0 (the default) means uniform starts within the window.
   */
  public SiteSimulation withWaves(int count) {
    if (count < 0 || count > SiteConfig.MAX_NODES) {
      throw new IllegalArgumentException("waves must be within 0.." + SiteConfig.MAX_NODES + ", got " + count);
    }
    this.waves = count;
    return this;
  }

  /** Records bytes, completions and origin fetches by reason into {@code r} as the run goes (reports). */
  public SiteSimulation withRecorder(SiteRecorder r) {
    this.recorder = r;
    return this;
  }

  /** Runs the whole rollout and reports; call once. */
  public Report run() {
    if (!nodes.isEmpty()) {
      throw new IllegalStateException("a simulation runs once");
    }
    setUp();
    double idealNanos = config.idealSeconds() * NANOS;
    while (!queue.isEmpty()) {
      Event e = queue.poll();
      if (++events > config.maxEvents()) {
        throw new IllegalStateException("simulation stopped after " + config.maxEvents()
            + " events at simulated " + seconds(clock.nanos()) + " s with " + running
            + " nodes unfinished; use fewer nodes or a smaller package");
      }
      clock.advanceTo(e.time);
      handle(e);
      if (recorder != null && (events & 1023) == 0) {
        recorder.tick(clock.nanos(), events);
      }
      if (events % PROGRESS_EVERY == 0) {
        progress.accept(String.format(java.util.Locale.ROOT, "simulated %.1f s, %d events, %d of %d nodes done",
            seconds(clock.nanos()), events, nodes.size() - running, nodes.size()));
      }
    }
    return report(idealNanos);
  }

  private void setUp() {
    int id = 0;
    for (int s = 0; s < config.subnets(); s++) {
      for (int n = 0; n < config.nodesPerSubnet(); n++) {
        SimNode node = new SimNode(id++, s);
        nodes.add(node);
        byEndpoint.put(node.endpoint, node);
      }
    }
    long window = config.rolloutWindow().toNanos();
    // Expected time a node takes when peers serve it, stretched, so that vanishing hits mid-download.
    long typical = (long) (Math.max(config.idealSeconds(), 1.0) * 4 * NANOS);
    for (SimNode node : nodes) {
      if (waves > 0) {
        node.startAt = random.nextInt(waves) * (window / waves);
      } else {
        node.startAt = window == 0 ? 0 : random.nextLong(window);
      }
      node.corrupt = random.nextDouble() < config.corruptFraction();
      if (random.nextDouble() < config.vanishFraction()) {
        node.vanishAt = node.startAt + random.nextLong(typical);
      }
      schedule(node.startAt, Kind.START, node, -1, null, null, null, -1);
    }
    running = nodes.size();
  }

  private void schedule(long time, Kind kind, SimNode node, int segment, Assignment a, Outcome outcome,
      SimNode server, int block) {
    queue.add(new Event(time, seq++, kind, node, segment, a, outcome, server, block));
  }

  private void handle(Event e) {
    SimNode node = e.node;
    long now = clock.nanos();
    if (e.kind == Kind.RESULT) {
      e.server.activeUploads = Math.max(0, e.server.activeUploads - (e.outcome == Outcome.NOT_AVAILABLE ? 0 : 1));
    }
    if (e.kind == Kind.ORIGIN_DONE && singleFlight) {
      shareWithWaiters(node, e.block, now);
    }
    if (node.goneAt(now)) {
      if (!node.gone) {
        node.gone = true;
        if (node.doneAt < 0) {
          running--;
        }
        if (singleFlight) {
          abandonOriginQueue(node, now);
        }
      }
      return;
    }
    switch (e.kind) {
      case START -> {
        node.started = true;
        for (int i = 0; i < config.readAhead(); i++) {
          openNextSegment(node);
        }
        maybeFinish(node);
      }
      case PROBE -> locate(node, e.segment);
      case RESULT -> {
        DownloadScheduler sched = node.schedulers[e.segment];
        Assignment a = e.assignment;
        int global = e.segment * SiteConfig.BLOCKS_PER_SEGMENT + a.block().index();
        int bytes = config.blockBytes(global);
        if (e.outcome == Outcome.OK) {
          if (node.held.get(global)) {
            duplicatePeerBytes += bytes;
          } else {
            node.held.set(global);
            peerBytes += bytes;
            if (recorder != null) {
              recorder.received(node.id, ByteSource.PEER, bytes);
            }
          }
        } else if (e.outcome == Outcome.BAD_DATA) {
          badBlocks++; // verification failed: nothing stored
          if (recorder != null) {
            recorder.badBlock(node.id);
          }
        }
        sched.onResult(a, e.outcome, e.outcome == Outcome.OK ? bytes : 0,
            Duration.ofNanos(now - SimClock.toNanos(a.sentAt())));
        drive(node, e.segment);
      }
      case ORIGIN_DONE -> {
        node.originInFlight--;
        node.originOutstanding[e.segment]--;
        if (recorder != null && !node.held.get(e.block)) {
          recorder.received(node.id, ByteSource.ORIGIN, config.blockBytes(e.block));
        }
        node.held.set(e.block);
        pumpOrigin(node);
        checkSegment(node, e.segment);
      }
      case SHARED_DONE -> {
        node.originOutstanding[e.segment]--;
        if (!node.held.get(e.block)) {
          node.held.set(e.block);
          peerBytes += config.blockBytes(e.block);
          if (recorder != null) {
            recorder.received(node.id, ByteSource.PEER, config.blockBytes(e.block));
          }
        } else {
          duplicatePeerBytes += config.blockBytes(e.block);
        }
        checkSegment(node, e.segment);
      }
      case WAKEUP -> {
        if (node.wakeupAt[e.segment] == now) {
          node.wakeupAt[e.segment] = -1;
          drive(node, e.segment);
        }
      }
      default -> throw new IllegalStateException("unhandled event " + e.kind);
    }
  }

  private void openNextSegment(SimNode node) {
    if (node.nextSegment < segmentIds.length) {
      schedule(clock.nanos() + config.probeWait().toNanos(), Kind.PROBE, node, node.nextSegment++, null, null,
          null, -1);
    }
  }

  private int blocksIn(int segment) {
    int first = segment * SiteConfig.BLOCKS_PER_SEGMENT;
    return Math.min(SiteConfig.BLOCKS_PER_SEGMENT, config.blocks() - first);
  }

  /** The probe's answers arrive: every live node of the subnet holding part of the segment. */
  private void locate(SimNode node, int segment) {
    int count = blocksIn(segment);
    int first = segment * SiteConfig.BLOCKS_PER_SEGMENT;
    DownloadScheduler sched = new DownloadScheduler(schedulerConfig, clock, random.split());
    node.schedulers[segment] = sched;
    BitSet all = new BitSet(count);
    all.set(0, count);
    sched.want(segmentIds[segment], count, all);
    long now = clock.nanos();
    for (SimNode peer : nodes) {
      if (peer == node || peer.subnet != node.subnet || !peer.started || peer.goneAt(now)) {
        continue;
      }
      BitSet has = peer.held.get(first, first + count);
      if (!has.isEmpty()) {
        sched.addPeerBlocks(peer.endpoint, segmentIds[segment], has);
      }
    }
    drive(node, segment);
  }

  /** Runs the node's scheduler for a segment: send its requests, queue its fallbacks, set a wakeup. */
  private void drive(SimNode node, int segment) {
    DownloadScheduler sched = node.schedulers[segment];
    long now = clock.nanos();
    for (Assignment a : sched.poll()) {
      send(node, segment, a, now);
    }
    for (FallbackRequest f : sched.takeFallbacks()) {
      if (f.reason() == DownloadScheduler.FallbackReason.NO_PEER) {
        fallbackNoPeer++;
      } else {
        fallbackPeersFailed++;
      }
      node.originOutstanding[segment]++;
      int global = segment * SiteConfig.BLOCKS_PER_SEGMENT + f.block().index();
      if (singleFlight && f.reason() == DownloadScheduler.FallbackReason.NO_PEER) {
        long key = ((long) node.subnet << 32) | global;
        SimNode owner = wanFetcher.get(key);
        if (owner != null && !owner.goneAt(now)) {
          waiters.computeIfAbsent(key, k -> new ArrayList<>()).add(new int[] {node.id, segment});
          continue;
        }
        wanFetcher.put(key, node);
      }
      node.originQueue.add(new int[] {segment, segment * SiteConfig.BLOCKS_PER_SEGMENT + f.block().index(),
          f.reason() == DownloadScheduler.FallbackReason.NO_PEER ? NO_PEER : PEERS_FAILED});
    }
    pumpOrigin(node);
    sched.nextWakeup().ifPresent(at -> {
      long t = Math.max(now + 1, SimClock.toNanos(at));
      if (node.wakeupAt[segment] < 0 || t < node.wakeupAt[segment] || node.wakeupAt[segment] <= now) {
        node.wakeupAt[segment] = t;
        schedule(t, Kind.WAKEUP, node, segment, null, null, null, -1);
      }
    });
    checkSegment(node, segment);
  }

  /** Models one PCCRR exchange and schedules its result. */
  private void send(SimNode client, int segment, Assignment a, long now) {
    SimNode server = byEndpoint.get(a.peer());
    long lat = config.lanLatency().toNanos();
    long arrive = now + lat;
    if (server.goneAt(arrive)) {
      schedule(now + config.peerTimeout().toNanos(), Kind.RESULT, client, segment, a, Outcome.TIMEOUT, server, -1);
      server.activeUploads++; // released when the result is handled
      return;
    }
    if (server.activeUploads >= config.uploadSlots()) {
      // The empty answer: the wire cannot say "busy" apart from "not held" (PROTOCOL.md §4.6).
      schedule(arrive + lat, Kind.RESULT, client, segment, a, Outcome.NOT_AVAILABLE, server, -1);
      return;
    }
    int global = segment * SiteConfig.BLOCKS_PER_SEGMENT + a.block().index();
    long transfer = serialise(config.blockBytes(global), config.lanBitsPerSecond());
    long start = Math.max(arrive, Math.max(server.upFree, client.downFree));
    long end = start + transfer;
    server.upFree = end;
    client.downFree = end;
    server.activeUploads++;
    Outcome outcome;
    long at;
    if (server.goneAt(end)) {
      outcome = Outcome.TIMEOUT;
      at = Math.max(end, now + config.peerTimeout().toNanos());
    } else {
      outcome = server.corrupt ? Outcome.BAD_DATA : Outcome.OK;
      at = end + lat;
      if (recorder != null) {
        recorder.uploaded(server.id, config.blockBytes(global));
      }
    }
    schedule(at, Kind.RESULT, client, segment, a, outcome, server, -1);
  }

  /** Single-flight model: the origin fetch of {@code block} by {@code owner} ended; serve its waiters. */
  private void shareWithWaiters(SimNode owner, int block, long now) {
    long key = ((long) owner.subnet << 32) | block;
    wanFetcher.remove(key);
    List<int[]> waiting = waiters.remove(key);
    if (waiting == null) {
      return;
    }
    long lat = config.lanLatency().toNanos();
    for (int[] w : waiting) {
      SimNode waiter = nodes.get(w[0]);
      if (owner.goneAt(now)) {
        // The owner left with the block: the waiter fetches it itself.
        wanFetcher.putIfAbsent(key, waiter);
        waiter.originQueue.add(new int[] {w[1], block, TAKEOVER});
        pumpOrigin(waiter);
        continue;
      }
      long start = Math.max(now + lat, Math.max(owner.upFree, waiter.downFree));
      long end = start + serialise(config.blockBytes(block), config.lanBitsPerSecond());
      if (recorder != null) {
        recorder.uploaded(owner.id, config.blockBytes(block));
      }
      owner.upFree = end;
      waiter.downFree = end;
      schedule(end + lat, Kind.SHARED_DONE, waiter, w[1], null, null, owner, block);
    }
  }

  /**
   * Single-flight model: {@code gone} vanished with origin fetches still queued (never started,
   * so no ORIGIN_DONE will come for them). Each such block passes to one of its live waiters,
   * which fetches it itself; the others keep waiting on the new owner.
   */
  private void abandonOriginQueue(SimNode gone, long now) {
    for (int[] job : gone.originQueue) {
      long key = ((long) gone.subnet << 32) | job[1];
      if (wanFetcher.get(key) != gone) {
        continue;
      }
      wanFetcher.remove(key);
      List<int[]> waiting = waiters.remove(key);
      if (waiting == null) {
        continue;
      }
      List<int[]> rest = new ArrayList<>();
      SimNode heir = null;
      for (int[] w : waiting) {
        SimNode waiter = nodes.get(w[0]);
        if (waiter.goneAt(now)) {
          continue;
        }
        if (heir == null) {
          heir = waiter;
          wanFetcher.put(key, heir);
          heir.originQueue.add(new int[] {w[1], job[1], TAKEOVER});
          pumpOrigin(heir);
        } else {
          rest.add(w);
        }
      }
      if (!rest.isEmpty()) {
        waiters.put(key, rest);
      }
    }
    gone.originQueue.clear();
  }

  private void pumpOrigin(SimNode node) {
    long now = clock.nanos();
    long halfRtt = config.wanRtt().toNanos() / 2;
    while (node.originInFlight < config.originConcurrency() && !node.originQueue.isEmpty()) {
      int[] job = node.originQueue.poll();
      int bytes = config.blockBytes(job[1]);
      long start = Math.max(now + halfRtt, wanFree);
      wanFree = start + serialise(bytes, config.wanBitsPerSecond());
      wanBytes += bytes;
      if (recorder != null) {
        recorder.wanBytes(start, wanFree, node.subnet, bytes);
        recorder.originFetch(node.id, ORIGIN_REASON[job[2]], bytes);
      }
      node.originInFlight++;
      schedule(wanFree + halfRtt, Kind.ORIGIN_DONE, node, job[0], null, null, null, job[1]);
    }
  }

  private void checkSegment(SimNode node, int segment) {
    DownloadScheduler sched = node.schedulers[segment];
    if (!node.segmentDone[segment] && sched != null && sched.finished() && node.originOutstanding[segment] == 0) {
      node.segmentDone[segment] = true;
      openNextSegment(node);
      maybeFinish(node);
    }
  }

  private void maybeFinish(SimNode node) {
    if (node.doneAt < 0 && node.held.cardinality() == config.blocks()) {
      node.doneAt = clock.nanos();
      running--;
      if (recorder != null) {
        recorder.nodeDone(node.id, node.subnet, node.startAt, node.doneAt);
      }
    }
  }

  private Report report(double idealNanos) {
    List<Long> times = new ArrayList<>();
    int vanished = 0;
    long dropped = 0;
    long last = 0;
    for (SimNode n : nodes) {
      if (n.doneAt >= 0) {
        times.add(n.doneAt - n.startAt);
        last = Math.max(last, n.doneAt);
      } else if (n.vanishAt != Long.MAX_VALUE) {
        vanished++;
        if (recorder != null) {
          recorder.nodeLeft(n.id, n.vanishAt);
        }
      }
      for (DownloadScheduler s : n.schedulers) {
        if (s != null) {
          dropped += s.droppedPeers().size();
        }
      }
    }
    long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Report(nodes.size(), sorted.length, vanished, config.sizeBytes(), wanBytes, peerBytes,
        duplicatePeerBytes, fallbackNoPeer, fallbackPeersFailed, badBlocks, dropped,
        percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.length == 0 ? 0 : seconds(sorted[sorted.length - 1]),
        idealNanos / NANOS, seconds(last), events);
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int at = (int) Math.ceil(p * sorted.length) - 1;
    return seconds(sorted[Math.max(0, Math.min(sorted.length - 1, at))]);
  }

  private static double seconds(long nanos) {
    return nanos / (double) NANOS;
  }

  private static long serialise(int bytes, long bitsPerSecond) {
    return Math.max(1, (long) Math.ceil(bytes * 8.0 * NANOS / bitsPerSecond));
  }

  /** A documentation-range address per node (RFC 5737 style 10.x): never contacted, only a name. */
  private static PeerEndpoint endpoint(int subnet, int id) {
    try {
      byte[] ip = {10, (byte) subnet, (byte) (id >> 8), (byte) id};
      return new PeerEndpoint(new InetSocketAddress(InetAddress.getByAddress(ip), PORT + (id >> 16)));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A stable 32-byte id per segment index; the model needs distinct ids, not PCCRC-derived ones. */
  private static SegmentId segmentId(int index) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return SegmentId.of(sha.digest(("peerdist-sim-segment-" + index).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing", e);
    }
  }

  /** Seeded test helper: which nodes were corrupt, for assertions. */
  int corruptNodes() {
    int n = 0;
    for (SimNode node : nodes) {
      if (node.corrupt) {
        n++;
      }
    }
    return n;
  }

  /** Nodes whose stored blocks are fewer than the package (for the conservation test). */
  List<Integer> heldCounts() {
    List<Integer> out = new ArrayList<>();
    for (SimNode node : nodes) {
      out.add(node.held.cardinality());
    }
    return out;
  }
}
