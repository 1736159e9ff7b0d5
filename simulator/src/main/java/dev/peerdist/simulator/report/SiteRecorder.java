package dev.peerdist.simulator.report;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link SiteModel} fills in as its run goes; {@link #finish} turns it into a {@link
 * SiteReport}. Times are nanoseconds since the run's start (simulated for a model, real for the
 * live harness); nodes are {@link SitePlan} ids. Not thread-safe: one owner (the model's event
 * loop, or the live harness's collector).
 *
 * <p>WAN bytes over time are kept in at most {@value #BUCKETS} buckets: the bucket width starts
 * at 10 ms and doubles (adjacent buckets merged) whenever a time falls past the last bucket, so
 * the series stays bounded and depends only on what was recorded.
 */
public final class SiteRecorder {
  static final int BUCKETS = 1024;
  private static final long FIRST_BUCKET_NANOS = 10_000_000L;

  private final SitePlan plan;
  private final String model;
  private final RunOptions.Progress progress;
  private final int nodes;
  private final int subnets;
  private final int packages;
  private final int[] subnetOf;
  private final long[] started;
  private final long[] done;
  private final long[] leftAt;
  private final long[] uploaded;
  private final long[][] received;
  private final long[] wanBySubnet;
  private long wanBytes;
  private long wanUnattributed;
  private long bucketNanos = FIRST_BUCKET_NANOS;
  private final long[][] series; // [subnets + 1][BUCKETS]; the last row is the total
  private final Map<String, long[]> originByReason = new TreeMap<>();
  private final List<Map<String, long[]>> originBySubnet = new ArrayList<>();
  private long badBlocks;
  private long events;
  private long lastTime;
  private int downloadsDone;
  private final int downloadsPlanned;
  private final long timeLimitNanos;
  private final List<String> notes = new ArrayList<>();
  private SiteReport.Baseline baseline;
  private final Map<String, Object> extra = new TreeMap<>();

  /**
   * @param plan the planned site (subnet and role of every node, downloads)
   * @param model the model's name for the report
   * @param progress receives {@link #tick}s
   */
  public SiteRecorder(SitePlan plan, String model, RunOptions.Progress progress) {
    this.plan = plan;
    this.model = model;
    this.progress = progress;
    this.nodes = plan.nodes().size();
    this.subnets = plan.scenario().subnets().size();
    this.packages = plan.scenario().packages().size();
    this.subnetOf = plan.subnetOf();
    this.started = new long[nodes * packages];
    this.done = new long[nodes * packages];
    Arrays.fill(started, -1);
    Arrays.fill(done, -1);
    this.leftAt = new long[nodes];
    Arrays.fill(leftAt, -1);
    this.uploaded = new long[nodes];
    this.received = new long[ByteSource.values().length][nodes];
    this.wanBySubnet = new long[subnets];
    this.series = new long[subnets + 1][BUCKETS];
    for (int i = 0; i < subnets; i++) {
      originBySubnet.add(new TreeMap<>());
    }
    int planned = 0;
    for (SitePlan.Node n : plan.nodes()) {
      for (int p = 0; p < packages; p++) {
        if (n.wants(p)) {
          planned++;
        }
      }
    }
    this.downloadsPlanned = planned;
    this.timeLimitNanos = plan.scenario().timeLimit().toNanos();
  }

  public SitePlan plan() {
    return plan;
  }

  /**
   * {@code bytes} crossed the WAN link at {@code atNanos}, for a node of {@code subnet} (-1 when the
   * measurement cannot tell, e.g. the live router's interface counters).
   */
  public void wanBytes(long atNanos, int subnet, long bytes) {
    wanBytes(atNanos, atNanos, subnet, bytes);
  }

  /**
   * {@code bytes} crossed the WAN link between {@code fromNanos} and {@code toNanos} (e.g. one
   * block's serialisation): the time series spreads them over that span.
   */
  public void wanBytes(long fromNanos, long toNanos, int subnet, long bytes) {
    checkTime(fromNanos);
    if (toNanos < fromNanos) {
      throw new IllegalArgumentException("span ends before it starts: " + toNanos + " < " + fromNanos);
    }
    if (subnet < -1 || subnet >= subnets) {
      throw new IllegalArgumentException("no subnet " + subnet);
    }
    wanBytes += bytes;
    if (subnet >= 0) {
      wanBySubnet[subnet] += bytes;
    } else {
      wanUnattributed += bytes;
    }
    grow(toNanos);
    long first = fromNanos / bucketNanos;
    long last = toNanos / bucketNanos;
    long left = bytes;
    for (long b = first; b <= last; b++) {
      // The share of [from, to] inside bucket b; the last bucket takes the rest (no rounding loss).
      long share = b == last ? left : (long) ((double) bytes * (Math.min(toNanos, (b + 1) * bucketNanos)
          - Math.max(fromNanos, b * bucketNanos)) / Math.max(1, toNanos - fromNanos));
      share = Math.min(share, left);
      left -= share;
      series[subnets][(int) b] += share;
      if (subnet >= 0) {
        series[subnet][(int) b] += share;
      }
    }
    lastTime = Math.max(lastTime, toNanos);
  }

  /** Widens the buckets until {@code atNanos} falls inside the series. */
  private void grow(long atNanos) {
    long index = atNanos / bucketNanos;
    while (index >= BUCKETS) {
      for (long[] row : series) {
        for (int i = 0; i < BUCKETS / 2; i++) {
          row[i] = row[2 * i] + row[2 * i + 1];
        }
        Arrays.fill(row, BUCKETS / 2, BUCKETS, 0);
      }
      bucketNanos *= 2;
      index = atNanos / bucketNanos;
    }
  }

  /** Node {@code node} finished package {@code pkg} (started at {@code startedAt}). */
  public void downloadDone(int node, int pkg, long startedAt, long doneAt) {
    checkNode(node);
    checkTime(startedAt);
    if (doneAt < startedAt) {
      throw new IllegalArgumentException("done before started: " + doneAt + " < " + startedAt);
    }
    if (pkg < 0 || pkg >= packages) {
      throw new IllegalArgumentException("no package " + pkg);
    }
    int k = node * packages + pkg;
    if (done[k] < 0) {
      downloadsDone++;
    }
    started[k] = startedAt;
    done[k] = doneAt;
    lastTime = Math.max(lastTime, doneAt);
  }

  /** Node {@code node} of {@code subnet} finished (the only package). */
  public void nodeDone(int node, int subnet, long startedAt, long doneAt) {
    checkNode(node);
    if (subnetOf[node] != subnet) {
      throw new IllegalArgumentException("node " + node + " is in subnet " + subnetOf[node] + ", not " + subnet);
    }
    downloadDone(node, 0, startedAt, doneAt);
  }

  /** Node {@code node} left the site (stopped serving and fetching). */
  public void nodeLeft(int node, long atNanos) {
    checkNode(node);
    checkTime(atNanos);
    leftAt[node] = atNanos;
  }

  /** Node {@code node} sent {@code bytes} of blocks to peers (PCCRR, or a model's LAN copy). */
  public void uploaded(int node, long bytes) {
    checkNode(node);
    uploaded[node] += bytes;
  }

  /** Node {@code node} stored {@code bytes} obtained from {@code source} (first copies only). */
  public void received(int node, ByteSource source, long bytes) {
    checkNode(node);
    received[source.ordinal()][node] += bytes;
  }

  /**
   * Node {@code node} fetched {@code bytes} from the origin for {@code reason} (a label of the
   * shared vocabulary, e.g. {@code no_peer}, {@code coordinated}); one call per fetch.
   */
  public void originFetch(int node, String reason, long bytes) {
    checkNode(node);
    if (reason == null || !reason.matches("[a-z][a-z0-9_]{0,31}")) {
      throw new IllegalArgumentException("reason must be a lower-case label, got " + reason);
    }
    add(originByReason, reason, 1, bytes);
    add(originBySubnet.get(subnetOf[node]), reason, 1, bytes);
  }

  /** Records {@code fetches} origin fetches and their bytes at once (a node's counters, live). */
  public void originFetches(int node, String reason, long fetches, long bytes) {
    checkNode(node);
    add(originByReason, reason, fetches, bytes);
    add(originBySubnet.get(subnetOf[node]), reason, fetches, bytes);
  }

  private static void add(Map<String, long[]> m, String reason, long fetches, long bytes) {
    long[] v = m.computeIfAbsent(reason, r -> new long[2]);
    v[0] += fetches;
    v[1] += bytes;
  }

  /** A block from a peer failed verification at node {@code node}. */
  public void badBlock(int node) {
    checkNode(node);
    badBlocks++;
  }

  /**
   * The model's event count so far, and a chance to report progress.
   *
   * @throws IllegalStateException when {@code nowNanos} is past the scenario's time-limit (the run stops)
   */
  public void tick(long nowNanos, long eventsSoFar) {
    if (nowNanos > timeLimitNanos) {
      throw new IllegalStateException(String.format(java.util.Locale.ROOT,
          "stopped at the scenario's time-limit (%.0f s) with %d of %d downloads done", timeLimitNanos / 1e9,
          downloadsDone, downloadsPlanned));
    }
    this.events = eventsSoFar;
    lastTime = Math.max(lastTime, nowNanos);
    progress.update(nowNanos / 1e9, downloadsDone, downloadsPlanned, eventsSoFar, wanBytes);
  }

  /** The model's total event count. */
  public void events(long total) {
    this.events = total;
  }

  /** A sentence for the report (e.g. what the model does not model). */
  public void note(String text) {
    notes.add(text);
  }

  /** A baseline measured in the same run (live: plain HTTP GETs through the same WAN). */
  public void baseline(SiteReport.Baseline b) {
    this.baseline = b;
  }

  /** A model-specific number or section for report.json (keys sorted). */
  public void extra(String key, Object value) {
    extra.put(key, value);
  }

  /** Bytes across the WAN so far. */
  public long wanBytes() {
    return wanBytes;
  }

  /** Downloads finished so far. */
  public int downloadsDone() {
    return downloadsDone;
  }

  private void checkNode(int node) {
    if (node < 0 || node >= nodes) {
      throw new IllegalArgumentException("no node " + node);
    }
  }

  private static void checkTime(long t) {
    if (t < 0) {
      throw new IllegalArgumentException("negative time " + t);
    }
  }

  /** The report; {@code endNanos} is when the run ended (simulated or real). */
  public SiteReport finish(long endNanos) {
    lastTime = Math.max(lastTime, endNanos);
    int used = (int) Math.min(BUCKETS, lastTime / bucketNanos + 1);
    long[][] trimmed = new long[series.length][];
    for (int i = 0; i < series.length; i++) {
      trimmed[i] = Arrays.copyOf(series[i], used);
    }
    return new SiteReport(new SiteReport.Data(plan, model, started.clone(), done.clone(), leftAt.clone(),
        uploaded.clone(), deepCopy(received), wanBytes, wanBySubnet.clone(), wanUnattributed, bucketNanos, trimmed,
        copy(originByReason), originBySubnet.stream().map(SiteRecorder::copy).toList(), badBlocks, events,
        lastTime, List.copyOf(notes), baseline, new TreeMap<>(extra)), Double.NaN);
  }

  private static Map<String, long[]> copy(Map<String, long[]> m) {
    Map<String, long[]> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.clone()));
    return out;
  }

  private static long[][] deepCopy(long[][] a) {
    long[][] out = new long[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
    }
    return out;
  }
}
