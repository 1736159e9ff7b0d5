package dev.peerdist.simulator.model;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.download.Action;
import dev.peerdist.node.download.DownloadLoop;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.download.SegmentRef;
import dev.peerdist.node.download.SubnetView;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.retrieval.Outcome;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded discrete-event model of a site in which every node runs the daemon's own
 * {@link DownloadLoop} with the daemon's {@link LoopSettings} (issue 8, issue 9): no copy of its
 * policy lives here. What is modelled is the world around the loops, with a simulated clock:
 *
 * <ul>
 *   <li><b>Discovery</b> (PROTOCOL.md §3): a probe is heard by every node of its subnet at once
 *       (one {@link SubnetView} per subnet, fed as the daemon's is: by the probes themselves);
 *       holders answer with the probability the daemon's responder uses
 *       ({@link SubnetView#answerProbability}: bounded answers per probe, issue 9), cache servers
 *       always, after the responder back-off (1–65 ms, §3.6).
 *   <li><b>PCCRR</b> (§4): a request costs one LAN latency each way; a block is serialised on the
 *       server's uplink, a FIFO at the node's LAN rate, and then on the client's downlink, which
 *       takes blocks at its LAN rate in the order they leave their servers. A server with
 *       {@code uploadSlots} transfers queued answers empty (busy, §4.6); a node that left answers
 *       nothing (the request times out after {@code requestTimeout}); a corrupt one sends a block
 *       that fails verification. Block lists (MSG_BLKLIST) cost latency only.
 *   <li><b>WAN</b>: one link per site between the subnets and the publisher, shared round-robin by
 *       block among the origin ranges in flight (fair share, like TCP flows of equal RTT); a range
 *       starts after half the RTT and each block arrives half an RTT after it left the link.
 *       Content information (PROTOCOL.md §2.3: 80 bytes a segment and 32 a block) crosses it too.
 * </ul>
 *
 * <p><b>Ticks</b>: a node's loop ticks on the daemon's rhythm (every {@code tick}, 20 ms, from
 * when it gets busy). With wake-ups (an option), only at the first tick at or after
 * {@link DownloadLoop#wakeAt}: the ticks before it would decide nothing the loop's own timers ask
 * for, but what the loop reads of the subnet view is then looked at less often, so the decisions
 * are not the daemon's exactly (docs/SIMULATOR.md, "Scheduled wake-ups").
 *
 * <p>Not modelled: TCP dynamics and loss, switch limits beyond each node's own link, CPU, store
 * eviction, V2 content (nodes fetch V1, as the daemon does). The same site and seed give the same
 * events in the same order.
 */
public final class LoopSimulation {
  /** A node of the site. */
  public record NodeSpec(int id, int subnet, boolean cacheServer, boolean corrupt, long leaveAtNanos,
      long[] startNanos, boolean[] holds) {}

  /** A package: its size; V1 layout (64 KiB blocks, 32 MiB segments). */
  public record PackageSpec(long sizeBytes) {}

  /**
   * The site.
   *
   * @param lanBitsPerSecond per subnet, each node's LAN link (each direction)
   * @param publisherBitsPerSecond the publisher's upload cap, 0 = none
   */
  public record Site(List<NodeSpec> nodes, List<PackageSpec> packages, int subnets, long[] lanBitsPerSecond,
      long wanBitsPerSecond, long wanRttNanos, long publisherBitsPerSecond, long seed, LoopSettings settings,
      long maxEvents, long timeLimitNanos, long stallEveryNanos, long stallMaxNanos) {
    /** The same site with clients that stall (see {@code Scenario.Faults}); 0 and 0: none. */
    public Site withStalls(long everyNanos, long maxNanos) {
      return new Site(nodes, packages, subnets, lanBitsPerSecond, wanBitsPerSecond, wanRttNanos, publisherBitsPerSecond,
          seed, settings, maxEvents, timeLimitNanos, everyNanos, maxNanos);
    }
  }

  /** What the run reports as it goes (the report builder of the simulator implements it). */
  public interface Recorder {
    void wanBytes(long fromNanos, long toNanos, int subnet, long bytes);

    void downloadDone(int node, int pkg, long startedAt, long doneAt);

    void nodeLeft(int node, long atNanos);

    void uploaded(int node, long bytes);

    void received(int node, ByteSource source, long bytes);

    void originFetch(int node, String reason, long bytes);

    void badBlock(int node);

    void tick(long nowNanos, long events);
  }

  static final int BLOCK = 65536;
  static final int SEGMENT_BLOCKS = 512;
  static final long LAN_LATENCY = 200_000L;
  static final long REQUEST_TIMEOUT = 2_000_000_000L;
  /** PCCRR server: transfers at once (max-uploads) plus its upload queue, and the longest queue wait. */
  static final int UPLOAD_SLOTS = 16 + 512;
  static final long MAX_QUEUE_WAIT = 1_000_000_000L;
  static final long MAX_REPLY_DELAY = 65_000_000L;
  /** HTTP response head of a content-information answer (status line, PeerDist headers). */
  static final long HTTP_HEAD = 250;
  /** How long a node waits for a better-ranked wanter's block-hash list (ContentInfoResolver). */
  static final long HASH_WAIT = 2_000_000_000L;
  static final long HASH_POLL = 150_000_000L;
  private static final int CI_OPEN = 1;
  private static final int CI_DESCRIBE = 2;
  private static final int CI_SEGMENT = 3;
  private static final int PORT = 1337;

  private enum Kind { START, CI_DONE, RESOLVE, RESOLVED, TICK, MATCH, SENT, RESULT, LIST, ORIGIN_BLOCK, ORIGIN_END, WAN_FREE, LEAVE }

  /**
   * An event. Not pooled: a reused event lives long enough to be promoted, and every reference to
   * a new object written into it then costs the collector's write barrier and card scanning (tried:
   * 1.2 x the process CPU of allocating each event afresh, which dies young). Only a block's
   * SENT event is queued again as its RESULT ({@link #downlink}): it is that request's, still
   * young, and it spares an event and a record per block.
   */
  private static final class Event {
    long time;
    /** Changed only where an event becomes its own successor ({@link #downlink}: a block's SENT its RESULT). */
    Kind kind;
    final Sim node;
    int a;
    int b;
    final long id;
    /** What the event carries; a LIST event's turns into a {@link ListBatch} when answers join it. */
    Object obj;

    Event(long time, Kind kind, Sim node, int a, int b, long id, Object obj) {
      this.time = time;
      this.kind = kind;
      this.node = node;
      this.a = a;
      this.b = b;
      this.id = id;
      this.obj = obj;
    }
  }

  /** A segment of a package: its global index, ref and size. */
  private record Seg(int index, int pkg, int indexInPackage, SegmentRef ref) {}

  /** One simulated node. */
  private final class Sim {
    final NodeSpec spec;
    final long nodeId;
    final PeerEndpoint endpoint;
    final BitSet[] held;
    /** Blocks held per global segment (the cardinality of {@link #held}, kept as blocks arrive). */
    final int[] heldCount;
    final long lanBps;
    DownloadLoop loop;
    boolean gone;
    /** When this node's pending TICK event fires (Long.MAX_VALUE: none pending). */
    long tickAt = Long.MAX_VALUE;
    /** The pending TICK event's number; an event with another number was replaced by an earlier one. */
    long tickNumber;
    /** The node's tick rhythm: its ticks fall on this time plus whole tick periods ({@link #scheduleTick}). */
    long tickBase;
    long upFree;
    long downFree;
    /** Finish times of the uploads queued on the uplink, oldest first: a ring of {@link #uploadCount} from {@link #uploadHead}. */
    long[] uploads = new long[16];
    int uploadHead;
    int uploadCount;
    final int[] nextWant;
    final int[] segmentsDone;
    /** Per global segment: 0 unresolved, 1 resolving, 2 record known (content information). */
    final byte[] resolved;
    final long[] resolveDeadline;
    final long[] announcedAt;
    /** Who answered the resolver's probe of a segment, by global segment (replayed when it is wanted). */
    final Map<Integer, List<Sim>> announceAnswers = new HashMap<>();
    final long[] startedAt;
    final Map<Long, int[]> originReqs = new HashMap<>();
    /** A stalled node handles nothing and serves nothing before this time. */
    long frozenUntil = Long.MIN_VALUE;
    long nextStall = Long.MIN_VALUE;
    java.util.SplittableRandom stalls;

    Sim(NodeSpec spec) {
      this.spec = spec;
      this.nodeId = (spec.id() + 1L) * 0x9E3779B97F4A7C15L & ((1L << 48) - 1);
      this.endpoint = endpoint(spec.subnet(), spec.id());
      this.held = new BitSet[segs.size()];
      this.heldCount = new int[segs.size()];
      this.lanBps = site.lanBitsPerSecond()[spec.subnet()];
      this.nextWant = new int[site.packages().size()];
      this.segmentsDone = new int[site.packages().size()];
      this.resolved = new byte[segs.size()];
      this.resolveDeadline = new long[segs.size()];
      this.announcedAt = new long[segs.size()];
      java.util.Arrays.fill(announcedAt, Long.MIN_VALUE);
      this.startedAt = new long[site.packages().size()];
    }

    BitSet held(int g) {
      BitSet b = held[g];
      if (b == null) {
        b = new BitSet(segs.get(g).ref().blocks());
        held[g] = b;
      }
      return b;
    }

    boolean holds(int g, int block) {
      return held[g] != null && held[g].get(block);
    }

    /** Active uploads now (the uplink is a FIFO: finish times are in order). */
    int activeUploads(long now) {
      while (uploadCount > 0 && uploads[uploadHead] <= now) {
        uploadHead = (uploadHead + 1) & (uploads.length - 1);
        uploadCount--;
      }
      return uploadCount;
    }

    void queueUpload(long finish) {
      if (uploadCount == uploads.length) {
        long[] grown = new long[2 * uploads.length];
        for (int i = 0; i < uploadCount; i++) {
          grown[i] = uploads[(uploadHead + i) & (uploads.length - 1)];
        }
        uploads = grown;
        uploadHead = 0;
      }
      uploads[(uploadHead + uploadCount) & (uploads.length - 1)] = finish;
      uploadCount++;
    }
  }

  /** An origin range on the WAN link. */
  private static final class Flow {
    final Sim node;
    final long reqId;
    final int segment;
    int next;
    final int last;
    final long eligibleAt;
    final String reason;
    boolean cancelled;
    /**
     * Bytes a cancelled range still puts on the WAN after the cancel ({@link #cutLoss}): sent, not
     * delivered.
     */
    long waste;
    /** Content information of this many bytes (segment -1), instead of blocks. */
    long bytes;
    /** What content information: CI_OPEN (package), CI_DESCRIBE or CI_SEGMENT (of segment ciIndex). */
    int ciKind;
    int ciIndex;

    Flow(Sim node, long reqId, int segment, int first, int last, long eligibleAt, String reason) {
      this.node = node;
      this.reqId = reqId;
      this.segment = segment;
      this.next = first;
      this.last = last;
      this.eligibleAt = eligibleAt;
      this.reason = reason;
    }
  }

  private final Site site;
  private final Recorder recorder;
  private final boolean wakeUps;
  private final List<Seg> segs = new ArrayList<>();
  private final int[] firstSeg;
  private final Map<SegmentId, Seg> segById = new HashMap<>();
  /**
   * The same by identity: the loops name segments by the ids of the refs the model gave them, so
   * this finds them without comparing 32-byte ids in a hash map (one look-up per block request).
   */
  private final java.util.IdentityHashMap<SegmentId, Seg> segByObject = new java.util.IdentityHashMap<>();
  private final List<Sim> nodes = new ArrayList<>();
  private final Map<PeerEndpoint, Sim> byEndpoint = new HashMap<>();
  /**
   * The same by identity: every endpoint a loop names is some node's own {@link Sim#endpoint}
   * object (from a probe answer or the view), so this finds it without hashing an address.
   */
  private final java.util.IdentityHashMap<PeerEndpoint, Sim> byEndpointObject = new java.util.IdentityHashMap<>();
  private final SubnetView[] views;
  /** Per subnet and segment: nodes holding at least one block (in the order they got it). */
  private final List<List<List<Sim>>> holders = new ArrayList<>();
  /** Per subnet and segment: the holders of every block (a subset of {@link #holders}). */
  private final List<List<List<Sim>>> complete = new ArrayList<>();
  /** Per subnet: its cache servers (they answer every probe for what they hold, as the daemon's do). */
  private final List<List<Sim>> cacheServers = new ArrayList<>();
  /** Events by time, same-time events in the order scheduled. */
  private final EventQueue<Event> queue = new EventQueue<>();
  private final SplittableRandom random;
  private final ArrayDeque<Flow> flows = new ArrayDeque<>();
  private final double wanBytesPerNano;
  /** What the WAN still carries of a range cut mid-way (see {@link #cutLoss(long, Duration)}). */
  private final long cutLoss;
  /** Ranges cut after their first bytes were sent, and the bytes the WAN carried for them after the cut. */
  private long cuts;
  private long cutBytes;
  /** Content information the WAN carried. */
  private long contentInformationBytes;
  private boolean wanBusy;
  private static final boolean DEBUG = Boolean.getBoolean("sim.debug");
  /** Where to write one line per block a source uploads ({@link #sourceUpload}); null: nowhere. */
  private static final String SOURCE_TRACE = System.getProperty("sim.sourceTrace");
  private final StringBuilder sourceLines = new StringBuilder();
  /** Per global segment, how often each block left a source; and uploads and repeats by kind. */
  private final Map<Integer, int[]> sourceCopies = new HashMap<>();
  private final long[] sourceUploads = new long[Action.GetBlock.Kind.values().length];
  private final long[] sourceRepeats = new long[Action.GetBlock.Kind.values().length];
  private long nextSample;
  private long events;
  private long now;
  private int unfinished;

  public LoopSimulation(Site site, Recorder recorder) {
    this(site, recorder, false);
  }

  /**
   * @param wakeUps tick each loop only at the first tick of its rhythm at or after its
   *     {@link DownloadLoop#wakeAt} instead of every tick: fewer events, but not the daemon's exact
   *     decisions (docs/SIMULATOR.md, "Scheduled wake-ups")
   */
  public LoopSimulation(Site site, Recorder recorder, boolean wakeUps) {
    this.wakeUps = wakeUps;
    this.site = site;
    this.recorder = recorder;
    this.random = new SplittableRandom(site.seed());
    long wan = site.publisherBitsPerSecond() > 0
        ? Math.min(site.wanBitsPerSecond(), site.publisherBitsPerSecond()) : site.wanBitsPerSecond();
    this.wanBytesPerNano = wan / 8e9;
    this.cutLoss = cutLoss(wan, java.time.Duration.ofNanos(site.wanRttNanos()));
    this.firstSeg = new int[site.packages().size()];
    for (int p = 0; p < site.packages().size(); p++) {
      firstSeg[p] = segs.size();
      long size = site.packages().get(p).sizeBytes();
      long segBytes = (long) SEGMENT_BLOCKS * BLOCK;
      int count = (int) ((size + segBytes - 1) / segBytes);
      for (int i = 0; i < count; i++) {
        long len = Math.min(segBytes, size - i * segBytes);
        int blocks = (int) ((len + BLOCK - 1) / BLOCK);
        int last = (int) (len - (long) (blocks - 1) * BLOCK);
        SegmentRef ref = new SegmentRef(segmentId(p, i), blocks, BLOCK, last, i * segBytes);
        Seg s = new Seg(segs.size(), p, i, ref);
        segs.add(s);
        segById.put(ref.id(), s);
        segByObject.put(ref.id(), s);
      }
    }
    this.views = new SubnetView[site.subnets()];
    for (int i = 0; i < site.subnets(); i++) {
      views[i] = new SubnetView(site.settings());
      List<List<Sim>> perSeg = new ArrayList<>();
      for (int g = 0; g < segs.size(); g++) {
        perSeg.add(new ArrayList<>());
      }
      holders.add(perSeg);
      List<List<Sim>> done = new ArrayList<>();
      for (int g = 0; g < segs.size(); g++) {
        done.add(new ArrayList<>());
      }
      complete.add(done);
      cacheServers.add(new ArrayList<>());
    }
  }

  static SegmentId segmentId(int pkg, int index) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(ByteBuffer.allocate(8).putInt(pkg).putInt(index).array());
      return SegmentId.of(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static PeerEndpoint endpoint(int subnet, int id) {
    byte[] a = {10, (byte) subnet, (byte) (id >>> 8), (byte) id};
    try {
      return new PeerEndpoint(new InetSocketAddress(InetAddress.getByAddress(a), PORT + (id >>> 16)));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Bytes of a one-byte content-information answer: the head and one segment with one block hash. */
  static long describeBytes() {
    return HTTP_HEAD + 18 + 84 + 4 + 32;
  }

  /** Bytes of a segment's whole content information from the publisher: every block hash. */
  static long segmentBytes(int blocks) {
    return HTTP_HEAD + 18 + 84 + 4 + 32L * blocks;
  }

  /** Bytes of V1 content information for a package of {@code size} bytes (PROTOCOL.md §2.3). */
  static long contentInformationBytes(long size) {
    long segBytes = (long) SEGMENT_BLOCKS * BLOCK;
    long segments = (size + segBytes - 1) / segBytes;
    long blocks = (size + BLOCK - 1) / BLOCK;
    return 18 + segments * (16 + 64 + 4) + blocks * 32;
  }

  /** Runs the site to the end; returns the simulated end time in nanoseconds. */
  public long run() {
    for (NodeSpec spec : site.nodes()) {
      Sim n = new Sim(spec);
      nodes.add(n);
      byEndpoint.put(n.endpoint, n);
      byEndpointObject.put(n.endpoint, n);
      if (spec.cacheServer()) {
        cacheServers.get(spec.subnet()).add(n);
      }
      for (int p = 0; p < site.packages().size(); p++) {
        if (spec.holds()[p]) {
          for (int i = 0; i < segCount(p); i++) {
            Seg s = segs.get(firstSeg[p] + i);
            n.held(s.index()).set(0, s.ref().blocks());
            n.heldCount[s.index()] = s.ref().blocks();
            n.resolved[s.index()] = 2;
            holders.get(spec.subnet()).get(s.index()).add(n);
            complete.get(spec.subnet()).get(s.index()).add(n);
          }
        }
        if (spec.startNanos()[p] >= 0) {
          unfinished++;
          schedule(spec.startNanos()[p], Kind.START, n, p, 0, 0, null);
        }
      }
      if (spec.leaveAtNanos() >= 0) {
        schedule(spec.leaveAtNanos(), Kind.LEAVE, n, 0, 0, 0, null);
      }
    }
    while (!queue.isEmpty() && unfinished > 0) {
      Event e = queue.poll();
      if (e.kind == Kind.TICK && e.id != e.node.tickNumber) {
        continue; // replaced by an earlier tick
      }
      now = e.time;
      long before = events;
      events += e.obj instanceof ListBatch b ? b.count : 1;
      if (events > site.maxEvents()) {
        throw new IllegalStateException("the model stopped at its event cap (--max-events " + site.maxEvents()
            + ") at " + String.format(java.util.Locale.ROOT, "%.1f", now / 1e9) + " s simulated with " + unfinished
            + " downloads unfinished; a larger --max-events lets it go on");
      }
      if ((events >>> 16) != (before >>> 16)) {
        recorder.tick(now, events);
      }
      if (DEBUG && now >= nextSample) {
        nextSample = now + 250_000_000L;
        int active = 0;
        long inflight = 0;
        int idle = 0;
        for (Sim x : nodes) {
          if (x.loop != null && x.loop.busy() && !x.gone) {
            active++;
            inflight += x.loop.requestsInFlight();
            if (x.loop.requestsInFlight() == 0) {
              idle++;
            }
          }
        }
        int frozen = 0;
        if (Boolean.getBoolean("sim.queues")) {
          long[] waits = nodes.stream().mapToLong(x -> Math.max(0, x.upFree - now) / 1_000_000).sorted().toArray();
          long[] downs = nodes.stream().mapToLong(x -> Math.max(0, x.downFree - now) / 1_000_000).sorted().toArray();
          System.err.printf("  up queue ms p10 %d p50 %d p90 %d max %d; down queue ms p50 %d p90 %d max %d%n",
              waits[waits.length / 10], waits[waits.length / 2], waits[waits.length * 9 / 10], waits[waits.length - 1],
              downs[downs.length / 2], downs[downs.length * 9 / 10], downs[downs.length - 1]);
        }
        StringBuilder origin = new StringBuilder();
        for (Sim x : nodes) {
          frozen += x.frozenUntil > now ? 1 : 0;
          if (x.loop != null && x.loop.originInFlight() > 0) {
            origin.append(' ').append(x.spec.id()).append(x.frozenUntil > now ? "*" : "");
          }
        }
        System.err.printf("t=%.2f active %d idle %d frozen %d avg in flight %.1f wan flows %d origin at%s%n", now / 1e9,
            active, idle, frozen, active == 0 ? 0.0 : (double) inflight / active, flows.size(), origin);
        long dumpAt = Long.getLong("sim.dumpAt", -1) * 1_000_000_000L;
        if (dumpAt >= 0 && now >= dumpAt && now < dumpAt + 250_000_000L) {
          for (Sim x : nodes) {
            if (x.loop != null && x.loop.busy() && !x.gone && (Boolean.getBoolean("sim.dumpAll") || (x.frozenUntil <= now && x.loop.requestsInFlight() == 0))) {
              System.err.println("node " + x.spec.id() + " " + x.endpoint + " frozen " + (x.frozenUntil > now) + ": "
                  + x.loop.describe());
            }
          }
        }
      }
      if (now > site.timeLimitNanos()) {
        throw new IllegalStateException(String.format(java.util.Locale.ROOT,
            "the model reached its time limit (%.0f s) with %d downloads unfinished", site.timeLimitNanos() / 1e9,
            unfinished));
      }
      handle(e);
    }
    recorder.tick(now, events);
    if (SOURCE_TRACE != null) {
      writeSourceTrace();
    }
    return now;
  }

  /** The simulated time now, nanoseconds. */
  public long now() {
    return now;
  }

  /** Events handled so far. */
  public long events() {
    return events;
  }

  /** The segment of id {@code id}. */
  private Seg seg(SegmentId id) {
    Seg s = segByObject.get(id);
    return s != null ? s : segById.get(id);
  }

  /** The node serving at {@code p}, or null. */
  private Sim sim(PeerEndpoint p) {
    Sim n = byEndpointObject.get(p);
    return n != null ? n : byEndpoint.get(p);
  }

  private int segCount(int p) {
    return (p + 1 < firstSeg.length ? firstSeg[p + 1] : segs.size()) - firstSeg[p];
  }

  private void schedule(long time, Kind kind, Sim node, int a, int b, long id, Object obj) {
    queue.add(time, new Event(time, kind, node, a, b, id, obj));
    scheduled++;
  }

  /** Events scheduled so far (it tells whether the last one scheduled is still the last). */
  private long scheduled;
  /** The last LIST event scheduled, and {@link #scheduled} just after it. */
  private Event lastList;
  private long lastListScheduled = -1;

  /**
   * Block-list answers of one node due at the same time, scheduled one right after the other
   * (a poll round asks up to four holders at once): one event, handled answer by answer as
   * separate events would be — nothing else can come between them, since events of the same time
   * come in the order they were scheduled — and counted as that many events.
   */
  private static final class ListBatch {
    long[] ids = new long[4];
    Object[] answers = new Object[4];
    int count;

    void add(long id, Object answer) {
      if (count == ids.length) {
        ids = java.util.Arrays.copyOf(ids, 2 * count);
        answers = java.util.Arrays.copyOf(answers, 2 * count);
      }
      ids[count] = id;
      answers[count++] = answer;
    }
  }

  /** Schedules a block-list answer ({@code answer}: the held words, or an {@link Outcome}). */
  private void scheduleList(long time, Sim n, long id, Object answer) {
    Event last = lastList;
    if (last != null && lastListScheduled == scheduled && last.time == time && last.node == n) {
      ListBatch batch;
      if (last.obj instanceof ListBatch b) {
        batch = b;
      } else {
        batch = new ListBatch();
        batch.add(last.id, last.obj);
        last.obj = batch;
      }
      batch.add(id, answer);
      return;
    }
    Event e = new Event(time, Kind.LIST, n, 0, 0, id, answer);
    queue.add(time, e);
    scheduled++;
    lastList = e;
    lastListScheduled = scheduled;
  }

  /** One block-list answer to the loop of {@code n}. */
  private void listAnswer(Sim n, long id, Object answer) {
    if (answer instanceof Outcome o) {
      n.loop.blockListFailed(id, o);
    } else {
      n.loop.blockList(id, (long[]) answer);
    }
    act(n);
  }

  private final long[] byKind = new long[Kind.values().length];

  /** Events handled so far, by kind (for tuning the model). */
  public java.util.Map<String, Long> eventsByKind() {
    java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      m.put(k.name().toLowerCase(java.util.Locale.ROOT), byKind[k.ordinal()]);
    }
    return m;
  }

  private final long[] byOutcome = new long[Outcome.values().length];

  /** Block results by outcome (for tuning). */
  public java.util.Map<String, Long> resultsByOutcome() {
    java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      m.put(o.name().toLowerCase(java.util.Locale.ROOT), byOutcome[o.ordinal()]);
    }
    return m;
  }

  private void handle(Event e) {
    byKind[e.kind.ordinal()] += e.obj instanceof ListBatch b ? b.count : 1;
    if (e.kind == Kind.RESULT) {
      byOutcome[e.obj instanceof Outcome o ? o.ordinal() : Outcome.OK.ordinal()]++;
    }
    Sim n = e.node;
    if (e.kind == Kind.WAN_FREE) {
      wanFree();
      return;
    }
    if (n.gone) {
      return;
    }
    if (e.kind == Kind.SENT) {
      // The block reaches the client's link whether or not the client runs (its kernel takes it).
      downlink(n, e);
      return;
    }
    if (stalled(n)) {
      // Everything addressed to a stalled node waits until it runs again (its own order kept).
      e.time = n.frozenUntil;
      queue.add(n.frozenUntil, e);
      scheduled++;
      return;
    }
    switch (e.kind) {
      case START -> start(n, e.a);
      case CI_DONE -> {
        contentInformation(n, e.a, e.b);
        n.loop.tick();
        act(n);
      }
      case RESOLVE -> resolveStep(n, e.a);
      case RESOLVED -> resolvedSegment(n, e.a);
      case TICK -> {
        n.tickAt = Long.MAX_VALUE;
        n.tickBase = now;
        n.loop.tick();
        act(n);
      }
      case MATCH -> {
        Match m = (Match) e.obj;
        if (!m.holder().gone) {
          for (int g : m.segments()) {
            Seg s = segs.get(g);
            int count = m.holder().heldCount[g];
            n.loop.matched(m.holder().endpoint, s.ref().id(), count, count == s.ref().blocks());
          }
          act(n);
        }
      }
      case RESULT -> {
        if (e.obj == DELIVERED) {
          if (!n.holds(e.a, e.b)) {
            acquire(n, segs.get(e.a), e.b, ByteSource.PEER);
          }
          n.loop.blockResult(e.id, Outcome.OK, 0);
        } else {
          n.loop.blockResult(e.id, (Outcome) e.obj, 0);
        }
        act(n);
      }
      case LIST -> {
        if (e.obj instanceof ListBatch b) {
          for (int i = 0; i < b.count; i++) {
            listAnswer(n, b.ids[i], b.answers[i]);
          }
        } else {
          listAnswer(n, e.id, e.obj);
        }
      }
      case ORIGIN_BLOCK -> {
        int[] req = n.originReqs.get(e.id);
        Seg s = segs.get(e.a);
        if (!n.holds(e.a, e.b)) {
          acquire(n, s, e.b, ByteSource.ORIGIN);
        }
        if (req != null) {
          n.loop.originBlock(e.id, s.ref().id(), e.b);
        }
        act(n);
      }
      case ORIGIN_END -> {
        n.originReqs.remove(e.id);
        n.loop.originEnd(e.id, true, "");
        act(n);
      }
      case LEAVE -> leave(n);
      default -> throw new IllegalStateException("unhandled " + e.kind);
    }
  }

  /** Whether {@code n} is stalled now; draws its next stall when the last one is over. */
  private boolean stalled(Sim n) {
    if (site.stallEveryNanos() <= 0 || n.spec.cacheServer()) {
      return false;
    }
    if (n.stalls == null) {
      n.stalls = new java.util.SplittableRandom(site.seed() ^ (n.spec.id() * 0x2545F4914F6CDD1DL) ^ 0x5747L);
      n.nextStall = now + gap(n);
    }
    if (now >= n.nextStall) {
      n.frozenUntil = now + (long) (n.stalls.nextDouble() * site.stallMaxNanos());
      n.nextStall = n.frozenUntil + gap(n);
    }
    return now < n.frozenUntil;
  }

  private long gap(Sim n) {
    return (long) (-Math.log(1 - n.stalls.nextDouble()) * site.stallEveryNanos());
  }

  private void start(Sim n, int pkg) {
    if (n.loop == null) {
      n.loop = new DownloadLoop(n.nodeId, site.settings(), views[n.spec.subnet()], () -> now,
          new SplittableRandom(site.seed() ^ (n.spec.id() * 0x632BE59BD9B4E019L)));
    }
    n.startedAt[pkg] = now;
    // Content information comes from the publisher first (PROTOCOL.md §5.2 step 1), through the
    // same WAN link as everything else: as the daemon asks, one byte of the content (the length and
    // the first segment's description), then per segment a description and, from a subnet-mate or
    // the publisher, its block hashes (ContentInfoResolver).
    ciFlow(n, CI_OPEN, pkg, describeBytes());
  }

  private void ciFlow(Sim n, int kind, int index, long bytes) {
    Flow ci = new Flow(n, -1, -1, 0, 0, now + site.wanRttNanos() / 2, null);
    ci.bytes = bytes;
    ci.ciKind = kind;
    ci.ciIndex = index;
    flows.addLast(ci);
    if (!wanBusy) {
      wanFree();
    }
  }

  /** Content information arrived: a package opened, a segment described, or a segment's hash list. */
  private void contentInformation(Sim n, int kind, int index) {
    if (kind == CI_OPEN) {
      if (segCount(index) > 0) {
        announce(n, firstSeg[index]);
      }
      wantMore(n, index);
    } else if (kind == CI_DESCRIBE) {
      announce(n, index);
    } else {
      resolvedSegment(n, index);
    }
  }

  /** The resolver probes the segment (everyone hears it) and looks for its hash list after the wait. */
  private void announce(Sim n, int g) {
    SegmentId id = segs.get(g).ref().id();
    views[n.spec.subnet()].heard(n.nodeId, n.endpoint, List.of(id), 0, now);
    n.announcedAt[g] = now;
    // The holders that answer that probe (the daemon's driver remembers them for the loop).
    Map<Sim, List<Integer>> answers = new java.util.LinkedHashMap<>();
    answer(n, g, random.nextLong(), answers);
    n.announceAnswers.put(g, new ArrayList<>(answers.keySet()));
    n.resolveDeadline[g] = now + site.settings().discoveryWait().toNanos() + HASH_WAIT;
    // The first holder that answers ends the discovery wait (ContentInfoResolver; PROTOCOL.md
    // §3.6): its answer comes after the responder back-off, as in probe().
    long resolveAt = now + site.settings().discoveryWait().toNanos();
    for (Sim h : answers.keySet()) {
      long delay = 1_000_000L + random.nextLong(MAX_REPLY_DELAY - 1_000_000L);
      resolveAt = Math.min(resolveAt, Math.max(now + LAN_LATENCY, h.frozenUntil) + LAN_LATENCY + delay);
    }
    schedule(resolveAt, Kind.RESOLVE, n, g, 0, 0, null);
  }

  /** Where the hash list comes from: a holder, a better-ranked wanter that has it, else the publisher. */
  private void resolveStep(Sim n, int g) {
    Seg s = segs.get(g);
    long lanHashes = 2 * LAN_LATENCY + (long) Math.ceil(s.ref().blocks() * 32 * 8e9 / n.lanBps);
    for (Sim h : holders.get(n.spec.subnet()).get(g)) {
      if (h != n && !h.gone) {
        schedule(now + lanHashes, Kind.RESOLVED, n, g, 0, 0, null);
        return;
      }
    }
    long waitEnd = n.announcedAt[g] + site.settings().discoveryWait().toNanos();
    if (now < waitEnd) {
      schedule(waitEnd, Kind.RESOLVE, n, g, 0, 0, null); // the holder that answered left: wait it out
      return;
    }
    List<PeerEndpoint> better = views[n.spec.subnet()].betterRanked(s.ref().id(), n.nodeId, now, 4);
    for (PeerEndpoint p : better.subList(0, Math.min(3, better.size()))) {
      Sim b = sim(p);
      if (b != null && !b.gone && b.resolved[g] == 2) {
        schedule(now + lanHashes, Kind.RESOLVED, n, g, 0, 0, null);
        return;
      }
    }
    if (!better.isEmpty() && now < n.resolveDeadline[g]) {
      schedule(now + HASH_POLL, Kind.RESOLVE, n, g, 0, 0, null);
      return;
    }
    ciFlow(n, CI_SEGMENT, g, segmentBytes(s.ref().blocks()));
  }

  private void resolvedSegment(Sim n, int g) {
    if (n.resolved[g] == 2) {
      return;
    }
    n.resolved[g] = 2;
    wantMore(n, segs.get(g).pkg());
    n.loop.tick();
    act(n);
  }

  /** Wants the package's next segments within the read-ahead (in order, as the daemon's reader does). */
  private void wantMore(Sim n, int pkg) {
    int count = segCount(pkg);
    long window = Math.max(1, site.settings().readAheadBytes() / ((long) SEGMENT_BLOCKS * BLOCK));
    // Resolve the content information of the read-ahead (the first segment was described when the
    // package was opened), then want the resolved ones in order.
    for (int i = n.segmentsDone[pkg]; i < count && i < n.segmentsDone[pkg] + window; i++) {
      int g = firstSeg[pkg] + i;
      if (n.resolved[g] == 0) {
        n.resolved[g] = 1;
        if (i > 0) {
          ciFlow(n, CI_DESCRIBE, g, describeBytes());
        }
      }
    }
    while (n.nextWant[pkg] < count) {
      int inFlight = n.nextWant[pkg] - n.segmentsDone[pkg];
      if (inFlight > 0 && (long) inFlight * SEGMENT_BLOCKS * BLOCK >= site.settings().readAheadBytes()) {
        break;
      }
      Seg s = segs.get(firstSeg[pkg] + n.nextWant[pkg]);
      if (n.resolved[s.index()] != 2) {
        break;
      }
      n.nextWant[pkg]++;
      BitSet have = n.held[s.index()] == null ? new BitSet() : (BitSet) n.held[s.index()].clone();
      n.loop.want(s.ref(), have, n.announcedAt[s.index()]);
      List<Sim> earlier = n.announceAnswers.remove(s.index());
      if (earlier != null) {
        for (Sim h : earlier) {
          if (!h.gone) {
            int c = h.heldCount[s.index()];
            n.loop.matched(h.endpoint, s.ref().id(), c, c == s.ref().blocks());
          }
        }
      }
    }
  }

  /**
   * Schedules the node's next tick on its 20 ms rhythm, the daemon's fixed-rate timer: it starts
   * 20 ms after the loop gets busy and continues from every tick. With wake-ups, at the first tick
   * at or after the loop's {@link DownloadLoop#wakeAt} (the ticks before it would decide nothing
   * the loop's own timers ask for); an input that brings the wake-up closer replaces the pending
   * tick by an earlier one on the same rhythm.
   */
  private void scheduleTick(Sim n) {
    if (n.loop == null || !n.loop.busy()) {
      return;
    }
    long period = site.settings().tick().toNanos();
    if (n.tickAt == Long.MAX_VALUE && n.tickBase != now) {
      n.tickBase = now; // it was not ticking: a new rhythm starts (its first tick one period from now)
    }
    long wake = wakeUps ? Math.max(n.loop.wakeAt(), now) : now;
    long at = n.tickBase + Math.max(1, (wake - n.tickBase + period - 1) / period) * period;
    if (at < n.tickAt) {
      n.tickAt = at;
      n.tickNumber++;
      schedule(at, Kind.TICK, n, 0, 0, n.tickNumber, null);
    }
  }

  /** Carries out the loop's actions in the model. */
  private void act(Sim n) {
    List<Action> actions = n.loop.drain();
    for (int i = 0; i < actions.size(); i++) {
      Action a = actions.get(i);
      if (a instanceof Action.SendProbe p) {
        probe(n, p);
      } else if (a instanceof Action.GetBlock g) {
        getBlock(n, g);
      } else if (a instanceof Action.AskBlockList l) {
        getBlockList(n, l);
      } else if (a instanceof Action.FetchOrigin f) {
        fetchOrigin(n, f);
      } else if (a instanceof Action.CancelOrigin c) {
        int[] req = n.originReqs.remove(c.id());
        if (req != null) {
          for (Flow fl : flows) {
            if (fl.node == n && fl.reqId == c.id() && !fl.cancelled) {
              fl.cancelled = true;
              long left = 0;
              for (int b = fl.next; b <= fl.last && left < cutLoss; b++) {
                left += segs.get(fl.segment).ref().blockLength(b);
              }
              // A range whose request has not reached the publisher yet loses next to nothing.
              fl.waste = fl.eligibleAt <= now ? Math.min(left, cutLoss) : 0;
              cuts += fl.waste > 0 ? 1 : 0;
            }
          }
        }
      } else if (a instanceof Action.SegmentDone d) {
        Seg s = seg(d.segment());
        int pkg = s.pkg();
        n.segmentsDone[pkg]++;
        if (n.segmentsDone[pkg] == segCount(pkg) && n.spec.startNanos()[pkg] >= 0) {
          unfinished--;
          recorder.downloadDone(n.spec.id(), pkg, n.startedAt[pkg], now);
        } else {
          // The loop takes the next segments now; what it asks for is dispatched by the nested act,
          // and the rest of this batch after it (returning here dropped those actions: block
          // requests that never went out, counted in flight for ever — a seeded 1 GiB crowd
          // stalled on them once sends followed a segment's end in one batch).
          wantMore(n, pkg);
          n.loop.tick();
          act(n);
        }
      } else if (a instanceof Action.SegmentFailed f) {
        throw new IllegalStateException("segment failed in the model: " + f.why());
      }
    }
    scheduleTick(n);
  }

  private void probe(Sim n, Action.SendProbe p) {
    int subnet = n.spec.subnet();
    List<SegmentId> ids = p.segments();
    views[subnet].heard(n.nodeId, n.endpoint, ids, p.fetching(), now);
    long probeHash = random.nextLong();
    // A responder answers one probe with one ProbeMatches naming every held id it offers
    // (PROTOCOL.md §3.7): one event per answering holder.
    Map<Sim, List<Integer>> answers = new java.util.LinkedHashMap<>();
    for (SegmentId id : ids) {
      answer(n, seg(id).index(), probeHash, answers);
    }
    for (Map.Entry<Sim, List<Integer>> a : answers.entrySet()) {
      long delay = 1_000_000L + random.nextLong(MAX_REPLY_DELAY - 1_000_000L);
      long at = Math.max(now + LAN_LATENCY, a.getKey().frozenUntil) + LAN_LATENCY + delay;
      schedule(at, Kind.MATCH, n, 0, 0, 0, new Match(a.getKey(), a.getValue()));
    }
  }

  /**
   * Adds the holders of segment {@code g} that answer {@code n}'s probe to {@code answers}: each
   * with the daemon's own probability ({@link SubnetView#answerProbability}), cache servers always
   * (the daemon's responder does not thin a dedicated node's answers).
   */
  private void answer(Sim n, int g, long probeHash, Map<Sim, List<Integer>> answers) {
    int subnet = n.spec.subnet();
    Seg s = segs.get(g);
    List<Sim> hs = holders.get(subnet).get(g);
    if (hs.isEmpty()) {
      return;
    }
    SubnetView view = views[subnet];
    SegmentId id = s.ref().id();
    double wanter = view.wanterAnswerProbability(id, now);
    if (wanter >= 1 || hs.size() <= site.settings().answerTarget()) {
      for (Sim h : hs) {
        offer(answers, n, h, s, probeHash, probability(view, id, h, s));
      }
      return;
    }
    for (Sim c : cacheServers.get(subnet)) {
      if (c.heldCount[g] > 0) {
        offer(answers, n, c, s, probeHash, 1.0);
      }
    }
    // Complete holders not heard wanting the segment lately (seeds, nodes that finished long
    // enough ago) answer with their own probability: the daemon's draw, holder by holder.
    for (Sim h : complete.get(subnet).get(g)) {
      if (!h.spec.cacheServer()) {
        double p = view.answerProbability(id, h.nodeId, true, now);
        if (p != wanter) {
          offer(answers, n, h, s, probeHash, p);
        }
      }
    }
    // Every other holder answers with the wanters' probability: drawn for a sample instead of
    // asking every holder (thousands at a time), the same number of answers in distribution.
    int k = binomial(hs.size(), wanter);
    java.util.Set<Integer> drawn = new java.util.HashSet<>();
    while (drawn.size() < k) {
      int i = random.nextInt(hs.size());
      if (!drawn.add(i)) {
        continue;
      }
      Sim h = hs.get(i);
      if (!h.spec.cacheServer() && probability(view, id, h, s) == wanter) {
        offer(answers, n, h, s, probeHash, 1.0);
      }
    }
  }

  /** The probability with which holder {@code h} answers a probe for {@code s} now (1 for a cache server). */
  private double probability(SubnetView view, SegmentId id, Sim h, Seg s) {
    if (h.spec.cacheServer()) {
      return 1.0;
    }
    return view.answerProbability(id, h.nodeId, h.heldCount[s.index()] == s.ref().blocks(), now);
  }

  /** One ProbeMatches: the holder and the segments it offers. */
  private record Match(Sim holder, List<Integer> segments) {}

  private int binomial(int trials, double p) {
    double mean = trials * p;
    if (trials < 64) {
      int k = 0;
      for (int i = 0; i < trials; i++) {
        if (random.nextDouble() < p) {
          k++;
        }
      }
      return k;
    }
    // Normal approximation, clamped (trials × p is about answerTarget here).
    double k = mean + Math.sqrt(mean * (1 - p)) * random.nextGaussian();
    return (int) Math.max(0, Math.min(trials, Math.round(k)));
  }

  private void offer(Map<Sim, List<Integer>> answers, Sim prober, Sim holder, Seg s, long probeHash, double prob) {
    if (holder == prober || holder.gone) {
      return;
    }
    if (prob < 1 && !SubnetView.answers(prob, probeHash, holder.nodeId)) {
      return;
    }
    List<Integer> segs = answers.computeIfAbsent(holder, h -> new ArrayList<>(2));
    if (!segs.contains(s.index())) {
      segs.add(s.index());
    }
  }

  private void getBlock(Sim n, Action.GetBlock g) {
    Sim server = sim(g.peer());
    Seg s = seg(g.segment());
    long arrive = now + LAN_LATENCY;
    if (server == null || server.gone) {
      schedule(now + REQUEST_TIMEOUT, Kind.RESULT, n, 0, 0, g.id(), Outcome.TIMEOUT);
      return;
    }
    arrive = Math.max(arrive, server.frozenUntil); // a stalled server reads the request when it runs again
    if (!server.holds(s.index(), g.index())) {
      schedule(arrive + LAN_LATENCY, Kind.RESULT, n, 0, 0, g.id(), Outcome.NOT_AVAILABLE);
      return;
    }
    if (server.activeUploads(arrive) >= UPLOAD_SLOTS) {
      schedule(arrive + LAN_LATENCY, Kind.RESULT, n, 0, 0, g.id(), Outcome.NOT_AVAILABLE);
      return;
    }
    int len = s.ref().blockLength(g.index());
    // The server's uplink is a FIFO; the client's downlink takes blocks as they come, at its
    // rate (a block queued at a busy server does not hold the client's link meanwhile).
    long begin = Math.max(arrive, server.upFree);
    if (begin - arrive > MAX_QUEUE_WAIT) {
      // The server's queue would hold it too long: the empty (busy) answer (PROTOCOL.md §4.6).
      schedule(arrive + MAX_QUEUE_WAIT + LAN_LATENCY, Kind.RESULT, n, 0, 0, g.id(), Outcome.NOT_AVAILABLE);
      return;
    }
    long sent = begin + (long) Math.ceil(len * 8e9 / server.lanBps);
    server.upFree = sent;
    server.queueUpload(sent);
    if (sent + LAN_LATENCY - now > REQUEST_TIMEOUT) {
      schedule(now + REQUEST_TIMEOUT, Kind.RESULT, n, 0, 0, g.id(), Outcome.TIMEOUT);
      return;
    }
    if (!server.spec.corrupt()) {
      recorder.uploaded(server.spec.id(), len);
    }
    if (SOURCE_TRACE != null && server.spec.holds()[s.pkg()]) {
      sourceUpload(server, n, s, g, begin - arrive);
    }
    // The client's link takes blocks in the order they leave their servers, not in the order they
    // were asked for: a block from an idle server does not wait behind one queued at a busy server.
    schedule(sent, Kind.SENT, n, s.index(), g.index(), g.id(), new Sent(s, g.index(), len, now, server.spec.corrupt()));
  }

  /**
   * A node that held the package before the run (a seeded client, a pre-populated cache server)
   * uploads block {@code g} to {@code n}: one line of the source trace (simulated nanoseconds,
   * server, client, global segment, block, the loop's {@link Action.GetBlock.Kind}, nanoseconds
   * queued on the server's uplink), and the counts {@link #run} prints at the end.
   */
  private void sourceUpload(Sim server, Sim n, Seg s, Action.GetBlock g, long queued) {
    int[] copies = sourceCopies.computeIfAbsent(s.index(), k -> new int[s.ref().blocks()]);
    int kind = g.kind().ordinal();
    sourceUploads[kind]++;
    if (copies[g.index()]++ > 0) {
      sourceRepeats[kind]++;
    }
    sourceLines.append(now).append(' ').append(server.spec.id()).append(' ').append(n.spec.id()).append(' ')
        .append(s.index()).append(' ').append(g.index()).append(' ').append(g.kind()).append(' ').append(queued)
        .append('\n');
  }

  private void writeSourceTrace() {
    long blocks = 0;
    for (int[] copies : sourceCopies.values()) {
      for (int c : copies) {
        blocks += c > 0 ? 1 : 0;
      }
    }
    StringBuilder sum = new StringBuilder("source uploads: ").append(java.util.Arrays.stream(sourceUploads).sum())
        .append(" of ").append(blocks).append(" distinct blocks; by kind (uploads / repeats):");
    for (Action.GetBlock.Kind k : Action.GetBlock.Kind.values()) {
      sum.append(' ').append(k).append(' ').append(sourceUploads[k.ordinal()]).append(" / ")
          .append(sourceRepeats[k.ordinal()]);
    }
    System.err.println(sum);
    try {
      java.nio.file.Files.writeString(java.nio.file.Path.of(SOURCE_TRACE), sourceLines);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot write the source trace " + SOURCE_TRACE, e);
    }
  }

  /** A block that left its server at this event's time, asked for at {@code askedAt}. */
  private record Sent(Seg seg, int block, int length, long askedAt, boolean corrupt) {}

  /** What a RESULT event carries for a block that arrived (its segment and block in {@code a} and {@code b}). */
  private static final Object DELIVERED = new Object();

  /**
   * Block request {@code sent}'s SENT event: the block reaches client {@code n}'s link and arrives
   * when the link has taken it. The event itself becomes the request's RESULT (queued as a new
   * event would be, after everything queued before it): one event object per block instead of two.
   */
  private void downlink(Sim n, Event sent) {
    Sent s = (Sent) sent.obj;
    long received = Math.max(now, n.downFree + (long) Math.ceil(s.length() * 8e9 / n.lanBps));
    n.downFree = received;
    long done = received + LAN_LATENCY;
    if (done - s.askedAt() > REQUEST_TIMEOUT) {
      reschedule(sent, Math.max(now, s.askedAt() + REQUEST_TIMEOUT), Kind.RESULT, 0, 0, Outcome.TIMEOUT);
      return;
    }
    if (s.corrupt()) {
      recorder.badBlock(n.spec.id());
      reschedule(sent, done, Kind.RESULT, 0, 0, Outcome.BAD_DATA);
      return;
    }
    // The block is the client's when it has arrived; the result event reports it then.
    reschedule(sent, done, Kind.RESULT, s.seg().index(), s.block(), DELIVERED);
  }

  /** Queues event {@code e}, already handled, again as a new event (its node and id kept). */
  private void reschedule(Event e, long time, Kind kind, int a, int b, Object obj) {
    e.time = time;
    e.kind = kind;
    e.a = a;
    e.b = b;
    e.obj = obj;
    queue.add(time, e);
    scheduled++;
  }

  private void getBlockList(Sim n, Action.AskBlockList l) {
    Sim server = sim(l.peer());
    Seg s = seg(l.segment());
    if (server == null || server.gone) {
      scheduleList(now + REQUEST_TIMEOUT, n, l.id(), Outcome.TIMEOUT);
      return;
    }
    // What it holds when it answers: a copy of the words (it keeps getting blocks meanwhile).
    long[] held = server.held[s.index()] == null ? new long[0] : server.held[s.index()].toLongArray();
    long answered = Math.max(now + LAN_LATENCY, server.frozenUntil) + LAN_LATENCY;
    if (answered - now > REQUEST_TIMEOUT) {
      scheduleList(now + REQUEST_TIMEOUT, n, l.id(), Outcome.TIMEOUT);
      return;
    }
    scheduleList(answered, n, l.id(), held);
  }

  private void fetchOrigin(Sim n, Action.FetchOrigin f) {
    Seg s = seg(f.segment());
    n.originReqs.put(f.id(), new int[] {s.index(), f.first(), f.count()});
    flows.addLast(new Flow(n, f.id(), s.index(), f.first(), f.first() + f.count() - 1,
        now + site.wanRttNanos() / 2, f.reason().label()));
    if (!wanBusy) {
      wanFree();
    }
  }

  /**
   * The bytes a range cut mid-way still puts on the WAN: the sender goes on until the cut reaches
   * it, and what is in flight and queued at the bottleneck is lost with the connection — about two
   * bandwidth-delay products, at least 256 KiB (the live harness gives its delay line the same,
   * {@code LiveSite.delayLineBuffer}; live-16 measured 0.8–1.2 MB per cut at 100 Mbit/s, 20 ms).
   * Before 2026-12-05 the model stopped a cut range at once, so cutting cost nothing here.
   */
  static long cutLoss(long wanBitsPerSecond, java.time.Duration rtt) {
    double bdp = wanBitsPerSecond / 8.0 * (rtt.toNanos() / 1e9);
    return (long) Math.min(64L << 20, Math.max(256L << 10, 2 * bdp));
  }

  /** Origin ranges cut after the publisher began sending them. */
  public long cuts() {
    return cuts;
  }

  /** The bytes the WAN carried for cut ranges after their cut, delivered to nobody ({@link #cutLoss}). */
  public long cutBytes() {
    return cutBytes;
  }

  /** The bytes of content information the WAN carried (the publisher's answers to PCCRTP requests). */
  public long contentInformationWanBytes() {
    return contentInformationBytes;
  }

  /** The WAN link is free: serialise the next block of the next eligible range, round-robin. */
  private void wanFree() {
    wanBusy = false;
    int n = flows.size();
    long earliest = Long.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      Flow fl = flows.pollFirst();
      if (fl.cancelled && fl.waste > 0 && !fl.node.gone) {
        // What was in flight and queued when the range was cut still crosses the link.
        long len = Math.min(fl.waste, BLOCK);
        fl.waste -= len;
        cutBytes += len;
        long finish = serialise(fl, len);
        flows.addLast(fl);
        busyUntil(finish);
        return;
      }
      if (fl.cancelled || fl.node.gone) {
        if (!fl.node.gone) {
          schedule(now, Kind.ORIGIN_END, fl.node, 0, 0, fl.reqId, null);
        }
        continue;
      }
      if (fl.eligibleAt > now) {
        earliest = Math.min(earliest, fl.eligibleAt);
        flows.addLast(fl);
        continue;
      }
      if (fl.segment < 0) {
        // Content information: sent whole (it is small), then the download starts.
        long finish = serialise(fl, fl.bytes);
        contentInformationBytes += fl.bytes;
        schedule(finish + site.wanRttNanos() / 2, Kind.CI_DONE, fl.node, fl.ciKind, fl.ciIndex, 0, null);
        busyUntil(finish);
        return;
      }
      Seg s = segs.get(fl.segment);
      int len = s.ref().blockLength(fl.next);
      long finish = serialise(fl, len);
      recorder.originFetch(fl.node.spec.id(), fl.reason, len);
      long arrive = finish + site.wanRttNanos() / 2;
      schedule(arrive, Kind.ORIGIN_BLOCK, fl.node, fl.segment, fl.next, fl.reqId, null);
      if (fl.next == fl.last) {
        schedule(arrive, Kind.ORIGIN_END, fl.node, 0, 0, fl.reqId, null);
      } else {
        fl.next++;
        flows.addLast(fl);
      }
      busyUntil(finish);
      return;
    }
    if (earliest != Long.MAX_VALUE) {
      busyUntil(earliest);
    }
  }

  /** Puts {@code bytes} of {@code fl} on the link from now; returns when their last byte has left. */
  private long serialise(Flow fl, long bytes) {
    long finish = now + (long) Math.ceil(bytes / wanBytesPerNano);
    recorder.wanBytes(now, finish, fl.node.spec.subnet(), bytes);
    return finish;
  }

  /** The link is busy until {@code at}, when it takes the next block ({@link #wanFree}). */
  private void busyUntil(long at) {
    wanBusy = true;
    schedule(at, Kind.WAN_FREE, null, 0, 0, 0, null);
  }

  private void acquire(Sim n, Seg s, int block, ByteSource source) {
    BitSet h = n.held(s.index());
    if (h.isEmpty()) {
      holders.get(n.spec.subnet()).get(s.index()).add(n);
    }
    if (!h.get(block)) {
      h.set(block);
      n.heldCount[s.index()]++;
      if (n.heldCount[s.index()] == s.ref().blocks()) {
        complete.get(n.spec.subnet()).get(s.index()).add(n);
      }
    }
    recorder.received(n.spec.id(), source, s.ref().blockLength(block));
  }

  private void leave(Sim n) {
    n.gone = true;
    recorder.nodeLeft(n.spec.id(), now);
    for (int p = 0; p < site.packages().size(); p++) {
      if (n.spec.startNanos()[p] >= 0 && n.segmentsDone[p] < segCount(p)) {
        unfinished--;
      }
    }
    for (List<Sim> hs : holders.get(n.spec.subnet())) {
      hs.remove(n);
    }
    for (List<Sim> cs : complete.get(n.spec.subnet())) {
      cs.remove(n);
    }
  }
}
