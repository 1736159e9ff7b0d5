package dev.peerdist.node.download;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.retrieval.Outcome;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The one download loop of a node (issue 8): it owns the state of every segment being fetched and
 * decides, block by block, whether to fetch it from a peer, wait for one, or fetch it from the
 * origin. Plain code driven by events, with injected time and randomness: no sockets, no threads,
 * not thread-safe (one owner calls it, HOUSE-STYLE 14). The daemon's {@code LoopDriver} and the
 * simulator's model run this very class with the same {@link LoopSettings}.
 *
 * <p><b>Inputs</b>: segment wants ({@link #want}), what peers hold (PCCRD answers {@link #matched},
 * MSG_BLKLIST answers {@link #blockList}), results ({@link #blockResult}, {@link #originBlock},
 * {@link #originEnd}) and the passing of time ({@link #tick}). What the subnet wants comes from the
 * shared {@link SubnetView}. <b>Outputs</b>: {@link Action}s, taken with {@link #drain}.
 *
 * <p><b>Policy</b> (docs/DOWNLOAD.md has the message flow and failure modes):
 * <ul>
 *   <li><b>Peers first.</b> A block some usable holder has is requested from one of them (up to
 *       {@code requestsPerPeer} per peer, {@code requestsInFlight} in all), picked at random among
 *       the blocks that holder has and we lack, so that a swarm copies different blocks from each
 *       other. A block asked for longer than {@code hedgeAfter} is asked of a second holder.
 *   <li><b>Holdings spread by polling.</b> Holders found by probes are asked MSG_GETBLKLIST
 *       (PROTOCOL.md §4.4) for their exact blocks, again every {@code blockListInterval} while they
 *       have nothing new for us; a peer that cannot answer it is asked blindly, block by block.
 *   <li><b>Re-probe while incomplete</b>, at a cadence that slows with the number of wanters heard,
 *       so a large subnet's probe rate stays bounded; answers arriving at any time count.
 *   <li><b>One origin fetcher per segment and subnet.</b> Blocks no holder has are fetched from the
 *       origin only by the segment's elected fetcher ({@link SubnetView}); the others wait and copy
 *       them over the LAN. A fetcher says so in its probes; when it goes quiet and the segment makes
 *       no progress for {@code takeoverAfter}, the next node in the ranking takes over. A node that
 *       was fetching and learns of a better-ranked live fetcher stops.
 *   <li><b>Busy is not absent.</b> Busy, empty and slow answers back the peer off briefly; only
 *       after {@code lanPatience} without progress are held blocks treated as held by nobody.
 *   <li><b>Drop bad peers</b>: a peer whose block failed verification is banned for {@code banFor};
 *       one that fails {@code peerGoneAfter} times in a row is forgotten until it answers again.
 * </ul>
 */
public final class DownloadLoop {
  private static final long NONE = Long.MIN_VALUE;
  private static final int PROBE_IDS = 8;
  private static final int MAX_LISTS_IN_FLIGHT = 64;
  /** Holders asked for their lists in one round while a segment runs dry. */
  static final int POLLS_PER_ROUND = 4;
  /**
   * Poll rounds are at least this many list round trips apart ({@link #listLatency}): on a LAN
   * answering in milliseconds nothing changes ({@code blockListInterval} rules), while on a site
   * short of CPU, where answers took hundreds of milliseconds, polling at the LAN pace made three
   * lists per block fetched and the lists themselves a large part of the CPU the site lacked
   * (live-16, 2026-12-04).
   */
  static final int LIST_ROUNDS_PER_LATENCY = 4;
  /** Answer time below which a peer gets the full {@code requestsPerPeer}. */
  static final double LATENCY_TARGET_NANOS = 10e6;
  /** After this long a rare block is taken from its only (partial) holder by anyone. */
  static final long RARE_WAIT_NANOS = 3_000_000_000L;
  /**
   * How long after this node first probed a segment a starving segment may take from a seed what
   * it is not the first copier of: the first copiers asked for their blocks at once, and the
   * copies of a crowd's first second reach everyone through lists within about this long.
   */
  static final long SEED_RARE_WAIT_NANOS = 1_500_000_000L;
  /** The longest a first copy waits for its arc's predecessor's list ({@link #predecessorListed}). */
  static final long PREDECESSOR_WAIT_NANOS = 500_000_000L;
  /**
   * How long after an arc came to this node its predecessor's list is asked: time for the
   * predecessor to hear of this node (the ring is rebuilt every 100 ms and looked up every
   * {@link #ARCS_REFRESH_NANOS}) and for its own requests of these blocks at a busy seed to arrive.
   */
  static final long PREDECESSOR_SETTLE_NANOS = 150_000_000L;
  /** How often this node's first-copy arcs are looked up again (a cheap check while the ring is the same). */
  static final long ARCS_REFRESH_NANOS = 50_000_000L;
  /** Wanters heard probing that a dry segment adds as holders per poll round ({@link #adoptWanters}). */
  static final int ADOPT_PER_ROUND = 2;
  /** How long an adopted wanter whose list failed is not adopted again. */
  static final long READOPT_AFTER_NANOS = 5_000_000_000L;
  /**
   * How long a segment's discovery wait waits for this node's first probe of it to come back
   * ({@link #ownProbeHeard}), when probes come back at all.
   */
  static final long ECHO_WAIT_MAX_NANOS = 2_000_000_000L;
  /** How long after the discovery wait an elected fetcher waits for lists of adopted wanters ({@link #unannounced}). */
  static final long ADOPTED_LIST_WAIT_NANOS = 1_000_000_000L;
  /** How far behind its own probes the listener may run while this node starts origin fetches. */
  static final long ECHO_TOLERANCE_NANOS = 250_000_000L;
  private static final int MAX_READOPT = 256;
  /** How long a looked-up standing or source flag is reused before asking the view again. */
  private static final long VIEW_REFRESH_NANOS = 250_000_000L;
  /** Requests in flight below which a segment counts as starving (see {@link #STARVE_NANOS}). */
  static final int LOW_WATER = 4;
  /**
   * A segment starving this long (fewer than {@link #LOW_WATER} requests in flight) may take any
   * block from a seed, designated or not: the copies it waited for are not coming.
   */
  static final long STARVE_NANOS = 300_000_000L;
  /** Complete holders are kept for rare blocks while partial holders outnumber them this many times. */
  static final int SPARE_RATIO = 4;
  private static final FallbackReason[] REASONS = FallbackReason.values();
  /** Bits of {@link Task#walkState}. */
  private static final int EXACT = 1;
  private static final int BLIND = 2;
  private static final int LISTING = 4;
  private static final int COMPLETE = 8;
  /**
   * The longest a driver that ticks only when {@link #wakeAt} says so sleeps while segments are in
   * progress: what only the subnet view changes (who is elected fetcher, whether a chosen fetcher is
   * still heard, which holders fetch from the origin) is looked at again within this time.
   */
  public static final long WAKE_CAP_NANOS = 100_000_000L;

  private final long nodeId;
  private final LoopSettings s;
  private final SubnetView view;
  private final LongSupplier clock;
  private final RandomGenerator random;
  private List<Action> out = new ArrayList<>();
  private final LinkedHashMap<SegmentId, Task> tasks = new LinkedHashMap<>();
  /** {@link #tasks}' values in the same order, walked as an array (every tick walks them a few times). */
  private final ArrayList<Task> inOrder = new ArrayList<>();
  private final Map<PeerEndpoint, Peer> peers = new HashMap<>();
  private final Map<Long, Req> requests = new HashMap<>();
  /** Block lists asked for, by request id (nothing depends on their order). */
  private final LongMap<ListReq> lists = new LongMap<>();
  /** Moving average (1/8) of how long block lists took to come back or fail, ns; 0 before the first. */
  private long listLatency;
  private final Map<Long, OriginReq> origins = new LinkedHashMap<>();
  private final long hedgeNanos;
  private final long takeoverNanos;
  private long nextId = 1;
  private int inFlight;
  /** Whether {@link #pick} may take fallback blocks from sources (see {@link #fill}). */
  private boolean fallbacks = true;
  /** Something changed that {@link #fill} should look at (knowledge, needs, a peer's back-off). */
  private boolean dirty;
  /** Whether this node hears its own probes back ({@link #echoesOwnProbes}). */
  private boolean echoes;
  /**
   * The last own probes heard back: when each was sent and heard, for a segment whose first probe
   * (the resolver's, {@link #want(SegmentRef, BitSet, long)}) came back before the loop wanted it.
   */
  private final long[] echoSent = new long[16];
  private final long[] echoHeard = new long[16];
  private int echoCount;
  /**
   * When this loop decided its probes that have not come back yet, oldest first (only while
   * {@link #echoes}): the listener is behind while one is older than {@link #ECHO_TOLERANCE_NANOS}.
   */
  private final java.util.ArrayDeque<Long> unechoed = new java.util.ArrayDeque<>();
  /**
   * A probe did not come back within {@link #ECHO_WAIT_MAX_NANOS} and none has since: returns are
   * not waited for (neither by {@link #listenerBehind} nor by {@link #discoveryOpen}) until one
   * comes back again.
   */
  private boolean echoLost;
  private long nextHedgeCheck;
  private long nextBackoffEnd = Long.MAX_VALUE;
  private long lastExpire;
  /** When {@link #tick} last ran (NONE: never). */
  private long lastTick = NONE;
  /** The earliest {@code sentAt} among {@link #requests} (a lower bound while {@link #oldestStale}). */
  private long oldestSent = Long.MAX_VALUE;
  private boolean oldestStale;
  /** {@link #fillHolding} or {@link #fillPeer} asked one holder since {@link #fill} last asked them all. */
  private boolean partialFills;
  private final Stats stats = new Stats();
  /** When a peer last delivered a block to this loop (NONE: never); see {@link #patienceFrom}. */
  private long lastPeerBlock = NONE;

  /** Counters of what the loop decided, for metrics, the simulator's report and tests. */
  public static final class Stats {
    public long blockRequests;
    public long hedges;
    public long listRequests;
    public long probes;
    public long originRequests;
    public long originCancels;
    public long takeovers;
    public long peersBanned;
    public long peersForgotten;
  }

  /**
   * @param nodeId this node's id, the one in its probe tag
   * @param view what this node hears of its subnet (shared with the responder)
   * @param clock nanoseconds, monotonic
   */
  public DownloadLoop(long nodeId, LoopSettings settings, SubnetView view, LongSupplier clock,
      RandomGenerator random) {
    this.nodeId = nodeId;
    this.s = settings;
    this.view = view;
    this.clock = clock;
    this.random = random;
    this.hedgeNanos = settings.hedgeAfter().toNanos();
    this.takeoverNanos = settings.takeoverAfter().toNanos();
    this.lastExpire = clock.getAsLong();
  }

  // ------------------------------------------------------------------ state

  private static final class Peer {
    final PeerEndpoint endpoint;
    int inFlight;
    /** Set through {@link #backOffUntil}, which copies it to the walk arrays of the peer's holdings. */
    long backoffUntil = NONE;
    int failures;
    /** Set through {@link #banUntil}, which copies it to the walk arrays of the peer's holdings. */
    long bannedUntil = NONE;
    /** Smoothed time from request to answer, nanoseconds (0 = none measured yet). */
    double latency;

    /**
     * Its holdings of the segments in progress, one per segment at most (a few: a lookup is a scan
     * of a peer already at hand, not a hash map per segment; see {@link Task#holding}); null while
     * it holds none. Most peers a loop remembers hold nothing (in a large crowd, hundreds per node:
     * holders come and go, and a peer stays until the minute's expiry for its back-off and
     * latency), so the array and {@link #node} exist only while it holds something.
     */
    private Holder[] holdings;
    private int holdingCount;
    /** Its node id as the view last told it; null until asked while it holds something ({@link #node()}). */
    private SubnetView.NodeMemo node;

    Peer(PeerEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    void backOffUntil(long until) {
      backoffUntil = until;
      mirrorUsable();
    }

    void banUntil(long until) {
      bannedUntil = until;
      mirrorUsable();
    }

    /** From when it may be asked again ({@link DownloadLoop#usable}: at or after this time). */
    long usableAt() {
      return Math.max(backoffUntil, bannedUntil); // NONE is the least long
    }

    /** Copies {@link #usableAt} into each of its holdings' {@link Task#walkUsableAt}. */
    private void mirrorUsable() {
      for (int i = 0; i < holdingCount; i++) {
        Holder h = holdings[i];
        h.task.walkUsableAt[h.slot] = usableAt();
      }
    }

    /** The memo of its node id for {@link SubnetView#fetching} and {@link SubnetView#wanted} (a cache). */
    SubnetView.NodeMemo node() {
      if (node == null) {
        node = new SubnetView.NodeMemo();
      }
      return node;
    }

    Holder holding(Task t) {
      for (int i = 0; i < holdingCount; i++) {
        if (holdings[i].task == t) {
          return holdings[i];
        }
      }
      return null;
    }

    void hold(Holder h) {
      if (holdings == null) {
        holdings = new Holder[2];
      } else if (holdingCount == holdings.length) {
        holdings = java.util.Arrays.copyOf(holdings, 2 * holdingCount);
      }
      holdings[holdingCount++] = h;
    }

    void unhold(Holder h) {
      for (int i = 0; i < holdingCount; i++) {
        if (holdings[i] == h) {
          System.arraycopy(holdings, i + 1, holdings, i, holdingCount - i - 1);
          holdings[--holdingCount] = null;
          if (holdingCount == 0) {
            holdings = null;
            node = null;
          }
          return;
        }
      }
    }
  }

  /** What one peer holds of one segment, as far as we know. */
  private static final class Holder {
    final Peer peer;
    final long[] known;
    /** The known set came from MSG_BLKLIST or a full-segment claim. */
    boolean exact;
    /** MSG_BLKLIST failed: the peer is asked blindly; {@link #known} holds what it may have. */
    boolean blind;
    boolean complete;
    /** It said (in a PCCRD answer) that it holds blocks of the segment. */
    boolean claimed;
    /**
     * Added because it was heard probing for the segment ({@link #adoptWanters}), not because it
     * said it holds any: only its block lists count; it is never asked blindly.
     */
    boolean adopted;
    boolean listing;
    int listFailures;
    /** Lists in a row that showed nothing new we need: the next one waits twice as long (up to 8×). */
    int stale;
    /** Empty answers in a row for blocks it listed. */
    int empties;
    /** Times its list was refreshed after empty answers, with no block from it since. */
    int refreshes;
    long nextList;
    /** When its last block list arrived (NONE: never). */
    long listedAt = NONE;
    final long added;
    /**
     * Whether the holder fetches this segment from the origin (a source), as of {@link #sourceAt},
     * once it is removed; until then its task's {@link Task#walkFetching} and {@link
     * Task#walkSourceAt} hold them (read through {@link DownloadLoop#sourceAt}): the look-ups of
     * {@link Task#sources} every 250 ms write small arrays, not every holder's object.
     */
    boolean fetching;
    long sourceAt = NONE;
    /**
     * Whether it is an ordinary peer, not a source (a spared seed, {@link DownloadLoop#spared}, or an
     * origin fetcher, {@link DownloadLoop#fetching}), as of the task's last {@link Task#sources}
     * count. Only what ordinary peers hold is "common": a block that only sources hold is rare, even
     * when two seeds hold it, or it would be asked of nobody.
     */
    boolean ordinary;
    /** Whether the holder is a seed ({@link #seed}), as of {@link #seedAt}. */
    boolean seed;
    long seedAt = NONE;
    /** Removed from its segment's holders ({@link Task#holds}). */
    boolean removed;
    /** The segment it holds blocks of, and its index in that segment's {@link Task#holders}. */
    final Task task;
    int slot;

    Holder(Task task, Peer peer, int words, long now) {
      this.task = task;
      this.peer = peer;
      this.known = new long[words];
      this.added = now;
    }

    // The walks of {@link #lists} read these from the task's arrays ({@link Task#walkState}): set
    // them only here.

    void exact(boolean v) {
      exact = v;
      task.mirror(this);
    }

    void blind(boolean v) {
      blind = v;
      task.mirror(this);
    }

    void listing(boolean v) {
      listing = v;
      task.mirror(this);
    }

    void nextList(long at) {
      nextList = at;
      task.mirror(this);
    }
  }

  private final class Task {
    final SegmentRef ref;
    final int n;
    final long hash;
    /** The index of the last word of the bit sets, and the blocks of the segment in it. */
    final int lastWord;
    final long tailMask;
    final long[] have;
    final long[] requested;
    final long[] claimed;
    final byte[] asking;
    final byte[] failure;
    /** When some holder was first seen with each block (nanos; 0 = never). */
    final long[] firstListed;
    /** Wanters heard for this segment (refreshed at each probe). */
    int wanters = 1;
    /** This node's arcs of the segment's first-copy ring ({@link SubnetView#firstCopyArcs}; null = all). */
    long[] arcs;
    /** The ring {@link #arcs} came from (the view searches it again only when it changed). */
    final SubnetView.ArcsMemo arcsMemo = new SubnetView.ArcsMemo();
    /** The blocks on {@link #arcs}: those this node copies first. */
    long[] firstCopies;
    /** Per block, the index of the arc it is on (valid where {@link #firstCopies} has it). */
    byte[] arcOf;
    /** Per arc, where the wanter serves that owned it before this node (see {@link #predecessorListed}). */
    PeerEndpoint[] predecessors;
    /** Per arc, since when it waits for its predecessor's list (NONE: it does not). */
    long[] arcWaitsSince;
    /** Some arc waits for its predecessor's list to be asked ({@link #askPredecessors}, at each tick). */
    boolean predecessorsDue;
    /** The segment's peerdist wanters, this node included ({@link SubnetView#standing}). */
    int tagged = 1;
    long standingAt = NONE;
    long arcsAt = NONE;
    /** Block requests of this segment in flight. */
    int asked;
    /** Since when fewer than {@link #LOW_WATER} requests of this segment are in flight (NONE: not so). */
    long lowSince;
    /** When this segment may next poll holders that have nothing new for it. */
    long nextPollRound;
    /**
     * When {@link #lists} may next ask a holder that has not listed yet (0: at the next tick), as of
     * its last walk; set to 0 by whatever may bring it closer ({@link #wakeAt}).
     */
    long unlistedAt;
    /** When {@link #planOrigin} should look at this segment again (0: at the next tick); see {@link #wakeAt}. */
    long originAt;
    /** Change only through {@link #addHolder}, {@link #removeHolder} and {@link #removeHolderOf}. */
    final List<Holder> holders = new ArrayList<>();
    /** Holders with {@code complete} set; change that flag only through {@link #setComplete}. */
    int completeHolders;
    /** Holders with {@code stale} at 2 or more (what {@link #makeRoom} looks for); set it through {@link #setStale}. */
    int staleHolders;
    /**
     * False only when every holder is known exactly or asked blindly, so that {@link #lists} need
     * not look for holders to ask (set again when a holder is added or forgets what it listed).
     */
    boolean unlistedHolders;
    /** What any holder is known to have (OR of their {@code known}): read it through {@link #heldByAny}. */
    private final long[] unionOfKnown;
    /**
     * Per word, the needed blocks some holder is known to have ({@code unionOfKnown & need}), and
     * how many there are: {@link #pickable} and {@link #knownBound} read these instead of five
     * arrays. Kept as {@link #have}, {@link #requested}, {@link #claimed} (through the setters
     * below) and the union change; recounted with the union ({@link #heldByAny}).
     */
    private final long[] avail;
    private int availCount;
    /** {@link #need} per word, kept with {@link #avail} (one array read instead of three). */
    private final long[] needs;
    /** A holder's known set shrank since {@link #unionOfKnown} was counted. */
    private boolean heldStale;
    /**
     * Bumped whenever the holders, their known sets or their complete flags change: with the time,
     * it says whether the counts of {@link #sources} still hold.
     */
    private int version;
    private int sourcesVersion = -1;
    private long sourcesAt = NONE;
    /** The first time a holder's source flag counted by {@link #sources} is due for a refresh. */
    private long sourcesUntil = NONE;
    /** Blocks that at least one / at least two ordinary holders are known to have, per word. */
    private final long[] once;
    private final long[] twice;
    final Map<Long, Long> suspects = new HashMap<>(4);
    /** Adopted wanters whose list failed, and when they may be adopted again ({@link #readoptAt}). */
    private final Map<Peer, Long> readopt = new HashMap<>(4);
    int missing;
    int refs = 1;
    /** Taken out of {@link #tasks} ({@link #drop}): what {@code tasks.get(ref.id()) != this} says, without hashing. */
    boolean dropped;
    final long created;
    long firstProbe = NONE;
    /** When the loop heard back its first own probe sent at or after {@link #firstProbe} (NONE: not yet). */
    long echoAt = NONE;
    long nextProbe;
    /** Holders known when this segment was last probed (-1: never probed). */
    int holdersAtProbe = -1;
    /** Probes in a row that found no new holder while every wanter heard was known: the re-probe interval doubles per one. */
    int quietProbes;
    long lastProgress;
    long fetcher = NONE;
    long fetcherSince;
    /** The ranking {@link DownloadLoop#elected} last chose {@link #electedNode} from, with no suspects (null: none). */
    long[] electedFrom;
    long electedNode;
    boolean takeover;
    int originActive;
    /**
     * This node, elected, waited for another's running ranges of the segment to end: true while it
     * waits; then when it asked its holders for their lists again (NONE: no hand-over going on).
     */
    boolean handover;
    long handoverAt = NONE;
    long lastOriginProgress;
    long originRetryAt = NONE;
    int originFailures;
    /** Why holders of this segment failed us (lists, forgotten, banned); the reason for blocks never asked. */
    FallbackReason lostHolders;

    Task(SegmentRef ref, BitSet held, long now) {
      this.ref = ref;
      this.n = ref.blocks();
      int words = (n + 63) >>> 6;
      this.hash = SubnetView.hash(ref.id());
      this.lastWord = words - 1;
      this.tailMask = lastMask(n);
      this.have = new long[words];
      this.requested = new long[words];
      this.claimed = new long[words];
      this.asking = new byte[n];
      this.failure = new byte[n];
      this.firstListed = new long[n];
      this.unionOfKnown = new long[words];
      this.avail = new long[words];
      this.needs = new long[words];
      this.once = new long[words];
      this.twice = new long[words];
      for (int i = held.nextSetBit(0); i >= 0 && i < n; i = held.nextSetBit(i + 1)) {
        set(have, i);
      }
      for (int w = 0; w < words; w++) {
        needs[w] = needWord(w);
      }
      this.missing = n - count(have);
      this.created = now;
      this.lowSince = now;
      this.nextProbe = now;
      this.lastProgress = now;
      this.lastOriginProgress = now;
    }

    /** {@code p}'s holding of this segment, or null (kept with the peer while the segment is in progress). */
    Holder holding(Peer p) {
      if (dropped) {
        for (Holder h : holders) {
          if (h.peer == p) {
            return h;
          }
        }
        return null;
      }
      return p.holding(this);
    }

    /**
     * Per holder, in {@link #holders}' order: its {@code exact}, {@code blind}, {@code listing} and
     * {@code complete} flags ({@link #EXACT} ...) and its {@code nextList}, side by side so that the
     * walks of {@link #lists} (every tick) read small arrays instead of every holder's object.
     */
    byte[] walkState = new byte[8];
    long[] walkNext = new long[8];
    /**
     * Per holder, in {@link #holders}' order: its {@code sourceAt} and {@code fetching} (written only
     * by {@link DownloadLoop#fetched}; the holder's own fields hold them only once it is removed)
     * and its {@code ordinary} flag as of the last {@link #sources} count, for that count's walk.
     */
    long[] walkSourceAt = new long[8];
    boolean[] walkFetching = new boolean[8];
    boolean[] walkOrdinary = new boolean[8];
    /**
     * Per holder, in {@link #holders}' order: the node id serving at its endpoint, as the view said
     * in endpoint epoch {@link #nodeEpoch} ({@link SubnetView#nodeId}; {@link #UNKNOWN_NODE}: not
     * asked in it), for {@link #sources}' look-ups of source flags in the segment's fetch stamps.
     */
    long[] walkNode = new long[8];
    int nodeEpoch;
    /**
     * Per holder, in {@link #holders}' order: its peer's {@link Peer#usableAt} (kept by the peer),
     * so that {@link #lists}' walks tell which holders may be asked without reading their peers.
     */
    long[] walkUsableAt = new long[8];
    /**
     * Something other than a holder's known set growing changed since the last {@link #sources}
     * count (a holder came or went, a complete flag changed, a known set shrank or was filled):
     * the next count ORs the known sets again instead of keeping the counts grown since.
     */
    boolean recount = true;

    /** Copies {@code h}'s flags and next list time into the walk arrays (a holder no longer held has none). */
    void mirror(Holder h) {
      if (!h.removed) {
        walkState[h.slot] = (byte) ((h.exact ? EXACT : 0) | (h.blind ? BLIND : 0) | (h.listing ? LISTING : 0)
            | (h.complete ? COMPLETE : 0));
        walkNext[h.slot] = h.nextList;
      }
    }

    /** Takes {@code h} out of {@link #holders} and the walk arrays; the holders after it move up one. */
    private void unslot(Holder h) {
      int i = h.slot;
      h.sourceAt = walkSourceAt[i]; // the holder's own from now on
      h.fetching = walkFetching[i];
      holders.remove(i);
      int after = holders.size() - i;
      System.arraycopy(walkState, i + 1, walkState, i, after);
      System.arraycopy(walkNext, i + 1, walkNext, i, after);
      System.arraycopy(walkSourceAt, i + 1, walkSourceAt, i, after);
      System.arraycopy(walkFetching, i + 1, walkFetching, i, after);
      System.arraycopy(walkOrdinary, i + 1, walkOrdinary, i, after);
      System.arraycopy(walkNode, i + 1, walkNode, i, after);
      System.arraycopy(walkUsableAt, i + 1, walkUsableAt, i, after);
      for (int k = i; k < holders.size(); k++) {
        holders.get(k).slot = k;
      }
    }

    /** Whether the walk arrays say what the holders say (for assertions). */
    boolean mirrored() {
      for (int i = 0; i < holders.size(); i++) {
        Holder h = holders.get(i);
        byte state = (byte) ((h.exact ? EXACT : 0) | (h.blind ? BLIND : 0) | (h.listing ? LISTING : 0)
            | (h.complete ? COMPLETE : 0));
        if (h.slot != i || h.task != this || h.removed || walkState[i] != state || walkNext[i] != h.nextList
            || walkOrdinary[i] != h.ordinary || walkUsableAt[i] != h.peer.usableAt()) {
          return false;
        }
      }
      return true;
    }

    /** {@code p}'s list failed when it was adopted: not adopted again before {@code at}. */
    void readoptAt(Peer p, long at) {
      if (readopt.size() >= MAX_READOPT) {
        readopt.clear(); // bounded: at worst a few peers are adopted again early
      }
      readopt.put(p, at);
    }

    boolean adoptedLately(Peer p, long now) {
      Long at = readopt.get(p);
      return at != null && now < at;
    }

    /** Whether {@code h} is still one of this segment's holders (every holder is added when made). */
    boolean holds(Holder h) {
      return !h.removed;
    }

    void setComplete(Holder h, boolean complete) {
      if (h.complete != complete) {
        h.complete = complete;
        completeHolders += complete ? 1 : -1;
        version++;
        recount = true;
        mirror(h);
      }
    }

    void setStale(Holder h, int stale) {
      staleHolders += (stale >= 2 ? 1 : 0) - (h.stale >= 2 ? 1 : 0);
      h.stale = stale;
    }

    void addHolder(Holder h) {
      staleHolders += h.stale >= 2 ? 1 : 0;
      h.slot = holders.size();
      holders.add(h);
      if (h.slot == walkState.length) {
        walkState = java.util.Arrays.copyOf(walkState, 2 * h.slot);
        walkNext = java.util.Arrays.copyOf(walkNext, 2 * h.slot);
        walkSourceAt = java.util.Arrays.copyOf(walkSourceAt, 2 * h.slot);
        walkFetching = java.util.Arrays.copyOf(walkFetching, 2 * h.slot);
        walkOrdinary = java.util.Arrays.copyOf(walkOrdinary, 2 * h.slot);
        walkNode = java.util.Arrays.copyOf(walkNode, 2 * h.slot);
        walkUsableAt = java.util.Arrays.copyOf(walkUsableAt, 2 * h.slot);
      }
      mirror(h);
      walkSourceAt[h.slot] = h.sourceAt;
      walkFetching[h.slot] = h.fetching;
      walkOrdinary[h.slot] = h.ordinary;
      walkNode[h.slot] = UNKNOWN_NODE;
      walkUsableAt[h.slot] = h.peer.usableAt();
      recount = true;
      h.peer.hold(h);
      unlistedHolders = true;
      unlistedAt = 0;
      version++;
    }

    void removeHolder(Holder h) {
      unslot(h);
      h.peer.unhold(h);
      h.removed = true;
      knownShrank();
      completeHolders -= h.complete ? 1 : 0;
      staleHolders -= h.stale >= 2 ? 1 : 0;
    }

    /** Removes {@code p}'s holding of this segment; returns it, or null when it had none. */
    Holder removeHolderOf(Peer p) {
      Holder h = holding(p);
      if (h == null) {
        return null;
      }
      p.unhold(h);
      unslot(h);
      h.removed = true;
      knownShrank();
      completeHolders -= h.complete ? 1 : 0;
      staleHolders -= h.stale >= 2 ? 1 : 0;
      return h;
    }

    /**
     * Whether some holder may have a block we need: when false, {@link #pick} finds nothing at any
     * holder, so {@link #fill} need not look at them one by one.
     */
    boolean pickable() {
      heldByAny();
      assert availRight();
      return availCount > 0;
    }

    /** Needed blocks some holder is known to have (up to date after {@link #heldByAny}). */
    int availCount() {
      return availCount;
    }

    /** Word {@code w} of {@link #avail} after a change to the union or to what we need. */
    private void availWord(int w) {
      needs[w] = needWord(w);
      long a = unionOfKnown[w] & needs[w];
      availCount += Long.bitCount(a) - Long.bitCount(avail[w]);
      avail[w] = a;
    }

    private void availAll() {
      for (int w = 0; w < avail.length; w++) {
        availWord(w);
      }
    }

    private boolean availRight() {
      int c = 0;
      for (int w = 0; w < avail.length; w++) {
        long a = unionOfKnown[w] & needWord(w);
        if (a != avail[w] || needs[w] != needWord(w)) {
          return false;
        }
        c += Long.bitCount(a);
      }
      return c == availCount;
    }

    void setHave(int b) {
      set(have, b);
      availWord(b >>> 6);
    }

    void setRequested(int b) {
      set(requested, b);
      availWord(b >>> 6);
    }

    void clearRequested(int b) {
      clear(requested, b);
      availWord(b >>> 6);
    }

    void setClaimed(int b) {
      set(claimed, b);
      availWord(b >>> 6);
    }

    void clearClaimed(int b) {
      clear(claimed, b);
      availWord(b >>> 6);
    }

    /** What any holder is known to have, recounted first if a holder's known set shrank. */
    long[] heldByAny() {
      if (heldStale) {
        java.util.Arrays.fill(unionOfKnown, 0);
        for (Holder h : holders) {
          for (int w = 0; w < unionOfKnown.length; w++) {
            unionOfKnown[w] |= h.known[w];
          }
        }
        heldStale = false;
        availAll();
      }
      return unionOfKnown;
    }

    /**
     * Holder {@code h}'s known set grew by {@code fresh} (blocks it was not known to have) in word
     * {@code w}, to {@code bits}: what an ordinary holder has once and twice grows with it, as a
     * count of {@link #sources} would find.
     */
    void learned(Holder h, int w, long fresh, long bits) {
      unionOfKnown[w] |= bits;
      availWord(w);
      version++;
      if (walkOrdinary[h.slot]) {
        twice[w] |= once[w] & fresh;
        once[w] |= fresh;
      }
    }

    /** {@code h} is taken to hold every block of the segment (a full claim, or asked blindly). */
    void holdsAll(Holder h) {
      fillAll(h.known, n);
      fillAll(unionOfKnown, n);
      availAll();
      version++;
      recount = true;
    }

    /** Some holder's known set lost blocks: {@link #heldByAny} is recounted when next needed. */
    void knownShrank() {
      heldStale = true;
      version++;
      recount = true;
    }

    /**
     * Counts which holders are ordinary peers ({@link Holder#ordinary}) and what they hold once and
     * twice, unless counted already at this instant with no holder changed since. Within one
     * instant a holder's source flag is fixed (it is looked up at most every 250 ms), so this is
     * what looking at each holder gives; counting it once per instant instead of per
     * pick makes a pass over the holders linear instead of quadratic in their number.
     */
    void sources(long now) {
      if (sourcesVersion == version && (sourcesAt == now
          || (now < sourcesUntil && now - standingAt < VIEW_REFRESH_NANOS))) {
        // Nothing a recount reads has changed: no holder, known set or complete flag (version), no
        // looked-up standing or source flag is due for a refresh (a recount would refresh none and
        // ask the view nothing), so it would count the same.
        return;
      }
      standing(this, now); // fixed for this instant: spared() reads it
      assert mirrored();
      // Each holder's ordinary flag (Holder#ordinary), from the walk arrays: a complete holder
      // is ordinary unless spared (the same for every complete holder), another unless it fetches
      // from the origin (looked up again only where due, the holder then read).
      boolean spared = sparedComplete(this, completeHolders);
      long until = Long.MAX_VALUE;
      boolean changed = recount;
      boolean stamped = false;
      for (int i = 0; i < holders.size(); i++) {
        boolean ordinary;
        if ((walkState[i] & COMPLETE) != 0) {
          ordinary = !spared;
        } else {
          if (walkSourceAt[i] == NONE || now - walkSourceAt[i] >= VIEW_REFRESH_NANOS) {
            if (!stamped) {
              view.fetchStamps(ref.id(), fetchStamps); // the due holders are looked up in one copy
              stamped = true;
              if (nodeEpoch != fetchStamps.epoch()) {
                java.util.Arrays.fill(walkNode, 0, holders.size(), UNKNOWN_NODE);
                nodeEpoch = fetchStamps.epoch();
              }
            }
            lookUpFetching(this, i, fetchStamps, now);
          }
          ordinary = !walkFetching[i];
          until = Math.min(until, walkSourceAt[i] + VIEW_REFRESH_NANOS); // looked up just now if due
        }
        if (ordinary != walkOrdinary[i]) {
          walkOrdinary[i] = ordinary;
          holders.get(i).ordinary = ordinary;
          changed = true;
        }
      }
      if (changed) {
        // What the ordinary holders have once and twice, counted again; otherwise it is what it
        // was at the last count plus what they were learned to have since ({@link #learned}).
        java.util.Arrays.fill(once, 0);
        java.util.Arrays.fill(twice, 0);
        for (int i = 0; i < holders.size(); i++) {
          if (walkOrdinary[i]) {
            long[] known = holders.get(i).known;
            for (int w = 0; w < once.length; w++) {
              twice[w] |= once[w] & known[w];
              once[w] |= known[w];
            }
          }
        }
        recount = false;
      }
      assert countedRight();
      sourcesAt = now;
      sourcesVersion = version;
      sourcesUntil = until;
    }

    /** Whether {@link #once} and {@link #twice} are what the ordinary holders' known sets give (for assertions). */
    private boolean countedRight() {
      long[] one = new long[once.length];
      long[] two = new long[once.length];
      for (Holder o : holders) {
        if (o.ordinary) {
          for (int w = 0; w < once.length; w++) {
            two[w] |= one[w] & o.known[w];
            one[w] |= o.known[w];
          }
        }
      }
      return java.util.Arrays.equals(one, once) && java.util.Arrays.equals(two, twice) && mirrored();
    }

    /** What the ordinary holders other than {@code h} have of word {@code w}; {@link #sources} first. */
    long common(Holder h, int w) {
      return h.ordinary ? twice[w] | (once[w] & ~h.known[w]) : once[w];
    }

    /** Blocks we lack that nobody is fetching for us yet (kept in {@link #needs}). */
    long need(int w) {
      return needs[w];
    }

    /** {@link #need} counted from the bit sets. */
    private long needWord(int w) {
      long m = ~(have[w] | requested[w] | claimed[w]);
      return w == lastWord ? m & tailMask : m;
    }
  }

  private record Req(long id, Task task, int block, Peer peer, long sentAt) {}

  private record ListReq(long id, Task task, Holder holding, long sentAt) {}

  private static final class OriginReq {
    final long id;
    final Task task;
    final int first;
    final int count;

    OriginReq(long id, Task task, int first, int count) {
      this.id = id;
      this.task = task;
      this.first = first;
      this.count = count;
    }
  }

  // ------------------------------------------------------------------ inputs

  /**
   * A reader needs segment {@code ref}; {@code held} are the blocks already stored. Wanting a
   * segment already wanted adds a reference; a segment already complete is reported done at once.
   * Call {@link #tick} after a batch of wants: it sends one probe for all of them.
   */
  public void want(SegmentRef ref, BitSet held) {
    want(ref, held, NONE);
  }

  /**
   * As {@link #want(SegmentRef, BitSet)} for a segment already announced by a probe at {@code
   * probedAtNanos} (the content-information resolver probes a segment before it is wanted): the
   * discovery wait counts from then.
   */
  public void want(SegmentRef ref, BitSet held, long probedAtNanos) {
    Task t = tasks.get(ref.id());
    if (t != null) {
      t.refs++;
      return;
    }
    long now = clock.getAsLong();
    t = new Task(ref, held, now);
    if (t.missing == 0) {
      out.add(new Action.SegmentDone(ref.id()));
      return;
    }
    if (probedAtNanos != NONE && probedAtNanos <= now) {
      t.firstProbe = probedAtNanos;
      t.echoAt = echoOf(probedAtNanos);
    }
    tasks.put(ref.id(), t);
    inOrder.add(t);
    dirty = true;
  }

  /** A reader no longer needs the segment; when nobody does, its fetching stops. */
  public void unwant(SegmentId id) {
    Task t = tasks.get(id);
    if (t != null && --t.refs <= 0) {
      drop(t);
    }
  }

  /** Adds a peer that is asked for every wanted segment (configured peers, cache servers). */
  public void alwaysAsk(PeerEndpoint peer) {
    for (Task t : inOrder) {
      matched(peer, t.ref.id(), -1, false);
    }
  }

  /**
   * Says whether this node hears its own probes back ({@link #ownProbeHeard}); the driver knows
   * from its discovery transport. When it does, a segment's discovery wait counts from the moment
   * its first probe came back, not from when it was sent (docs/DOWNLOAD.md, "One origin fetch per
   * block per subnet"). Off by default.
   */
  public void echoesOwnProbes(boolean on) {
    echoes = on;
  }

  /**
   * One of this node's own probes, sent at {@code sentAtNanos} (this loop's clock), came back
   * through the discovery listener: every probe of another node that arrived before it has been
   * heard. Segments whose first probe went out at or before it start their discovery wait now.
   */
  public void ownProbeHeard(long sentAtNanos) {
    if (!echoes) {
      return;
    }
    long now = clock.getAsLong();
    int i = echoCount++ % echoSent.length;
    echoSent[i] = sentAtNanos;
    echoHeard[i] = now;
    echoLost = false;
    while (!unechoed.isEmpty() && unechoed.peekFirst() <= sentAtNanos) {
      unechoed.pollFirst(); // it, or a probe decided after it, is back: the listener has caught up to it
    }
    for (Task t : inOrder) {
      if (t.echoAt == NONE && t.firstProbe != NONE && sentAtNanos >= t.firstProbe) {
        t.echoAt = now;
      }
    }
  }

  /**
   * Whether this node's listener runs behind: one of its probes decided more than
   * {@link #ECHO_TOLERANCE_NANOS} ago has not come back. Its view of the subnet then lacks what
   * others said since, and no origin fetch is started or taken over on it: a node whose
   * discovery thread a starved machine had not run for two seconds elected itself for a segment
   * three subnet-mates were fetching, having heard none of their heartbeats (live-16, 2026-12-05;
   * the last segment crossed the WAN four times). A probe not back within
   * {@link #ECHO_WAIT_MAX_NANOS} is taken for lost.
   */
  private boolean listenerBehind(long now) {
    while (!unechoed.isEmpty() && now - unechoed.peekFirst() > ECHO_WAIT_MAX_NANOS) {
      unechoed.pollFirst();
      echoLost = true;
    }
    return !echoLost && !unechoed.isEmpty() && now - unechoed.peekFirst() > ECHO_TOLERANCE_NANOS;
  }

  /** When the first own probe sent at or after {@code sentAt} was heard back, among the last ones (NONE: none). */
  private long echoOf(long sentAt) {
    long at = NONE;
    for (int k = 0; k < Math.min(echoCount, echoSent.length); k++) {
      if (echoSent[k] >= sentAt && (at == NONE || echoHeard[k] < at)) {
        at = echoHeard[k];
      }
    }
    return at;
  }

  /**
   * When {@code t}'s discovery wait ends: {@code discoveryWait} after its first probe or, where
   * probes come back, after that probe came back (on a machine short of CPU the listener runs
   * behind, and subnet-mates that started together were heard only after a wait counted from the
   * send had ended: 2–3 nodes each fetched a live-16 run's first ranges as {@code no_peer});
   * at most {@link #ECHO_WAIT_MAX_NANOS} after the probe for a probe that never comes back, and
   * not at all while returns are lost ({@link #echoLost}).
   */
  private long discoveryOpen(Task t) {
    long open = t.firstProbe + s.discoveryWait().toNanos();
    if (echoes && !echoLost) {
      open = t.echoAt != NONE ? Math.max(open, t.echoAt + s.discoveryWait().toNanos())
          : Math.max(open, t.firstProbe + ECHO_WAIT_MAX_NANOS);
    }
    return open;
  }

  /**
   * A ProbeMatch (or a configured peer): {@code peer} holds {@code blocks} blocks of the segment
   * (-1 = unknown), or all of it when {@code complete} (PROTOCOL.md §3.4, §3.5).
   */
  public void matched(PeerEndpoint peer, SegmentId segment, int blocks, boolean complete) {
    Task t = tasks.get(segment);
    if (t == null || blocks == 0) {
      return;
    }
    long now = clock.getAsLong();
    Peer p = peers.get(peer);
    if (p != null && p.bannedUntil != NONE && now < p.bannedUntil) {
      return;
    }
    boolean whole = complete || blocks >= t.n;
    Holder h = p == null ? null : t.holding(p);
    if (h == null) {
      if (t.holders.size() >= s.neighbors() && !makeRoom(t, whole, now)) {
        // No room: a peer met only here is not remembered (in a large subnet's first seconds every
        // holder answers every probe: thousands of peers that would never be asked anything).
        return;
      }
      if (p == null) {
        p = new Peer(peer);
        peers.put(peer, p);
      }
      h = new Holder(t, p, t.have.length, now);
      t.addHolder(h);
    }
    if (whole) {
      if (!h.complete) {
        long[] all = new long[t.have.length];
        fillAll(all, t.n);
        for (int w = 0; w < all.length; w++) {
          listed(t, w, all[w] & ~h.known[w], now);
        }
        t.holdsAll(h);
        h.exact(true);
        h.blind(false);
        t.setComplete(h, true);
        t.lastProgress = now;
      }
    } else if (!h.exact || blocks > count(h.known)) {
      h.nextList(now); // learn exactly which blocks, now
    }
    if (blocks > 0) {
      h.claimed = true;
    }
    lists(t, now);
    fillHolding(t, h, now);
  }

  /** The answer to {@link Action.AskBlockList} {@code id}: the blocks the peer holds now. */
  public void blockList(long id, BitSet held) {
    blockList(id, held == null ? null : held.toLongArray(), null);
  }

  /**
   * As {@link #blockList(long, BitSet)} with the blocks as {@link BitSet#toLongArray} words (bit
   * {@code i} of word {@code w} is block {@code 64w + i}; words beyond the array are empty). The
   * array is only read, and not kept.
   */
  public void blockList(long id, long[] heldWords) {
    blockList(id, heldWords, null);
  }

  /** {@link Action.AskBlockList} {@code id} failed with {@code outcome} (timeout, I/O error, bad answer). */
  public void blockListFailed(long id, Outcome outcome) {
    blockList(id, null, outcome);
  }

  private void blockList(long id, long[] held, Outcome failure) {
    ListReq lr = lists.remove(id);
    if (lr == null) {
      return;
    }
    long now = clock.getAsLong();
    long took = Math.max(0, now - lr.sentAt);
    listLatency = listLatency == 0 ? took : listLatency + (took - listLatency) / 8;
    Holder h = lr.holding;
    h.listing(false);
    Task t = lr.task;
    listAnswered(t, h, held, failure, now);
    if (t.holds(h) && !h.exact && !h.blind) {
      // Still unlisted (to be asked again later): for wakeAt, when the unlisted walk may ask it.
      t.unlistedAt = Math.min(t.unlistedAt, Math.max(h.nextList, Math.max(h.peer.backoffUntil, h.peer.bannedUntil)));
    }
  }

  private void listAnswered(Task t, Holder h, long[] held, Outcome failure, long now) {
    if (t.dropped || !t.holds(h)) {
      return;
    }
    if (held == null && h.adopted && !h.exact) {
      // A wanter adopted before it listed anything could not tell us (a node that holds nothing of
      // the segment yet may answer with an error): it is no holder, and no fault of a peer we use.
      // Counted against the peer, these failures had every peer of a live site forgotten.
      // Not adopted again for a while: on a CPU-starved site such lists time out, and adopting the
      // peer again at the next poll round made one list every two seconds per peer and segment.
      t.readoptAt(h.peer, now + READOPT_AFTER_NANOS);
      t.removeHolder(h);
      fill(now);
      return;
    }
    if (held == null) {
      FallbackReason why = failure == Outcome.TIMEOUT ? FallbackReason.TIMEOUT
          : failure == Outcome.BAD_DATA ? FallbackReason.HASH_MISMATCH : FallbackReason.PEER_ERROR;
      if (t.lostHolders == null || rank(why) >= rank(t.lostHolders)) {
        t.lostHolders = why;
      }
      if (failure == Outcome.TIMEOUT || failure == Outcome.IO_ERROR) {
        // Slow or gone: planning does not wait for this one's list any more.
        h.listFailures = Math.max(h.listFailures, 2);
        failed(h.peer, now, why);
        if (!t.holds(h)) {
          fill(now);
          return;
        }
      }
      h.listFailures++;
      if (h.listFailures >= 2 && !h.exact && failure != Outcome.TIMEOUT && !h.adopted) {
        // It answers but cannot tell us (a peer that does not serve lists): ask it blindly. A
        // timeout says nothing of the kind: the peer is slow (short of CPU) or gone, and guessing
        // that it holds everything would hide those blocks from the origin fetcher.
        h.blind(true);
        t.holdsAll(h);
      }
      h.nextList(now + (s.blockListInterval().toNanos() << Math.min(5, h.listFailures + 1)));
      fill(now);
      return;
    }
    if (isEmpty(held) && !h.exact && h.claimed) {
      // It answered discovery holding blocks, yet lists none: an empty answer may mean busy
      // (PROTOCOL.md §4.6). Ask again shortly; after a few, ask it block by block.
      h.listFailures++;
      h.peer.backOffUntil(now + s.busyBackoff().toNanos());
      h.nextList(now + s.busyBackoff().toNanos());
      if (h.listFailures >= 3) {
        h.blind(true);
        t.holdsAll(h);
      }
      fill(now);
      return;
    }
    h.listFailures = 0;
    h.listedAt = now;
    if (waitsForLists(t)) {
      dirty = true; // a first copy may have waited for this list
    }
    boolean grew = false;
    // The list's words, as many as the segment has (reused: read only below).
    long[] next = listWords.length == h.known.length ? listWords : new long[h.known.length];
    listWords = next;
    for (int w = 0; w < next.length; w++) {
      next[w] = w < held.length ? held[w] : 0;
    }
    next[next.length - 1] &= lastMask(t.n);
    boolean useful = false;
    for (int w = 0; w < next.length; w++) {
      if (next[w] == h.known[w]) {
        continue; // nothing new, nothing gone: the union and the source counts stand
      }
      long fresh = next[w] & ~h.known[w];
      if (fresh != 0) {
        grew = true;
        useful |= (fresh & t.need(w)) != 0;
        listed(t, w, fresh, now);
      }
      if ((h.known[w] & ~next[w]) != 0) {
        t.knownShrank(); // it lists less than before (evicted)
      }
      h.known[w] = next[w];
      t.learned(h, w, fresh, next[w]);
    }
    t.setStale(h, useful ? 0 : Math.min(3, h.stale + 1));
    boolean fresh = useful;
    h.exact(true);
    h.blind(false);
    t.setComplete(h, count(next) == t.n);
    if (grew) {
      t.lastProgress = now;
    }
    h.nextList(now + (s.blockListInterval().toNanos() << h.stale));
    if (fresh) {
      fillHolding(t, h, now);
    }
  }

  /**
   * The result of {@link Action.GetBlock} {@code id}. {@link Outcome#OK} must mean the block was
   * verified and stored (or handed to its reader) by the driver; {@code elapsedNanos} is unused
   * today but kept for speed estimates.
   */
  public void blockResult(long id, Outcome outcome, long elapsedNanos) {
    Req r = requests.remove(id);
    if (r == null) {
      return;
    }
    oldestStale |= r.sentAt == oldestSent;
    Peer p = r.peer;
    p.inFlight--;
    inFlight--;
    long now = clock.getAsLong();
    if (outcome == Outcome.OK || outcome == Outcome.NOT_AVAILABLE) {
      long took = now - r.sentAt;
      p.latency = p.latency == 0 ? took : 0.8 * p.latency + 0.2 * took;
    }
    Task t = r.task;
    boolean live = !t.dropped;
    int b = r.block;
    if (--t.asked < LOW_WATER && t.lowSince == NONE) {
      t.lowSince = now;
    }
    if (live) {
      t.asking[b]--;
    }
    switch (outcome) {
      case OK -> {
        p.failures = 0;
        Holder h = live ? t.holding(p) : null;
        if (h != null) {
          h.empties = 0;
          h.refreshes = 0;
        }
        if (live) {
          acquired(t, b, now);
        }
        lastPeerBlock = now;
      }
      case NOT_AVAILABLE -> {
        // The wire cannot tell "not held" from "busy" (PROTOCOL.md §4.6). A peer that listed the
        // block (or claims the whole segment) still has it (blocks are not dropped mid-download):
        // busy, so pause it. A peer asked blindly most likely lacks it.
        Holder h = live ? t.holding(p) : null;
        p.backOffUntil(now + s.busyBackoff().toNanos());
        dirty = true;
        if (h != null && h.blind) {
          clear(h.known, b);
          t.knownShrank();
          mark(t, b, FallbackReason.BLOCK_NOT_HELD);
        } else if (h != null) {
          mark(t, b, FallbackReason.PEER_BUSY);
          if (++h.empties >= 8) {
            h.empties = 0;
            if (++h.refreshes >= 2) {
              // It keeps listing blocks it will not send: a peer that claims what it lacks (or is
              // always too busy to be of use). Forget it; it comes back if it answers a probe.
              forget(p, FallbackReason.BLOCK_NOT_HELD);
              stats.peersForgotten++;
            } else {
              // Refresh what it holds now (it may have evicted the segment).
              h.exact(false);
              t.unlistedHolders = true;
              t.unlistedAt = 0;
              t.setComplete(h, false);
              java.util.Arrays.fill(h.known, 0);
              t.knownShrank();
              h.nextList(now);
            }
          }
        }
      }
      case BUSY -> {
        p.backOffUntil(now + s.busyBackoff().toNanos());
        if (live) {
          mark(t, b, FallbackReason.PEER_BUSY);
        }
      }
      case TIMEOUT, IO_ERROR -> {
        if (live) {
          mark(t, b, outcome == Outcome.TIMEOUT ? FallbackReason.TIMEOUT : FallbackReason.PEER_ERROR);
        }
        failed(p, now, outcome == Outcome.TIMEOUT ? FallbackReason.TIMEOUT : FallbackReason.PEER_ERROR);
      }
      case BAD_DATA -> {
        if (live) {
          mark(t, b, FallbackReason.HASH_MISMATCH);
        }
        ban(p, now);
      }
      default -> throw new IllegalStateException("unhandled outcome " + outcome);
    }
    if (live && !get(t.have, b) && t.asking[b] == 0) {
      t.clearRequested(b);
    }
    if (outcome == Outcome.OK && inFlight < s.requestsInFlight() - 1) {
      fillPeer(p, now); // nothing else changed for the other peers
    } else {
      fill(now);
    }
  }

  /** Block {@code block} of {@code segment} came from the origin (request {@code id}), verified and stored. */
  public void originBlock(long id, SegmentId segment, int block) {
    Task t = tasks.get(segment);
    if (t == null || block < 0 || block >= t.n) {
      return;
    }
    long now = clock.getAsLong();
    t.clearClaimed(block);
    t.lastOriginProgress = now;
    t.originFailures = 0;
    acquired(t, block, now);
  }

  /**
   * Origin request {@code id} ended: every block it delivered was reported; the rest go back to
   * planning. A failure ({@code ok} false) pauses the segment's origin fetching (doubling); a
   * segment without origin progress for {@code originGiveUp} fails with {@code why}.
   */
  public void originEnd(long id, boolean ok, String why) {
    OriginReq o = origins.remove(id);
    if (o == null) {
      return;
    }
    Task t = o.task;
    t.originActive--;
    for (int b = o.first; b < o.first + o.count; b++) {
      t.clearClaimed(b);
    }
    if (t.dropped) {
      return;
    }
    long now = clock.getAsLong();
    if (!ok) {
      t.originFailures++;
      long pause = s.originRetry().toNanos() << Math.min(5, t.originFailures - 1);
      t.originRetryAt = now + Math.min(pause, 30_000_000_000L);
      if (now - t.lastOriginProgress > s.originGiveUp().toNanos()) {
        out.add(new Action.SegmentFailed(t.ref.id(), "the publisher sent nothing for "
            + s.originGiveUp().toSeconds() + " s: " + why));
        drop(t);
        return;
      }
    }
    planOrigin(now);
    stoppedFetching(t, now);
    fill(now);
  }

  /** Timer work: hedges, block-list polls, probes, origin planning and takeovers. Call every {@code tick}. */
  public void tick() {
    long now = clock.getAsLong();
    lastTick = now;
    hedges(now);
    for (Task t : inOrder) {
      lists(t, now);
    }
    demotions(now);
    probes(now);
    planOrigin(now);
    for (Task t : inOrder) {
      if (t.lowSince != NONE && now - t.lowSince >= STARVE_NANOS && !t.holders.isEmpty()) {
        dirty = true;
        break;
      }
    }
    if (dirty || now >= nextBackoffEnd) {
      fill(now);
    }
    if (now - lastExpire > 60_000_000_000L) {
      lastExpire = now;
      view.expire(now);
      peers.values().removeIf(p -> p.inFlight == 0 && (p.bannedUntil == NONE || now >= p.bannedUntil)
          && tasks.values().stream().noneMatch(t -> t.holding(p) != null));
    }
  }

  /**
   * The earliest time at which {@link #tick} may decide something that no input since asked for:
   * a driver that ticks at fixed periods may skip the ticks before it. At most or below the last
   * tick's time (0 included) means the next tick; {@code Long.MAX_VALUE} when nothing is in
   * progress. Ask again after every input: an input can bring it closer (a segment wanted, a list
   * answered, a request failed). Exact for the loop's own timers — a re-probe, a hedge check, a
   * peer's back-off ending, a block-list poll round, a segment starting to starve, the discovery
   * wait and origin retry, an origin fetcher's patience — while what only the subnet view changes
   * (elections, who fetches from the origin) is looked at again within {@link #WAKE_CAP_NANOS},
   * as is a poll round that waits for the segment to run dry where only the holders' state (not
   * the blocks known) keeps it from running dry. The daemon's driver keeps its fixed tick; the
   * simulator's model wakes each node's loop only then (docs/SIMULATOR.md, "Scheduled wake-ups").
   */
  public long wakeAt() {
    if (tasks.isEmpty()) {
      return Long.MAX_VALUE;
    }
    if (lastTick == NONE || (dirty && inFlight < s.requestsInFlight())) {
      return 0; // fill is due (at the limit of requests in flight, a result comes first and fills)
    }
    long at = lastTick + WAKE_CAP_NANOS;
    if (!requests.isEmpty()) {
      at = Math.min(at, hedgeWake());
    }
    at = Math.min(at, nextBackoffEnd);
    at = Math.min(at, lastExpire + 60_000_000_001L);
    boolean listSlots = lists.size() < MAX_LISTS_IN_FLIGHT;
    boolean originSlots = origins.size() < s.originFlows();
    for (Task t : inOrder) {
      if (t.predecessorsDue) {
        return 0;
      }
      at = Math.min(at, t.nextProbe);
      if (listSlots) {
        if (t.unlistedHolders) {
          at = Math.min(at, t.unlistedAt);
        }
        if (t.nextPollRound > lastTick) {
          at = Math.min(at, t.nextPollRound);
        } else if (knownBound(t) < s.requestsInFlight() || promptBound(t, clock.getAsLong()) < s.requestsInFlight()) {
          return 0; // a poll round is due and the segment runs dry
        }
      }
      if (t.lowSince != NONE && !t.holders.isEmpty()) {
        long starving = t.lowSince + STARVE_NANOS;
        if (starving > lastTick) {
          at = Math.min(at, starving);
        } else if (t.pickable()) {
          // Starving with something some holder has: the fixed tick fills at every tick. After a
          // fill of every holder that asks for more only once time allows it; after an input
          // that asked one holder only (fillHolding, fillPeer), the others may have blocks to ask.
          if (partialFills) {
            return 0;
          }
          at = Math.min(at, starvingWake(t));
        }
      }
      if (originSlots && t.firstProbe != NONE) {
        long open = discoveryOpen(t);
        if (t.originRetryAt != NONE) {
          open = Math.max(open, t.originRetryAt);
        }
        at = Math.min(at, open > lastTick ? open : t.originAt);
      }
    }
    return at;
  }

  /**
   * The first hedge check, as the fixed tick makes them (at its first tick at or after
   * {@link #nextHedgeCheck}, then {@code hedgeAfter} ÷ 4 later), that can find a request
   * {@code hedgeAfter} old: the checks before it find nothing, so a hedge is sent when the fixed
   * tick would send it.
   */
  private long hedgeWake() {
    long slow = oldestSent() + hedgeNanos;
    long period = s.tick().toNanos();
    long check = nextHedgeCheck;
    for (int i = 0; i < 64; i++) {
      long g = lastTick + Math.max(1, (check - lastTick + period - 1) / period) * period;
      if (g >= slow) {
        return g;
      }
      check = g + hedgeNanos / 4;
    }
    return slow;
  }

  private long oldestSent() {
    if (oldestStale) {
      oldestSent = Long.MAX_VALUE;
      for (Req r : requests.values()) {
        oldestSent = Math.min(oldestSent, r.sentAt);
      }
      oldestStale = false;
    }
    return oldestSent;
  }

  /**
   * For a starving segment with something some holder has: when {@link #allowed} may allow more
   * by time alone — a block rare for {@link #RARE_WAIT_NANOS}, the seed rule's
   * {@link #SEED_RARE_WAIT_NANOS}, an arc's predecessor wait, a holder's back-off ending (in the
   * fallback pass {@link #fill} does not note them) — or by what it looks up in the view again
   * (standing, arcs, seed and source flags); {@code Long.MAX_VALUE} if none.
   */
  private long starvingWake(Task t) {
    long at = Long.MAX_VALUE;
    if (t.firstProbe != NONE && t.firstProbe + SEED_RARE_WAIT_NANOS > lastTick) {
      at = t.firstProbe + SEED_RARE_WAIT_NANOS;
    }
    long[] held = t.heldByAny();
    for (int w = 0; w < held.length; w++) {
      for (long m = held[w] & t.need(w); m != 0; m &= m - 1) {
        long listed = t.firstListed[(w << 6) + Long.numberOfTrailingZeros(m)];
        if (listed != 0 && listed + RARE_WAIT_NANOS > lastTick) {
          at = Math.min(at, listed + RARE_WAIT_NANOS);
        }
      }
    }
    if (t.arcWaitsSince != null) {
      for (long since : t.arcWaitsSince) {
        if (since != NONE && since + PREDECESSOR_WAIT_NANOS > lastTick) {
          at = Math.min(at, since + PREDECESSOR_WAIT_NANOS);
        }
      }
    }
    // What the loop reads of the view is looked up again after these times (the segment's standing
    // and first-copy arcs, each holder's seed or source flag): the fixed tick's fills see a change
    // at the first tick after them.
    if (t.standingAt != NONE) {
      at = Math.min(at, t.standingAt + VIEW_REFRESH_NANOS);
    }
    if (t.arcsAt != NONE) {
      at = Math.min(at, t.arcsAt + (t.completeHolders > 0 ? ARCS_REFRESH_NANOS : VIEW_REFRESH_NANOS));
    }
    for (int i = 0; i < t.holders.size(); i++) {
      Holder h = t.holders.get(i);
      Peer p = h.peer;
      if (p.backoffUntil != NONE && p.backoffUntil > lastTick) {
        at = Math.min(at, p.backoffUntil);
      }
      long looked = h.complete ? h.seedAt : t.walkSourceAt[i];
      if (looked != NONE) {
        at = Math.min(at, looked + VIEW_REFRESH_NANOS);
      }
    }
    return at;
  }

  /**
   * Needed blocks that some holder which may be asked now and answers promptly is known to have
   * (counted up to {@code requestsInFlight}): a bound of {@link #knownNeeded} that, unlike
   * {@link #knownBound}, leaves out holders backing off (gone, failing) or queueing us.
   */
  private int promptBound(Task t, long now) {
    long[] u = promptScratch.length == t.have.length ? promptScratch : new long[t.have.length];
    promptScratch = u;
    java.util.Arrays.fill(u, 0);
    for (int i = 0; i < t.holders.size(); i++) {
      Holder h = t.holders.get(i);
      if (usable(h.peer, now) && h.peer.latency <= LATENCY_TARGET_NANOS) {
        for (int w = 0; w < u.length; w++) {
          u[w] |= h.known[w];
        }
      }
    }
    int n = 0;
    for (int w = 0; w < u.length; w++) {
      n += Long.bitCount(u[w] & t.need(w));
    }
    return n;
  }

  private long[] promptScratch = new long[0];

  /** Needed blocks some holder is known to have: {@link #knownNeeded}'s first bound, its exact value when every holder may be asked for all it has. */
  private static int knownBound(Task t) {
    t.heldByAny();
    assert t.availRight();
    return t.availCount();
  }

  /** Actions decided since the last call, oldest first. */
  public List<Action> drain() {
    if (out.isEmpty()) {
      return List.of();
    }
    List<Action> a = out;
    out = new ArrayList<>(8);
    return a;
  }

  // ------------------------------------------------------------------ views

  /** True while any segment is being fetched. */
  public boolean busy() {
    return !tasks.isEmpty();
  }

  /** Segments being fetched. */
  public int segmentsInProgress() {
    return tasks.size();
  }

  /** PCCRR block requests outstanding. */
  public int requestsInFlight() {
    return inFlight;
  }

  /** Origin range requests outstanding. */
  public int originInFlight() {
    return origins.size();
  }

  /** This node's share of the subnet's WAN budget in bytes per second; 0 = unlimited. */
  public long originRate() {
    if (s.wanBudget() == 0) {
      return 0;
    }
    int others = view.activeFetchers(nodeId, clock.getAsLong());
    return Math.max(1, s.wanBudget() / (others + 1));
  }

  public Stats stats() {
    return stats;
  }

  public long nodeId() {
    return nodeId;
  }

  /**
   * What the loop is waiting for, one line per segment in progress: blocks missing, requested and
   * claimed from the origin, the elected fetcher, and per holder its known blocks and state. For
   * diagnostics (the simulator's trace, an admin's status page), not for parsing.
   */
  public String describe() {
    long now = clock.getAsLong();
    StringBuilder b = new StringBuilder();
    b.append("in flight ").append(inFlight).append(", origin ").append(origins.size()).append('\n');
    for (Task t : inOrder) {
      b.append(t.ref.id().toString(), 0, 12).append(": missing ").append(t.missing).append(" requested ")
          .append(count(t.requested)).append(" claimed ").append(count(t.claimed)).append(" origin ")
          .append(t.originActive).append(" fetcher ").append(t.fetcher == nodeId ? "self" : Long.toHexString(t.fetcher))
          .append(" idle ").append((now - t.lastProgress) / 1_000_000).append(" ms, suspects ")
          .append(t.suspects.size());
      long e = elected(t, now);
      long[] u = unheld(t, now);
      b.append(", elected ").append(e == nodeId ? "self" : Long.toHexString(e)).append(", unheld ")
          .append(u == null ? "none" : Integer.toString(count(u))).append(", fetcher for ")
          .append((now - t.fetcherSince) / 1_000_000).append(" ms, its last fetching ");
      long since = ago(view.lastFetching(e, t.ref.id()), now);
      b.append(since == Long.MAX_VALUE ? "never" : since / 1_000_000 + " ms ago").append('\n');
      for (Holder h : t.holders) {
        Peer p = h.peer;
        b.append("  ").append(p.endpoint).append(" known ").append(count(h.known))
            .append(h.exact ? " exact" : "").append(h.blind ? " blind" : "").append(h.complete ? " complete" : "")
            .append(h.listing ? " listing" : "").append(" listFailures ").append(h.listFailures)
            .append(" inFlight ").append(p.inFlight).append(" of ").append(limit(p))
            .append(String.format(java.util.Locale.ROOT, " latency %.1f ms", p.latency / 1e6))
            .append(" failures ").append(p.failures)
            .append(p.backoffUntil != NONE && now < p.backoffUntil ? " backoff " + (p.backoffUntil - now) / 1_000_000
                + " ms" : "")
            .append(p.bannedUntil != NONE && now < p.bannedUntil ? " banned" : "").append(" askable ")
            .append(askable(t, h, now)).append(" of ").append(candidates(t, h)).append('\n');
      }
    }
    return b.toString();
  }

  private static int candidates(Task t, Holder h) {
    int k = 0;
    for (int w = 0; w < t.have.length; w++) {
      k += Long.bitCount(h.known[w] & t.need(w));
    }
    return k;
  }

  private int askable(Task t, Holder h, long now) {
    t.sources(now);
    boolean spared = spared(t, h, t.completeHolders);
    int k = 0;
    for (int w = 0; w < t.have.length; w++) {
      k += Long.bitCount(allowed(t, h, w, t.common(h, w), spared, true, now));
    }
    return k;
  }

  /** Blocks held of a segment in progress, or null when it is not in progress. */
  public BitSet held(SegmentId id) {
    Task t = tasks.get(id);
    return t == null ? null : BitSet.valueOf(t.have);
  }

  // ------------------------------------------------------------------ peers

  private void acquired(Task t, int b, long now) {
    if (get(t.have, b)) {
      return;
    }
    t.setHave(b);
    t.clearRequested(b);
    t.missing--;
    t.lastProgress = now;
    if (t.missing == 0) {
      out.add(new Action.SegmentDone(t.ref.id()));
      drop(t);
    }
  }

  private static void listed(Task t, int w, long fresh, long now) {
    for (long m = fresh; m != 0; m &= m - 1) {
      int b = (w << 6) + Long.numberOfTrailingZeros(m);
      if (b < t.n && t.firstListed[b] == 0) {
        t.firstListed[b] = now;
      }
    }
  }

  /** Records why a block failed at a peer, keeping the most telling reason seen. */
  private void mark(Task t, int b, FallbackReason why) {
    if (t.failure[b] == 0 || rank(why) > rank(REASONS[t.failure[b] - 1])) {
      t.failure[b] = (byte) (why.ordinal() + 1);
    }
  }

  /**
   * How telling a peer failure is: bad data says most, then a peer that stopped answering, then
   * one that failed, then busy, then "did not have it". A local "no free connection" (BUSY) after
   * timeouts is the timeouts' doing, not a busy peer's.
   */
  private static int rank(FallbackReason r) {
    return switch (r) {
      case HASH_MISMATCH -> 5;
      case TIMEOUT -> 4;
      case PEER_ERROR -> 3;
      case PEER_BUSY -> 2;
      case BLOCK_NOT_HELD -> 1;
      default -> 0;
    };
  }

  private void failed(Peer p, long now, FallbackReason why) {
    p.failures++;
    long pause = s.failureBackoff().toNanos() << Math.min(20, p.failures - 1);
    p.backOffUntil(now + Math.min(pause, s.maxBackoff().toNanos()));
    if (p.failures >= s.peerGoneAfter()) {
      forget(p, why);
      stats.peersForgotten++;
      p.failures = 0;
    }
  }

  private void ban(Peer p, long now) {
    boolean already = p.bannedUntil != NONE && now < p.bannedUntil;
    p.banUntil(now + s.banFor().toNanos());
    forget(p, FallbackReason.HASH_MISMATCH);
    if (!already) {
      stats.peersBanned++;
    }
  }

  /** Removes what we know of {@code p}'s holdings; it comes back when it answers a probe again. */
  private void forget(Peer p, FallbackReason why) {
    for (Task t : inOrder) {
      Holder h = t.removeHolderOf(p);
      if (h != null) {
        if (t.lostHolders == null || rank(why) >= rank(t.lostHolders)) {
          t.lostHolders = why;
        }
        // What it was known to have and we still need: if those blocks come from the origin, it is
        // for this reason (the segment-wide label above covers only a node fetching on its own).
        for (int w = 0; w < h.known.length; w++) {
          long m = h.known[w] & t.need(w);
          while (m != 0) {
            mark(t, (w << 6) + Long.numberOfTrailingZeros(m), why);
            m &= m - 1;
          }
        }
      }
    }
  }

  /**
   * Requests we keep outstanding to {@code p}: {@code requestsPerPeer} while it answers within
   * {@link #LATENCY_TARGET_NANOS}, fewer as its answers slow down (it is queueing: a hot holder in a
   * flash crowd), so that requests spread over holders instead of piling up at one.
   */
  private int limit(Peer p) {
    if (p.latency <= LATENCY_TARGET_NANOS) {
      return s.requestsPerPeer();
    }
    return Math.max(1, (int) (s.requestsPerPeer() * LATENCY_TARGET_NANOS / p.latency));
  }

  private boolean usable(Peer p, long now) {
    return now >= p.usableAt();
  }

  /**
   * Frees a neighbour slot for a new holder: the oldest one whose last lists showed nothing new
   * (it is stuck or far behind), else, for a holder of the whole segment, the oldest one that is
   * not busy with us. In a swarm that waits for the WAN every neighbour has nothing new for a
   * while; replacing them for that would only churn.
   */
  private boolean makeRoom(Task t, boolean newIsComplete, long now) {
    if (t.staleHolders == 0 && !newIsComplete) {
      return false; // no holder has shown nothing new lately (the common case in a crowd's first seconds)
    }
    Holder victim = null;
    for (Holder h : t.holders) {
      if (h.complete || h.listing || h.stale < 2 || hasNeeded(t, h)) {
        continue;
      }
      if (victim == null || h.added < victim.added) {
        victim = h;
      }
    }
    if (victim == null && newIsComplete) {
      for (Holder h : t.holders) {
        if (!h.complete && !h.listing && h.peer.inFlight == 0 && (victim == null || h.added < victim.added)) {
          victim = h;
        }
      }
    }
    if (victim == null) {
      return false;
    }
    t.removeHolder(victim);
    return true;
  }

  private boolean hasNeeded(Task t, Holder h) {
    for (int w = 0; w < t.have.length; w++) {
      if ((h.known[w] & t.need(w)) != 0) {
        return true;
      }
    }
    return false;
  }

  /** Sends as many block requests as limits allow, earliest-wanted segments first. */
  private void fill(long now) {
    fallbacks = false;
    try {
      fillPasses(now);
    } finally {
      fallbacks = true;
    }
  }

  private void fillPasses(long now) {
    dirty = false;
    partialFills = false;
    nextBackoffEnd = Long.MAX_VALUE;
    if (inFlight >= s.requestsInFlight()) {
      dirty = true; // look again when a request ends
      return;
    }
    for (Task t : inOrder) {
      int k = t.holders.size();
      if (k == 0) {
        continue;
      }
      int start = random.nextInt(k);
      if (!t.pickable()) {
        // No holder has a block we need: nothing to ask, whoever is backing off. Whatever changes
        // that (a list, a failed request, an origin claim given back) calls fill or sets dirty.
        continue;
      }
      for (int i = 0; i < k; i++) {
        Holder h = t.holders.get((start + i) % k);
        Peer p = h.peer;
        if (p.backoffUntil != NONE && now < p.backoffUntil) {
          nextBackoffEnd = Math.min(nextBackoffEnd, p.backoffUntil);
          continue;
        }
        if (!askBlocks(t, h, p, now)) {
          return;
        }
      }
    }
    // Then the fallbacks at sources, every segment's first copies having had their turn: a busy
    // seed takes one or two requests of ours at a time, and a later segment's first copies must
    // not wait behind an earlier segment's fallbacks.
    fallbacks = true;
    for (Task t : inOrder) {
      if (t.holders.isEmpty() || !t.pickable()) {
        continue;
      }
      t.sources(now);
      for (Holder h : t.holders) {
        if (!h.ordinary && usable(h.peer, now) && !askBlocks(t, h, h.peer, now)) {
          return;
        }
      }
    }
  }

  /** Asks {@code h} for blocks while it takes more; false when this node's requests are all out. */
  private boolean askBlocks(Task t, Holder h, Peer p, long now) {
    while (p.inFlight < limit(p) && usable(p, now)) {
      int b = pick(t, h, now);
      if (b < 0) {
        break;
      }
      // pick counted the sources just now: h.ordinary is what it went by.
      Action.GetBlock.Kind kind = h.ordinary ? Action.GetBlock.Kind.COPY
          : designated(t, h, b, now) ? Action.GetBlock.Kind.FIRST_COPY
          : now - t.firstListed[b] >= RARE_WAIT_NANOS ? Action.GetBlock.Kind.RARE : Action.GetBlock.Kind.STARVING;
      send(t, b, p, now, kind);
      if (inFlight >= s.requestsInFlight()) {
        dirty = true;
        return false;
      }
    }
    return true;
  }

  /**
   * A block {@code h} has and we need, chosen from a random starting point (from block 0 when
   * {@code h} is a complete holder that is not spared and no holder known is partial); -1 if none. A block
   * that only {@code h} is known to have (a fresh block at its origin fetcher, or anything at a lone
   * cache server) is taken from it only by the few wanters its hash designates, or once it has been
   * rare for {@link #RARE_WAIT_NANOS}: the others copy it from them, so a source uploads each block
   * about once (BitTorrent calls this super-seeding) and nobody's uplink becomes the site's bottleneck.
   */
  private int pick(Task t, Holder h, long now) {
    int words = t.have.length;
    long any = 0;
    for (int w = 0; w < words; w++) {
      any |= h.known[w] & t.need(w);
    }
    if (any == 0) {
      return -1;
    }
    int drawn = random.nextInt(t.n);
    // Which holders are sources is the same for every word: worked out once per instant.
    t.sources(now);
    boolean spared = spared(t, h, t.completeHolders);
    // Where every holder known is complete (one node fetching from a seed, a cache server or a
    // finished peer, with no swarm to trade with), a holder that serves anything (not spared) is
    // asked in block order: the blocks then arrive about as the reader takes them, so its hand-off
    // of verified plaintext holds them and the store is not read back (a second decryption and
    // SHA-256 per block), and the first byte waits for block 0 only. With partial holders about,
    // random starts, so that a crowd copies different blocks (in block order, a crowd around a
    // cache server asked it for the same blocks: model p99 1.29 -> 1.35). The draw is made all the
    // same, so every other decision sees the same random stream.
    int startBit = h.complete && !spared && t.completeHolders == t.holders.size() ? 0 : drawn;
    int w0 = startBit >>> 6;
    // From a source, the blocks this node copies first come before the fallbacks (rare too long,
    // or a starving segment): with a busy seed answering one or two requests of ours at a time,
    // a random pick among hundreds of fallback blocks left a node's own first copies unasked for
    // seconds while everyone waited for them (model, flash-crowd-seeded 200 × 256 MiB).
    boolean source = spared || (!h.complete && fetching(t, h, now));
    int b = -1;
    for (int pass = source ? 0 : 1; b < 0 && pass < (source && !fallbacks ? 1 : 2); pass++) {
      boolean late = pass == 1;
      b = choose(t, h, w0, -1L << (startBit & 63), spared, late, now);
      for (int w = w0 + 1; b < 0 && w < words; w++) {
        b = choose(t, h, w, -1L, spared, late, now);
      }
      for (int w = 0; b < 0 && w <= w0; w++) {
        b = choose(t, h, w, -1L, spared, late, now);
      }
    }
    return b;
  }

  private int choose(Task t, Holder h, int w, long mask, boolean spared, boolean late, long now) {
    long ok = allowed(t, h, w, t.common(h, w), spared, late, now) & mask;
    return ok == 0 ? -1 : (w << 6) + Long.numberOfTrailingZeros(ok);
  }

  /**
   * Whether complete holder {@code h} is kept for blocks nobody else has: while sources are few
   * among the holders ({@code complete} of them are complete: a seeder or cache server in a crowd
   * of partial holders) — or, while this node still knows fewer holders than there are wanters
   * to know (a crowd's first second: it has met the seed, not yet its subnet-mates), among the
   * wanters it hears ({@link Task#tagged}, refreshed by {@link Task#sources}). Counted by holders
   * alone, every node of a seeded crowd asked the seed for anything in its first second. Once most
   * holders are complete (a crowd's tail), they all serve everything.
   */
  private boolean spared(Task t, Holder h, int complete) {
    return h.complete && sparedComplete(t, complete);
  }

  /** {@link #spared} for a complete holder: the same for every complete holder of the segment. */
  private boolean sparedComplete(Task t, int complete) {
    int known = t.holders.size();
    boolean meeting = known < Math.min(s.neighbors(), t.tagged);
    return Math.max(known - complete, meeting ? t.tagged - 1 : 0) >= SPARE_RATIO * complete;
  }

  /**
   * The blocks of word {@code w} we may ask {@code h} for now, given what the ordinary peers among
   * the other holders have ({@code common}). A source — a node fetching the segment from the
   * origin, or a complete holder while complete holders are few ({@link #spared}) — is asked only
   * for blocks no other holder has: by their designated first copiers at once, by anyone once rare
   * for {@link #RARE_WAIT_NANOS}, or from a seed when the segment starves and this node has wanted
   * it for {@link #SEED_RARE_WAIT_NANOS}. An ordinary peer is asked for anything it has.
   */
  private long allowed(Task t, Holder h, int w, long common, boolean spared, boolean late, long now) {
    long cand = h.known[w] & t.need(w);
    if (cand == 0) {
      return 0;
    }
    boolean originSource = !h.complete && fetching(t, h, now);
    long ok = spared || originSource ? 0 : cand & common;
    long rare = cand & ~common;
    if (rare == 0) {
      return ok;
    }
    if (!spared && !originSource) {
      return ok | rare; // an ordinary peer, not a source: what only it has is ours to copy
    }
    // Starving, a seed's blocks may be taken by anyone, but not in the first moments of wanting the
    // segment, while the first copiers' copies are still spreading: taken at once (the rule until
    // 2026-12-04), every starving node of a crowd's first second asked the seed for blocks its
    // subnet-mates had just copied, and the seed uploaded 2.5 × the package (model,
    // flash-crowd-seeded). Counted per block instead (rare for 1.5 s), it also held back the tail
    // of origin crowds, whose last blocks are fresh at the nodes that just completed: p99 1.39 →
    // 1.52 × ideal at 1,000 nodes × 128 MiB.
    boolean starving = h.complete && t.lowSince != NONE && now - t.lowSince >= STARVE_NANOS
        && t.firstProbe != NONE && now - t.firstProbe >= SEED_RARE_WAIT_NANOS;
    for (; rare != 0; rare &= rare - 1) {
      int b = (w << 6) + Long.numberOfTrailingZeros(rare);
      if ((late && (starving || now - t.firstListed[b] >= RARE_WAIT_NANOS)) || designated(t, h, b, now)) {
        ok |= rare & -rare;
      }
    }
    return ok;
  }

  /** Whether {@code h} says it fetches the segment from the origin (looked up at most every 250 ms). */
  private boolean fetching(Task t, Holder h, long now) {
    long at = sourceAt(h);
    if (at == NONE || now - at >= VIEW_REFRESH_NANOS) {
      boolean fetching = view.fetching(h.peer.endpoint, h.peer.node(), t.ref.id(), now, takeoverNanos * 2);
      fetched(h, fetching, now);
      return fetching;
    }
    return h.removed ? h.fetching : h.task.walkFetching[h.slot];
  }

  /** When {@code h}'s source flag was looked up (NONE: never). */
  private static long sourceAt(Holder h) {
    return h.removed ? h.sourceAt : h.task.walkSourceAt[h.slot];
  }

  /**
   * Holder {@code i}'s source flag looked up now in {@code stamps}, {@code t}'s segment copied just
   * now ({@link Task#sources}), by its node id as {@code t} keeps it for the stamps' epoch.
   */
  private void lookUpFetching(Task t, int i, SubnetView.FetchStamps stamps, long now) {
    boolean fetching = false;
    if (!stamps.none()) { // (nobody heard fetching the segment: no node id is needed to say it is not)
      if (t.walkNode[i] == UNKNOWN_NODE) {
        t.walkNode[i] = view.nodeId(t.holders.get(i).peer.endpoint);
      }
      fetching = view.fetching(stamps, t.walkNode[i], now, takeoverNanos * 2);
    }
    t.walkSourceAt[i] = now;
    t.walkFetching[i] = fetching;
  }

  /** {@link Task#walkNode}: not looked up in the task's epoch (node ids are -1 or above). */
  private static final long UNKNOWN_NODE = Long.MIN_VALUE;

  private static void fetched(Holder h, boolean fetching, long now) {
    if (h.removed) {
      h.fetching = fetching;
      h.sourceAt = now;
    } else {
      h.task.walkSourceAt[h.slot] = now;
      h.task.walkFetching[h.slot] = fetching;
    }
  }

  /** Reused by {@link Task#sources}: one segment's fetch stamps, copied from the view. */
  private final SubnetView.FetchStamps fetchStamps = new SubnetView.FetchStamps();

  /**
   * Whether this node is the first copier of block {@code b}: the one wanter that copies it from
   * its only holder. Every node places the wanters it hears on the segment's first-copy ring
   * ({@link SubnetView#firstCopyArcs}, consistent hashing), so each block has one first copier,
   * give or take nodes whose views briefly differ — and a wanter arriving moves only the blocks of
   * its own arcs. From a seed ({@link #seed}: a seeded node, a cache server), a block of an arc
   * that came from another wanter is ours only once that wanter could tell us it has it
   * ({@link #predecessorListed}); an origin fetcher's fresh blocks are nobody's before it fetched
   * them, so they do not wait.
   */
  private boolean designated(Task t, Holder source, int b, long now) {
    standing(t, now);
    return t.firstCopies == null
        || (get(t.firstCopies, b) && (!seed(t, source, now) || predecessorListed(t, t.arcOf[b], now)));
  }

  /**
   * Whether {@code h} is a seed of the segment: complete, and not heard wanting it (a seeded node,
   * a cache server), looked up at most every 250 ms. A subnet-mate that finished the segment is
   * not: in a crowd fed from the origin its uplink is not what the crowd waits for, and holding
   * its first copies back for predecessors' lists put more of the uploads on fewer nodes (model,
   * flash-crowd-1000 --size 128MiB: busiest uploader 3.40 → 4.38 × the mean).
   */
  private boolean seed(Task t, Holder h, long now) {
    if (!h.complete) {
      return false;
    }
    if (h.seedAt == NONE || now - h.seedAt >= VIEW_REFRESH_NANOS) {
      h.seed = !view.wanted(h.peer.endpoint, h.peer.node(), t.ref.id(), now);
      h.seedAt = now;
    }
    return h.seed;
  }

  /**
   * Whether this node may take the first copies of its arc {@code k} from a source. At once,
   * unless the arc came to it from another wanter, its predecessor (this node arrived on the
   * ring, or the arc grew); then only after {@link #PREDECESSOR_SETTLE_NANOS} (the predecessor
   * hears of this node, stops asking for these blocks, and what it asked arrives) and, when the
   * predecessor is a holder of ours, once it has listed its blocks after that; at the latest after
   * {@link #PREDECESSOR_WAIT_NANOS}. The predecessor was these blocks' first copier until now and
   * may have copied them: its list makes them common, to be copied from it instead. Taken at once,
   * a crowd's later arrivals asked the seed again for blocks their predecessors had copied, or had
   * asked for: most of the seed's repeated uploads in a seeded crowd (docs/SIMULATOR.md, "Findings,
   * 2026-12-04, evening").
   */
  private boolean predecessorListed(Task t, int k, long now) {
    long since = t.arcWaitsSince[k];
    if (since == NONE) {
      return true;
    }
    PeerEndpoint e = t.predecessors[k];
    Peer p = e == null ? null : peers.get(e);
    Holder h = p == null ? null : t.holding(p);
    boolean open;
    if (e == null || now - since >= PREDECESSOR_WAIT_NANOS) {
      open = true;
    } else if (h == null) {
      open = !t.predecessorsDue; // settling, or not a holder of ours: nobody to ask once settled
    } else {
      open = h.complete || h.blind || (h.listedAt != NONE && h.listedAt >= since + PREDECESSOR_SETTLE_NANOS);
    }
    if (open) {
      t.arcWaitsSince[k] = NONE;
    }
    return open;
  }

  private boolean hasSeed(Task t, long now) {
    if (t.completeHolders == 0) {
      return false;
    }
    for (int i = 0; i < t.holders.size(); i++) {
      if (seed(t, t.holders.get(i), now)) {
        return true;
      }
    }
    return false;
  }

  private static boolean waitsForLists(Task t) {
    if (t.arcWaitsSince == null) {
      return false;
    }
    for (long since : t.arcWaitsSince) {
      if (since != NONE) {
        return true;
      }
    }
    return false;
  }

  /**
   * Asks the predecessors of arcs that wait for them for their lists, once
   * {@link #PREDECESSOR_SETTLE_NANOS} have passed since the arc came to this node. A predecessor
   * that is not a holder of ours (or cannot be asked) is waited for no longer: adding it as a
   * holder to ask it was tried, and the 16 predecessors per arrival took the neighbour slots of
   * holders that had blocks to copy (model, flash-crowd-seeded 200 × 256 MiB, seeds 1–2: p99
   * 2.00–2.12 × ideal with adoption, 1.62–1.78 without).
   */
  private void askPredecessors(Task t, long now) {
    t.predecessorsDue = false;
    if (t.arcWaitsSince == null) {
      return;
    }
    if (!hasSeed(t, now)) {
      // Nothing waits for these lists: first copies wait only at seeds. (Asked anyway, they changed
      // who copied from whom in crowds fed from the origin: busiest uploader 3.40 → 4.38 × the mean
      // at 1,000 × 128 MiB in the model.) A seed met later still finds the arcs waiting.
      if (now - t.created >= PREDECESSOR_WAIT_NANOS) {
        java.util.Arrays.fill(t.arcWaitsSince, NONE);
      } else {
        t.predecessorsDue = true;
      }
      return;
    }
    for (int k = 0; k < t.arcWaitsSince.length; k++) {
      long since = t.arcWaitsSince[k];
      if (since == NONE) {
        continue;
      }
      if (now < since + PREDECESSOR_SETTLE_NANOS) {
        t.predecessorsDue = true; // not yet: look again at the next tick
        continue;
      }
      PeerEndpoint e = t.predecessors[k];
      Peer p = e == null ? null : peers.get(e);
      Holder h = p == null ? null : t.holding(p);
      if (h == null || h.complete || h.blind || !usable(p, now)) {
        t.arcWaitsSince[k] = NONE;
        continue;
      }
      if (h.listedAt == NONE || h.listedAt < since + PREDECESSOR_SETTLE_NANOS) {
        if (h.listing) {
          t.predecessorsDue = true; // asked before it could know of us: ask again when it answers
        } else if (lists.size() < MAX_LISTS_IN_FLIGHT) {
          ask(t, h, now);
        } else {
          t.arcWaitsSince[k] = NONE;
        }
      }
    }
  }

  /**
   * Refreshes, at most every 250 ms, how many peerdist wanters the segment has, and this node's
   * arcs of the first-copy ring every 50 ms while a holder is complete (the view rebuilds the ring
   * at most every 100 ms): an arc that came to this node waits for its predecessor
   * ({@link #predecessorListed}), which must soon stop asking for its blocks.
   */
  private void standing(Task t, long now) {
    if (t.standingAt == NONE || now - t.standingAt >= VIEW_REFRESH_NANOS) {
      t.tagged = Math.max(1, (int) view.standing(t.ref.id(), nodeId, now));
      t.standingAt = now;
    }
    // Every 50 ms only where a seed may be (some holder is complete): elsewhere nothing waits for
    // predecessors, and arcs looked up that often put more of a 1,000-node origin crowd's uploads
    // on fewer nodes (busiest uploader 1.57 → 1.72 × the mean, seed 1).
    long refresh = t.completeHolders > 0 ? ARCS_REFRESH_NANOS : VIEW_REFRESH_NANOS;
    if (t.arcsAt == NONE || now - t.arcsAt >= refresh) {
      t.arcsAt = now;
      long[] arcs = view.firstCopyArcs(t.ref.id(), nodeId, now, t.arcsMemo);
      if (arcs == null) {
        t.firstCopies = null;
        t.arcWaitsSince = null;
      } else if (t.firstCopies == null || !java.util.Arrays.equals(arcs, t.arcs)) {
        long[] mine = new long[t.have.length];
        if (t.arcOf == null) {
          t.arcOf = new byte[t.n];
        }
        for (int b = 0; b < t.n; b++) {
          int k = SubnetView.arcOf(arcs, SubnetView.blockPoint(t.hash, b));
          if (k >= 0) {
            set(mine, b);
            t.arcOf[b] = (byte) k;
          }
        }
        PeerEndpoint[] preds = t.arcsMemo.predecessors();
        long[] waits = new long[arcs.length / 2];
        for (int k = 0; k < waits.length; k++) {
          // An arc new to this node, or grown (its start moved back): its new blocks were another's.
          boolean grew = t.firstCopies == null || t.arcs == null || t.arcs.length != arcs.length
              || (t.arcs[2 * k] != arcs[2 * k] && SubnetView.onArc(arcs[2 * k], arcs[2 * k + 1], t.arcs[2 * k]));
          waits[k] = grew && preds != null && preds[k] != null ? now
              : t.arcWaitsSince != null && k < t.arcWaitsSince.length ? t.arcWaitsSince[k] : NONE;
          t.predecessorsDue |= waits[k] == now;
        }
        t.predecessors = preds;
        t.arcWaitsSince = waits;
        t.firstCopies = mine;
      }
      t.arcs = arcs;
    }
  }

  /** What {@code h} newly told us may be fetched: requests to it only (cheaper than {@link #fill}). */
  private void fillHolding(Task t, Holder h, long now) {
    if (inFlight >= s.requestsInFlight()) {
      dirty = true;
      return;
    }
    partialFills = true;
    askBlocks(t, h, h.peer, now);
  }

  /** After one of {@code p}'s requests ended well: gives {@code p} more work (cheaper than {@link #fill}). */
  private void fillPeer(Peer p, long now) {
    if (inFlight >= s.requestsInFlight() || !usable(p, now)) {
      dirty = true;
      return;
    }
    partialFills = true;
    for (Task t : inOrder) {
      Holder h = t.pickable() ? t.holding(p) : null;
      if (h == null) {
        continue;
      }
      if (!askBlocks(t, h, p, now)) {
        return;
      }
    }
  }

  private void send(Task t, int b, Peer p, long now, Action.GetBlock.Kind kind) {
    long id = nextId++;
    requests.put(id, new Req(id, t, b, p, now));
    oldestSent = Math.min(oldestSent, now);
    p.inFlight++;
    inFlight++;
    t.asking[b]++;
    if (++t.asked >= LOW_WATER) {
      t.lowSince = NONE;
    }
    t.setRequested(b);
    stats.blockRequests++;
    out.add(new Action.GetBlock(id, p.endpoint, t.ref.id(), b, kind));
  }

  /** A block asked of one peer for longer than {@code hedgeAfter} is asked of another holder too. */
  private void hedges(long now) {
    if (requests.isEmpty() || now < nextHedgeCheck) {
      return;
    }
    nextHedgeCheck = now + hedgeNanos / 4;
    List<Req> slow = null;
    for (Req r : requests.values()) {
      if (now - r.sentAt >= hedgeNanos && r.task.asking[r.block] == 1 && !r.task.dropped) {
        if (slow == null) {
          slow = new ArrayList<>();
        }
        slow.add(r);
      }
    }
    if (slow == null) {
      return;
    }
    for (Req r : slow) {
      if (inFlight >= s.requestsInFlight()) {
        return;
      }
      Task t = r.task;
      for (Holder h : t.holders) {
        Peer p = h.peer;
        if (p != r.peer && get(h.known, r.block) && p.inFlight < limit(p) && usable(p, now)) {
          stats.hedges++;
          send(t, r.block, p, now, Action.GetBlock.Kind.HEDGE);
          break;
        }
      }
    }
  }

  /**
   * Asks holders for their block lists (MSG_GETBLKLIST, PROTOCOL.md §4.4): a new holder at once;
   * the others only while the segment is running dry — fewer needed blocks known than we could
   * have in flight — and then the {@value #POLLS_PER_ROUND} that were asked longest ago, each at
   * most every {@code blockListInterval}. A swarm's holdings spread this way without every node
   * asking every neighbour all the time.
   */
  private void lists(Task t, long now) {
    if (t.predecessorsDue) {
      askPredecessors(t, now);
    }
    if (!t.holders.isEmpty() && lists.size() >= MAX_LISTS_IN_FLIGHT) {
      t.unlistedAt = 0;
      return;
    }
    assert t.mirrored();
    byte[] state = t.walkState;
    long[] next = t.walkNext;
    long[] usableAt = t.walkUsableAt;
    if (t.unlistedHolders) {
      boolean unlisted = false;
      long at = Long.MAX_VALUE;
      for (int i = 0; i < t.holders.size(); i++) {
        if (lists.size() >= MAX_LISTS_IN_FLIGHT) {
          t.unlistedAt = 0;
          return;
        }
        if ((state[i] & (EXACT | BLIND)) == 0) {
          unlisted = true;
          if ((state[i] & LISTING) == 0) {
            if (now >= next[i] && now >= usableAt[i]) { // due, and its peer usable
              ask(t, t.holders.get(i), now);
            } else {
              at = Math.min(at, Math.max(next[i], usableAt[i]));
            }
          }
        }
      }
      t.unlistedHolders = unlisted;
      t.unlistedAt = at; // a holder listing now answers by an input, which sets it to 0
    }
    if (now < t.nextPollRound || knownNeeded(t, now, s.requestsInFlight()) >= s.requestsInFlight()) {
      return;
    }
    t.nextPollRound = now + pollRoundInterval();
    adoptWanters(t, now);
    // The holders asked longest ago, oldest first (the first in holder order among equals), among
    // those that are exact and neither listing, complete nor blind, due, and usable: found in the
    // walk arrays, so that only the holders taken are read.
    int polls = Math.min(POLLS_PER_ROUND, MAX_LISTS_IN_FLIGHT - lists.size());
    if (polls <= 0) {
      return;
    }
    state = t.walkState; // adoptWanters may have added holders
    next = t.walkNext;
    usableAt = t.walkUsableAt;
    int k = t.holders.size();
    if (pollCandidates.length < k) {
      pollCandidates = new int[Math.max(k, 2 * pollCandidates.length)];
    }
    int[] due = pollCandidates;
    int candidates = 0;
    for (int i = 0; i < k; i++) {
      if (state[i] == EXACT && now >= next[i] && now >= usableAt[i]) {
        due[candidates++] = i;
      }
    }
    Holder[] oldest = pollScratch;
    int found = 0;
    while (found < polls && candidates > 0) {
      // The earliest next list time among the candidates left, the first in holder order among equals.
      int best = 0;
      for (int c = 1; c < candidates; c++) {
        if (next[due[c]] < next[due[best]]) {
          best = c;
        }
      }
      oldest[found++] = t.holders.get(due[best]);
      System.arraycopy(due, best + 1, due, best, candidates - best - 1); // keeps holder order
      candidates--;
    }
    for (int i = 0; i < found; i++) {
      Holder h = oldest[i];
      oldest[i] = null;
      ask(t, h, now);
    }
  }

  /** The holders a poll round asks ({@link #lists}); emptied after each round. */
  private final Holder[] pollScratch = new Holder[POLLS_PER_ROUND];
  /** Indices of the holders a poll round may ask ({@link #lists}). */
  private int[] pollCandidates = new int[32];

  /**
   * {@code blockListInterval}, or {@value #LIST_ROUNDS_PER_LATENCY} list round trips when answers
   * are slower, but at most a quarter of {@code takeoverAfter}: a list that grew is a fetcher's
   * sign of life ({@link #aliveUntil}), and rounds further apart would take a live fetcher for gone.
   */
  private long pollRoundInterval() {
    long base = s.blockListInterval().toNanos();
    return Math.max(base, Math.min(takeoverNanos / 4, LIST_ROUNDS_PER_LATENCY * listLatency));
  }

  /**
   * Adds as holders, and asks for their lists at once, up to {@value #ADOPT_PER_ROUND}
   * subnet-mates heard probing for the segment that are not holders of ours yet (while there is
   * room among the neighbours). In a crowd's first seconds probe answers name few holders — a node
   * probes every second or more, and holders answer a share of probes — while every wanter copies
   * blocks the others could copy from it; its tagged probe already said where it serves PCCRR.
   * Measured in the model (flash-crowd-seeded, 100 clients × 128 MiB, median of seeds 1–6): p99
   * 2.63 × the ideal without it, 2.39 × with 2 per round (2.36 × with 4, which cost live-16 with
   * stalling nodes p50 1.40 → 1.47 × over 16 seeds).
   */
  private void adoptWanters(Task t, long now) {
    int room = Math.min(ADOPT_PER_ROUND, Math.min(s.neighbors() - t.holders.size(), MAX_LISTS_IN_FLIGHT - lists.size()));
    if (room <= 0) {
      return;
    }
    List<PeerEndpoint> mates = view.wanterEndpoints(t.ref.id(), nodeId, room, random.nextInt(1 << 30), e -> {
      Peer p = peers.get(e);
      return p != null && (t.holding(p) != null || (p.bannedUntil != NONE && now < p.bannedUntil)
          || t.adoptedLately(p, now));
    }, now);
    for (PeerEndpoint e : mates) {
      Peer p = peers.computeIfAbsent(e, Peer::new);
      Holder h = new Holder(t, p, t.have.length, now);
      h.adopted = true;
      t.addHolder(h);
      if (usable(p, now)) {
        ask(t, h, now);
      }
    }
  }

  private void ask(Task t, Holder h, long now) {
    long id = nextId++;
    h.listing(true);
    h.nextList(now + (s.blockListInterval().toNanos() << h.stale));
    lists.put(id, new ListReq(id, t, h, now));
    stats.listRequests++;
    out.add(new Action.AskBlockList(id, h.peer.endpoint, t.ref.id(), t.n));
  }

  /**
   * Needed blocks we may ask of some usable holder that answers promptly (is not queueing us):
   * what {@link #pick} could request now. Only whether they reach {@code enough} is exact: the
   * count stops there, and below it an upper bound may be returned. Linear in holders (who has a
   * block once, who twice).
   */
  private int knownNeeded(Task t, long now, int enough) {
    int bound = knownBound(t);
    if (bound < enough) {
      return bound; // fewer than enough even if every holder could be asked for everything it has
    }
    long[] held = t.heldByAny();
    int complete = t.completeHolders;
    t.sources(now);
    int k = t.holders.size();
    int n = 0;
    for (int w = 0; w < t.have.length; w++) {
      if ((held[w] & t.need(w)) == 0) {
        continue;
      }
      long m = 0;
      for (int i = 0; i < k; i++) {
        Holder h = t.holders.get(i);
        if (usable(h.peer, now) && h.peer.latency <= LATENCY_TARGET_NANOS) {
          m |= allowed(t, h, w, t.common(h, w), spared(t, h, complete), true, now);
        }
      }
      n += Long.bitCount(m);
      if (n >= enough) {
        return n;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ discovery

  /**
   * Sends one probe for the segments whose re-probe is due, the ones we fetch from the origin first.
   * Segments due within half of {@code probeMin} ride along, so that a node wanting several segments
   * sends one probe where their jittered timers would send one each (every probe is parsed by every
   * node of the subnet, and answered by many: on the live 16-node site discovery was 15 % of the
   * daemons' CPU).
   */
  private void probes(long now) {
    boolean any = false;
    for (Task t : inOrder) {
      if (now >= t.nextProbe) {
        any = true;
        break;
      }
    }
    if (!any) {
      return;
    }
    long soon = now + s.probeMin().toNanos() / 2;
    List<Task> due = new ArrayList<>();
    int fetching = 0;
    for (Task t : inOrder) {
      if (t.originActive > 0 && soon >= t.nextProbe) {
        due.add(fetching++, t);
      }
    }
    for (Task t : inOrder) {
      if (t.originActive == 0 && soon >= t.nextProbe && due.size() < PROBE_IDS) {
        due.add(t);
      }
    }
    if (due.isEmpty()) {
      return;
    }
    if (due.size() > PROBE_IDS) {
      due = due.subList(0, PROBE_IDS);
      fetching = Math.min(fetching, PROBE_IDS);
    }
    List<SegmentId> ids = new ArrayList<>(due.size());
    for (Task t : due) {
      ids.add(t.ref.id());
      if (t.firstProbe == NONE) {
        t.firstProbe = now;
      }
      t.nextProbe = now + (long) (probeInterval(t, now) * (0.75 + 0.5 * random.nextDouble()));
    }
    stats.probes++;
    out.add(new Action.SendProbe(ids, fetching));
    if (echoes) {
      if (unechoed.size() >= 64) {
        unechoed.pollFirst();
      }
      unechoed.addLast(now);
    }
  }

  /**
   * The time until {@code t}'s next probe: {@code probePerWanter} × wanters heard within [{@code
   * probeMin}, {@code probeMax}]; at most half the takeover time while this node fetches from the
   * origin (its probes tell the others it is alive); {@code probeMin} while few holders are known.
   * Once every wanter heard is a known holder, each probe that found no new holder doubles the
   * interval up to {@code probeMax}: such a probe only looks for seeds and newcomers, and what the
   * known holders get comes by their lists.
   */
  private long probeInterval(Task t, long now) {
    t.wanters = Math.max(1, view.wanters(t.ref.id(), now));
    long interval = Math.max(s.probeMin().toNanos(),
        Math.min(s.probeMax().toNanos(), t.wanters * s.probePerWanter().toNanos()));
    int known = t.holders.size();
    boolean knowsAll = known >= Math.min(s.neighbors(), t.tagged - 1);
    boolean nothingNew = knowsAll && t.holdersAtProbe >= 0 && known <= t.holdersAtProbe;
    t.quietProbes = nothingNew ? Math.min(t.quietProbes + 1, 16) : 0;
    t.holdersAtProbe = known;
    if (t.originActive > 0) {
      return Math.min(interval, takeoverNanos / 2);
    }
    if (known < Math.max(2, s.neighbors() / 4)) {
      return s.probeMin().toNanos(); // few holders known: look for more soon
    }
    return Math.min(s.probeMax().toNanos(), interval << t.quietProbes);
  }

  private boolean hasUsableHolder(Task t, long now) {
    for (Holder h : t.holders) {
      if (usable(h.peer, now) && hasNeeded(t, h)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ origin

  /**
   * The node that should claim the segment's unheld blocks: the best-ranked wanter that is not
   * suspect, this node included. (Keeping a fetcher at work as the fetcher against a better-ranked
   * newcomer was tried: in the 300-node × 1 GiB model it sent 1.035 × the package over the WAN
   * instead of 1.004; and on 2026-12-05 a fetcher kept for 30 s after it stopped made the few
   * fastest nodes of a crowd fetch most segments, the busiest uploader 4.2 × the mean in
   * flash-crowd-1000-leave. Only the ranges already running are let to end: {@link #demotions},
   * {@link #othersFetching}.)
   */
  private long elected(Task t, long now) {
    long[] ranking = view.ranking(t.ref.id(), now);
    boolean plain = t.suspects.isEmpty();
    if (plain && ranking == t.electedFrom) {
      // The same ranking (the view hands out a new array when it ranks again) and no suspects: the
      // same node, without scoring the candidates again.
      return t.electedNode;
    }
    long e = nodeId;
    for (long id : ranking) {
      if (id != nodeId && !suspect(t, id, now)) {
        // Ranking is best first: the best other candidate, against this node.
        e = outranks(nodeId, id, t) ? nodeId : id;
        break;
      }
    }
    t.electedFrom = plain ? ranking : null;
    t.electedNode = e;
    return e;
  }

  /**
   * Whether another wanter, not passed over, was heard saying it fetches {@code t}'s segment within
   * {@code takeoverAfter}: it has ranges running. The elected fetcher lets them end before it
   * claims blocks ({@link #planOrigin}), and a node that is not elected lets its own end unless a
   * better-ranked node fetches too ({@link #demotions}): cutting a running range wastes what is in
   * flight and queued on the WAN path (live-16: 0.8–1.2 MB per cut, most of the WAN bytes beyond
   * the package). With {@code betterRankedOnly}, only nodes that outrank this one count.
   */
  private boolean othersFetching(Task t, long now, boolean betterRankedOnly) {
    int n = view.fetchersWithin(t.ref.id(), now, takeoverNanos, fetcherIds);
    for (int i = 0; i < n; i++) {
      long id = fetcherIds[i];
      if (id != nodeId && (!betterRankedOnly || outranks(id, nodeId, t)) && !suspect(t, id, now)) {
        return true;
      }
    }
    return false;
  }

  /**
   * When the last origin range of {@code t} ends or stops, the next tick's probe names the segment
   * without the fetching flag (unless a new range started meanwhile): the elected node waiting for
   * this node's ranges ({@link #othersFetching}) hears at once that they ended, instead of when the
   * flag is {@code takeoverAfter} old (live-16-spread: each such wait left the WAN to that segment
   * idle for seconds).
   */
  private static void stoppedFetching(Task t, long now) {
    if (t.originActive == 0) {
      t.nextProbe = Math.min(t.nextProbe, now);
    }
  }

  /** How long an elected node waits for its holders' lists after another node's ranges ended. */
  private static final long HANDOVER_LISTS_NANOS = 1_000_000_000L;

  private static boolean listing(Task t) {
    for (Holder h : t.holders) {
      if (h.listing) {
        return true;
      }
    }
    return false;
  }

  /** Reused by {@link #othersFetching}: the few wanters of one segment heard fetching it. */
  private final long[] fetcherIds = new long[16];

  /** Nanoseconds since {@code at}, a {@link SubnetView} time; {@code Long.MAX_VALUE} for never. */
  private static long ago(long at, long now) {
    return at == Long.MIN_VALUE ? Long.MAX_VALUE : now - at;
  }

  private static boolean outranks(long a, long b, Task t) {
    return Long.compareUnsigned(SubnetView.score(a, t.hash), SubnetView.score(b, t.hash)) > 0;
  }

  /**
   * Whether {@code id} is passed over as this segment's fetcher: it was taken over from within
   * {@code suspectFor} and has not said since that it fetches the segment. One that says so again
   * (it was short of CPU, not gone) is trusted again, so that the taker stops ({@link #demotions})
   * instead of both fetching the same blocks.
   */
  private boolean suspect(Task t, long id, long now) {
    if (t.suspects.isEmpty()) {
      return false; // the common case: no takeover lately (spares boxing the id per ranked wanter)
    }
    Long until = t.suspects.get(id);
    if (until == null) {
      return false;
    }
    long since = until - s.suspectFor().toNanos();
    if (now >= until || view.lastFetching(id, t.ref.id()) > since) {
      t.suspects.remove(id);
      return false;
    }
    return true;
  }

  /**
   * Until when fetcher {@code e} shows signs of life for segment {@code t}, unless the view or the
   * segment changes (it is alive while {@code now} is before it): it was chosen lately, the
   * segment made progress (a block arrived, or some holder's list grew), or {@code e} said it
   * fetches it, within {@code takeoverAfter}. A fetcher still heard probing the segment (within
   * twice that: a node short of CPU probes late) gets {@code lanPatience}: its loop runs and retries
   * its own ranges, so a takeover would fetch the same blocks over the WAN twice — and
   * {@link #demotions} would stop the taker as soon as it heard the fetcher again, wasting the
   * ranges it had started. Live sites short of CPU lost most of their WAN bytes to that churn
   * (docs/DOWNLOAD.md, "Takeover"). A silent fetcher (gone, or stalled) is taken over after
   * {@code takeoverAfter}.
   */
  private long aliveUntil(Task t, long e, long now) {
    view.lastHeardAndFetching(e, t.ref.id(), heardTimes);
    long quietSince = Math.max(t.fetcherSince, Math.max(t.lastProgress, heardTimes[1]));
    long patience = ago(heardTimes[0], now) <= 2 * takeoverNanos
        ? Math.max(takeoverNanos, s.lanPatience().toNanos()) : takeoverNanos;
    return quietSince + patience;
  }

  /** Reused by {@link #aliveUntil}: when the elected node was last heard, and heard fetching. */
  private final long[] heardTimes = new long[2];

  private boolean othersWant(Task t, long now) {
    for (long id : view.ranking(t.ref.id(), now)) {
      if (id != nodeId) {
        return true;
      }
    }
    return false;
  }

  /**
   * Stops origin requests of segments that a better-ranked node is fetching too (the elected one,
   * or any other that started before it heard this one: a crowd's start on a site short of CPU
   * had seven nodes fetch the same first ranges as {@code no_peer}, none elected): both would
   * fetch the same blocks. A better-ranked node that only wants the segment waits for this node's
   * running ranges to end ({@link #othersFetching}); this node claims no more of them (it is not
   * elected), so the segment passes to it at a range's end, with nothing cut.
   */
  private void demotions(long now) {
    if (origins.isEmpty()) {
      return;
    }
    List<OriginReq> stop = null;
    Task asked = null; // a segment's ranges usually come one after another: its answer is reused
    boolean outranked = false;
    for (OriginReq o : origins.values()) {
      if (o.task != asked) {
        asked = o.task;
        outranked = othersFetching(o.task, now, true);
      }
      if (outranked) {
        if (stop == null) {
          stop = new ArrayList<>();
        }
        stop.add(o);
      }
    }
    if (stop == null) {
      return;
    }
    for (OriginReq o : stop) {
      stats.originCancels++;
      out.add(new Action.CancelOrigin(o.id));
      origins.remove(o.id);
      o.task.originActive--;
      for (int b = o.first; b < o.first + o.count; b++) {
        o.task.clearClaimed(b);
      }
      stoppedFetching(o.task, now);
    }
    dirty = true; // the blocks given back may be with a holder already
  }

  private void planOrigin(long now) {
    if (origins.size() >= s.originFlows() || (echoes && listenerBehind(now))) {
      return;
    }
    for (Task t : inOrder) {
      if (origins.size() >= s.originFlows()) {
        return;
      }
      if (t.firstProbe == NONE || now < discoveryOpen(t)
          || (t.originRetryAt != NONE && now < t.originRetryAt)) {
        continue;
      }
      long e = elected(t, now);
      if (e != t.fetcher) {
        t.fetcher = e;
        t.fetcherSince = now;
      }
      // Unless this node fetches now, looked at again when the chosen fetcher's patience ends, or
      // the held blocks' patience ({@code lanPatience}), or within the wake cap (wakeAt).
      t.originAt = Math.min(now + WAKE_CAP_NANOS, patienceFrom(t) + s.lanPatience().toNanos() + 1);
      long fetcherUntil = e == nodeId ? now : aliveUntil(t, e, now);
      if (now < fetcherUntil) {
        t.originAt = Math.min(t.originAt, fetcherUntil);
        continue; // the chosen fetcher has time, or shows signs of life
      }
      if (e == nodeId && othersFetching(t, now, false)) {
        // Elected, but another node's ranges of it are running (it started before it heard this
        // node, or this node came back from a takeover): they end soon, and it claims no more.
        t.handover = true;
        t.originAt = Math.min(t.originAt, now + takeoverNanos / 4);
        continue;
      }
      if (t.handover) {
        // Its last blocks reach our lists only when we ask again: the holders are asked now, and
        // their answers waited for (at most HANDOVER_LISTS_NANOS), instead of fetching what the
        // other node got a moment ago.
        t.handover = false;
        t.handoverAt = now;
        for (Holder h : t.holders) {
          if (!h.listing && !h.complete && !h.blind && usable(h.peer, now) && lists.size() < MAX_LISTS_IN_FLIGHT) {
            ask(t, h, now);
          }
        }
      }
      if (t.handoverAt != NONE) {
        if (now - t.handoverAt < HANDOVER_LISTS_NANOS && listing(t)) {
          t.originAt = Math.min(t.originAt, now + s.tick().toNanos());
          continue;
        }
        t.handoverAt = NONE;
      }
      long[] unheld = unheld(t, now);
      if (unheld == null) {
        continue;
      }
      if (e != nodeId) {
        t.suspects.put(e, now + s.suspectFor().toNanos());
        t.takeover = true;
        stats.takeovers++;
        e = elected(t, now);
        t.fetcher = e;
        t.fetcherSince = now;
        if (e != nodeId) {
          continue;
        }
        if (othersFetching(t, now, false)) {
          t.handover = true; // another node took over first: its ranges end, then the lists decide
          continue;
        }
      }
      claim(t, unheld, now);
    }
  }

  /**
   * Since when the held blocks of {@code t} have waited for the LAN: its last progress, or the last
   * block any peer delivered to this node, whichever is later. A node that receives from its peers
   * is short of request slots, not of holders; its later segments wait their turn. Counted per
   * segment alone, the patience ran out for a seeded live crowd's later segments while the
   * seed's one request slot per node (its answers took 400 ms on a site short of CPU) went to the
   * segments before them, and the elected nodes fetched them from the origin beside the seed that
   * held them (live-16 seeded, warm: WAN 0.11–0.22 × the package; docs/DOWNLOAD.md, "Busy is not
   * absent").
   */
  private long patienceFrom(Task t) {
    return Math.max(t.lastProgress, lastPeerBlock);
  }

  /** Blocks we need that no usable holder has; null when there are none (or lists are pending). */
  private long[] unheld(Task t, long now) {
    boolean patienceOut = now - patienceFrom(t) > s.lanPatience().toNanos();
    long[] u = scratch.length == t.have.length ? scratch : new long[t.have.length];
    boolean any = false;
    for (int w = 0; w < u.length; w++) {
      u[w] = t.need(w);
    }
    if (!patienceOut) {
      boolean adoptedWaitOver = now >= discoveryOpen(t) + ADOPTED_LIST_WAIT_NANOS;
      for (Holder h : t.holders) {
        if (!h.exact && !h.blind && !(adoptedWaitOver && unannounced(h))
            && (h.listing || (h.listFailures < 3 && now >= h.nextList && usable(h.peer, now)))) {
          return null; // it is about to tell us what it has (one backing off or failing is not)
        }
        if ((h.peer.bannedUntil != NONE && now < h.peer.bannedUntil) || (h.blind && !h.complete)) {
          continue; // what a blind holder has is a guess; its empty answers clear it only slowly
        }
        for (int w = 0; w < u.length; w++) {
          u[w] &= ~h.known[w];
        }
      }
    }
    for (long x : u) {
      any |= x != 0;
    }
    return any ? u : null;
  }

  /**
   * An adopted wanter ({@link #adoptWanters}) that has neither listed anything nor answered a probe
   * for the segment: planning waits for its list for at most {@link #ADOPTED_LIST_WAIT_NANOS} after
   * the discovery wait. Whatever it may hold it copied from a holder or an origin fetcher the loop
   * knows of or will hear of; the short wait lets the fetching flags of subnet-mates that started
   * with this node arrive first (not waiting at all, quiet live-16 runs fetched 1.16–1.28 × the
   * package where the base did 1.01–1.17 ×: several nodes elected themselves in the same 100 ms).
   * Waited for without a bound, on a site short of CPU the two wanters adopted per poll round kept
   * a list in flight nearly all the time, and the elected fetcher of a live-16 run's first segment
   * fetched nothing for 20 s ({@code lanPatience}) while all 16 nodes waited for it (2026-12-05;
   * docs/DOWNLOAD.md, "Deciding on a current view").
   */
  private static boolean unannounced(Holder h) {
    return h.adopted && !h.claimed;
  }

  /** A block list's words in {@link #blockList} (reused; nothing keeps them). */
  private long[] listWords = new long[0];

  /** Reused by {@link #unheld} (a V1 segment's words); {@link #claim} consumes it at once. */
  private final long[] scratch = new long[(SEGMENT_BLOCKS_V1 + 63) >>> 6];
  private static final int SEGMENT_BLOCKS_V1 = 512;

  /** Claims runs of unheld blocks for one origin request each, while flows are free. */
  private void claim(Task t, long[] unheld, long now) {
    if (t.originActive == 0) {
      // A segment this node starts fetching is announced at the next tick, not at its next probe
      // (up to probeMin away): until the others hear it fetching, one of them that ranks better
      // may start on the same blocks ({@link #othersFetching}).
      t.nextProbe = Math.min(t.nextProbe, now);
    }
    boolean others = othersWant(t, now);
    int start = 0;
    if (others) {
      // Fetchers that briefly overlap (each thinking it ranks first) start at different places.
      int ranges = Math.max(1, (t.n + s.originRangeBlocks() - 1) / s.originRangeBlocks());
      start = (int) Long.remainderUnsigned(SubnetView.score(nodeId, t.hash), ranges) * s.originRangeBlocks();
    }
    while (origins.size() < s.originFlows()) {
      int b = nextSet(unheld, start, t.n);
      if (b < 0) {
        b = nextSet(unheld, 0, t.n);
      }
      if (b < 0) {
        return;
      }
      FallbackReason why = reason(t, b, others);
      int count = 0;
      while (b + count < t.n && count < s.originRangeBlocks() && get(unheld, b + count)
          && reason(t, b + count, others) == why) {
        clear(unheld, b + count);
        t.setClaimed(b + count);
        count++;
      }
      long id = nextId++;
      origins.put(id, new OriginReq(id, t, b, count));
      t.originActive++;
      stats.originRequests++;
      out.add(new Action.FetchOrigin(id, t.ref.id(), b, count, why));
      start = b + count;
    }
  }

  /**
   * Why block {@code b} comes from the origin: a failure of the peers that had it, or else why this
   * node fetches it. Holders lost to failures label the whole segment only when the node fetches
   * it on its own; a node elected or taking over fetches blocks nobody had for that reason, and
   * labelled with a lost holder's failure, a live site's elected fetchers reported most of the
   * package as {@code timeout} (2026-12-05).
   */
  private FallbackReason reason(Task t, int b, boolean others) {
    FallbackReason lost = others || t.takeover ? null : t.lostHolders;
    if (t.failure[b] != 0 || lost != null) {
      FallbackReason own = t.failure[b] == 0 ? null : REASONS[t.failure[b] - 1];
      if (own == null || (lost != null && rank(lost) > rank(own))) {
        return lost;
      }
      return own;
    }
    if (t.takeover) {
      return FallbackReason.TAKEOVER;
    }
    if (others) {
      return FallbackReason.COORDINATED;
    }
    return t.holders.isEmpty() ? FallbackReason.NO_PEER : FallbackReason.BLOCK_NOT_HELD;
  }

  private void drop(Task t) {
    tasks.remove(t.ref.id());
    inOrder.remove(t);
    t.dropped = true;
    for (Holder h : t.holders) {
      h.peer.unhold(h); // the segment's holders stay with it (Task#holding), not with their peers
    }
    for (Iterator<OriginReq> it = origins.values().iterator(); it.hasNext(); ) {
      OriginReq o = it.next();
      if (o.task == t) {
        it.remove();
        out.add(new Action.CancelOrigin(o.id));
      }
    }
    lists.removeIf(l -> l.task == t);
  }

  // ------------------------------------------------------------------ bits

  private static boolean get(long[] bits, int i) {
    return (bits[i >>> 6] & (1L << i)) != 0;
  }

  private static void set(long[] bits, int i) {
    bits[i >>> 6] |= 1L << i;
  }

  private static void clear(long[] bits, int i) {
    bits[i >>> 6] &= ~(1L << i);
  }

  private static boolean isEmpty(long[] bits) {
    for (long w : bits) {
      if (w != 0) {
        return false;
      }
    }
    return true;
  }

  private static int count(long[] bits) {
    int c = 0;
    for (long w : bits) {
      c += Long.bitCount(w);
    }
    return c;
  }

  private static long lastMask(int n) {
    int r = n & 63;
    return r == 0 ? -1L : (1L << r) - 1;
  }

  private static void fillAll(long[] bits, int n) {
    java.util.Arrays.fill(bits, -1L);
    bits[bits.length - 1] = lastMask(n);
  }

  private static int nextSet(long[] bits, int from, int n) {
    if (from >= n) {
      return -1;
    }
    int w = from >>> 6;
    long m = bits[w] & (-1L << from);
    while (true) {
      if (m != 0) {
        int i = (w << 6) + Long.numberOfTrailingZeros(m);
        return i < n ? i : -1;
      }
      if (++w >= bits.length) {
        return -1;
      }
      m = bits[w];
    }
  }
}
