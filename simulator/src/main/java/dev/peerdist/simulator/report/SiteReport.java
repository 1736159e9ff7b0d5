package dev.peerdist.simulator.report;

import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.scenario.Ideal;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.SitePlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one run of a {@link SiteModel} measured, in the same shape for every model and for the
 * live harness: {@code report.json} is {@link #toMap()}, the terminal summary {@link #toTable()},
 * {@code report.html} draws the former. Fill it through a {@link SiteRecorder}; {@link SiteRun}
 * adds the run time. The field meanings are documented in docs/SIMULATOR.md ("Report fields").
 *
 * <p>Completion times are those of clients' downloads (start of the download to its last byte);
 * cache servers' own fetches are listed apart. The upload spread ({@code upload_max_over_mean})
 * is over client nodes (seeded clients and cache servers serve by design).
 */
public final class SiteReport {
  /**
   * A baseline measured in the same run: the same clients fetching the package plainly through
   * the same WAN.
   *
   * @param what one line saying what ran
   * @param completionSeconds per client that succeeded
   * @param failures clients whose fetch failed
   * @param wanBytes bytes across the WAN during the baseline
   * @param packageBytes the package size
   */
  public record Baseline(String what, List<Double> completionSeconds, int failures, long wanBytes, long packageBytes) {
    public Baseline {
      completionSeconds = List.copyOf(completionSeconds);
    }

    public double lastSeconds() {
      return completionSeconds.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    public double wanRatio() {
      return (double) wanBytes / packageBytes;
    }
  }

  record Data(SitePlan plan, String model, long[] started, long[] done, long[] leftAt, long[] uploaded,
      long[][] received, long wanBytes, long[] wanBySubnet, long wanUnattributed, long bucketNanos, long[][] series,
      Map<String, long[]> originByReason, List<Map<String, long[]>> originBySubnet, long badBlocks, long events,
      long endNanos, List<String> notes, Baseline baseline, Map<String, Object> extra) {}

  private final Data d;
  private final double runtimeSeconds;
  private final Scenario scenario;
  private final Ideal ideal;
  private final int packages;
  private final long packageBytes;
  private final double[] completion; // client downloads, sorted
  private final int downloads;
  private final int nodesLeft;

  SiteReport(Data d, double runtimeSeconds) {
    this.d = d;
    this.runtimeSeconds = runtimeSeconds;
    this.scenario = d.plan().scenario();
    this.ideal = scenario.ideal();
    this.packages = scenario.packages().size();
    this.packageBytes = scenario.packages().stream().mapToLong(Scenario.PackageSpec::sizeBytes).sum();
    this.completion = completions(-1, SitePlan.Role.CLIENT);
    int planned = 0;
    for (SitePlan.Node n : d.plan().nodes()) {
      for (int p = 0; p < packages; p++) {
        if (n.role() == SitePlan.Role.CLIENT && n.wants(p)) {
          planned++;
        }
      }
    }
    this.downloads = planned;
    this.nodesLeft = (int) Arrays.stream(d.leftAt()).filter(t -> t >= 0).count();
  }

  /** The same report with the run's wall-clock time (for {@code runtime_s}, {@code events_per_second}). */
  public SiteReport withRuntime(double seconds) {
    return new SiteReport(d, seconds);
  }

  private double[] completions(int subnet, SitePlan.Role role) {
    List<Double> out = new ArrayList<>();
    for (SitePlan.Node n : d.plan().nodes()) {
      if (n.role() != role || (subnet >= 0 && n.subnet() != subnet)) {
        continue;
      }
      for (int p = 0; p < packages; p++) {
        int k = n.id() * packages + p;
        if (d.done()[k] >= 0) {
          out.add((d.done()[k] - d.started()[k]) / 1e9);
        }
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }

  /** Nearest-rank percentile of sorted values; NaN when there are none. */
  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int at = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, at))];
  }

  public String model() {
    return d.model();
  }

  public Scenario scenario() {
    return scenario;
  }

  public int nodes() {
    return d.plan().nodes().size();
  }

  public long seed() {
    return scenario.seed();
  }

  /** The sum of the scenario's package sizes. */
  public long packageBytes() {
    return packageBytes;
  }

  public long wanBytes() {
    return d.wanBytes();
  }

  public double wanRatio() {
    return (double) d.wanBytes() / packageBytes;
  }

  public long receivedBytes(ByteSource source) {
    return Arrays.stream(d.received()[source.ordinal()]).sum();
  }

  /** Share of the bytes nodes stored that came from peers. */
  public double peerByteFraction() {
    long total = 0;
    for (ByteSource s : ByteSource.values()) {
      total += receivedBytes(s);
    }
    return total == 0 ? 0 : (double) receivedBytes(ByteSource.PEER) / total;
  }

  /** Client downloads planned and completed. */
  public int downloads() {
    return downloads;
  }

  public int downloadsCompleted() {
    return completion.length;
  }

  public int nodesLeft() {
    return nodesLeft;
  }

  /** Client completion times (seconds), sorted. */
  public double[] completionSeconds() {
    return completion.clone();
  }

  public double completionP50() {
    return percentile(completion, 0.50);
  }

  public double completionP99() {
    return percentile(completion, 0.99);
  }

  public double completionMax() {
    return percentile(completion, 1.0);
  }

  public double idealSeconds() {
    return ideal.seconds();
  }

  public double p99OverIdeal() {
    return completionP99() / ideal.seconds();
  }

  /** The slowest client download ÷ ideal ("last node done ÷ ideal" when all start together). */
  public double maxOverIdeal() {
    return completionMax() / ideal.seconds();
  }

  /** Uploaded bytes per node, by id. */
  public long[] uploadedBytes() {
    return d.uploaded().clone();
  }

  /** The busiest client uploader ÷ the mean client upload; 0 when clients uploaded nothing. */
  public double uploadMaxOverMean() {
    return uploadSpread(-1)[2];
  }

  /** {max, mean, max ÷ mean} over client nodes (of {@code subnet}, or all when -1). */
  private double[] uploadSpread(int subnet) {
    long max = 0;
    long sum = 0;
    int n = 0;
    for (SitePlan.Node node : d.plan().nodes()) {
      if (node.role() == SitePlan.Role.CLIENT && (subnet < 0 || node.subnet() == subnet)) {
        max = Math.max(max, d.uploaded()[node.id()]);
        sum += d.uploaded()[node.id()];
        n++;
      }
    }
    double mean = n == 0 ? 0 : (double) sum / n;
    return new double[] {max, mean, mean == 0 ? 0 : max / mean};
  }

  /** Origin fetches by reason: {fetches, bytes}. */
  public Map<String, long[]> originByReason() {
    Map<String, long[]> m = new LinkedHashMap<>();
    d.originByReason().forEach((k, v) -> m.put(k, v.clone()));
    return m;
  }

  public long events() {
    return d.events();
  }

  /** Wall-clock seconds the run took (NaN before {@link SiteRun} set it). */
  public double runtimeSeconds() {
    return runtimeSeconds;
  }

  public double eventsPerSecond() {
    return runtimeSeconds > 0 ? d.events() / runtimeSeconds : Double.NaN;
  }

  /** Simulated (model) or real (live) seconds from the start to the last thing recorded. */
  public double endSeconds() {
    return d.endNanos() / 1e9;
  }

  public Baseline baseline() {
    return d.baseline();
  }

  public List<String> notes() {
    return d.notes();
  }

  /** report.json: every field of docs/SIMULATOR.md "Report fields"; key order is fixed. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "peerdist-site-report/1");
    m.put("model", d.model());
    m.put("scenario_name", scenario.name());
    m.put("seed", scenario.seed());
    m.put("nodes", nodes());
    m.put("clients", scenario.clients());
    m.put("subnets", scenario.subnets().size());
    m.put("package_bytes", packageBytes);
    m.put("downloads", downloads);
    m.put("downloads_completed", completion.length);
    m.put("nodes_left", nodesLeft);
    m.put("wan_bytes", d.wanBytes());
    m.put("wan_ratio", num(wanRatio()));
    m.put("peer_bytes", receivedBytes(ByteSource.PEER));
    m.put("origin_bytes", receivedBytes(ByteSource.ORIGIN));
    m.put("local_bytes", receivedBytes(ByteSource.LOCAL));
    m.put("peer_byte_fraction", num(peerByteFraction()));
    m.put("bad_blocks", d.badBlocks());
    m.put("completion_p50_s", num(completionP50()));
    m.put("completion_p90_s", num(percentile(completion, 0.90)));
    m.put("completion_p99_s", num(completionP99()));
    m.put("completion_max_s", num(completionMax()));
    m.put("ideal_s", num(ideal.seconds()));
    m.put("p50_over_ideal", num(completionP50() / ideal.seconds()));
    m.put("p99_over_ideal", num(p99OverIdeal()));
    m.put("max_over_ideal", num(maxOverIdeal()));
    double[] up = uploadSpread(-1);
    m.put("upload_max_bytes", (long) up[0]);
    m.put("upload_mean_bytes", num(up[1]));
    m.put("upload_max_over_mean", num(up[2]));
    m.put("origin_by_reason", reasons(d.originByReason()));
    m.put("end_s", num(endSeconds()));
    m.put("events", d.events());
    m.put("runtime_s", num(runtimeSeconds));
    m.put("events_per_second", num(eventsPerSecond()));
    m.put("ideal", ideal.toMap());
    m.put("completion_times_s", list(completion));
    m.put("cache_server_completion_s", list(completions(-1, SitePlan.Role.CACHE_SERVER)));
    m.put("uploaded_bytes", longs(d.uploaded()));
    List<String> roles = new ArrayList<>();
    List<Integer> subnetOf = new ArrayList<>();
    for (SitePlan.Node n : d.plan().nodes()) {
      roles.add(n.role().name().toLowerCase(Locale.ROOT));
      subnetOf.add(n.subnet());
    }
    m.put("node_roles", roles);
    m.put("node_subnets", subnetOf);
    Map<String, Object> series = new LinkedHashMap<>();
    series.put("bucket_s", num(d.bucketNanos() / 1e9));
    series.put("bytes", longs(d.series()[d.series().length - 1]));
    m.put("wan_series", series);
    m.put("wan_unattributed_bytes", d.wanUnattributed());
    List<Object> subs = new ArrayList<>();
    for (int i = 0; i < scenario.subnets().size(); i++) {
      subs.add(subnetMap(i));
    }
    m.put("per_subnet", subs);
    if (d.baseline() != null) {
      Baseline b = d.baseline();
      Map<String, Object> bm = new LinkedHashMap<>();
      bm.put("what", b.what());
      bm.put("clients_ok", b.completionSeconds().size());
      bm.put("failures", b.failures());
      bm.put("last_done_s", num(b.lastSeconds()));
      bm.put("last_over_ideal", num(b.lastSeconds() / ideal.seconds()));
      bm.put("wan_bytes", b.wanBytes());
      bm.put("wan_ratio", num(b.wanRatio()));
      bm.put("completion_times_s", b.completionSeconds().stream().sorted().map(SiteReport::num).toList());
      m.put("baseline", bm);
    }
    if (!d.extra().isEmpty()) {
      m.put("extra", d.extra());
    }
    m.put("notes", d.notes());
    m.put("scenario", scenario.toMap());
    return m;
  }

  /**
   * Whether the run's WAN bytes were measured per subnet: a model run attributes every byte, the
   * live harness counts the site's WAN link as a whole ({@code wan_unattributed_bytes}).
   */
  public boolean wanBySubnetKnown() {
    return d.wanUnattributed() == 0;
  }

  /** What the clients and cache servers of subnet {@code i} received, by {@link ByteSource} ordinal. */
  private long[] receivedBySource(int i) {
    long[] bySource = new long[ByteSource.values().length];
    for (SitePlan.Node n : d.plan().nodes()) {
      if (n.subnet() == i) {
        for (ByteSource b : ByteSource.values()) {
          bySource[b.ordinal()] += d.received()[b.ordinal()][n.id()];
        }
      }
    }
    return bySource;
  }

  private Map<String, Object> subnetMap(int i) {
    Scenario.Subnet s = scenario.subnets().get(i);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("clients", s.clients());
    m.put("cache_servers", s.cacheServers());
    // A measurement that cannot tell subnets apart (the live router's interface counters) leaves
    // the subnets' WAN unknown, not zero: null here, and origin_bytes (the nodes' own counters)
    // says which subnet fetched what.
    m.put("wan_bytes", wanBySubnetKnown() ? d.wanBySubnet()[i] : null);
    long[] bySource = receivedBySource(i);
    long total = Arrays.stream(bySource).sum();
    m.put("peer_bytes", bySource[ByteSource.PEER.ordinal()]);
    m.put("origin_bytes", bySource[ByteSource.ORIGIN.ordinal()]);
    m.put("peer_byte_fraction", num(total == 0 ? 0 : (double) bySource[ByteSource.PEER.ordinal()] / total));
    double[] c = completions(i, SitePlan.Role.CLIENT);
    m.put("downloads_completed", c.length);
    m.put("completion_p50_s", num(percentile(c, 0.5)));
    m.put("completion_p99_s", num(percentile(c, 0.99)));
    m.put("completion_max_s", num(percentile(c, 1.0)));
    m.put("ideal_s", num(ideal.subnetSeconds()[i]));
    m.put("p99_over_ideal", num(percentile(c, 0.99) / ideal.subnetSeconds()[i]));
    double[] up = uploadSpread(i);
    m.put("upload_max_over_mean", num(up[2]));
    m.put("origin_by_reason", reasons(d.originBySubnet().get(i)));
    m.put("completion_times_s", list(c));
    if (wanBySubnetKnown()) {
      m.put("wan_series_bytes", longs(d.series()[i]));
    }
    return m;
  }

  private static Map<String, Object> reasons(Map<String, long[]> r) {
    Map<String, Object> m = new LinkedHashMap<>();
    r.forEach((k, v) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("fetches", v[0]);
      e.put("bytes", v[1]);
      m.put(k, e);
    });
    return m;
  }

  /** JSON has no NaN or infinity: those become null. */
  static Object num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static List<Object> list(double[] v) {
    List<Object> out = new ArrayList<>(v.length);
    for (double x : v) {
      out.add(num(x));
    }
    return out;
  }

  private static List<Long> longs(long[] v) {
    List<Long> out = new ArrayList<>(v.length);
    for (long x : v) {
      out.add(x);
    }
    return out;
  }

  /** The terminal summary. */
  public String toTable() {
    StringBuilder b = new StringBuilder();
    row(b, "scenario / model / seed", scenario.name() + " / " + d.model() + " / " + scenario.seed());
    row(b, "nodes (clients, subnets)", nodes() + " (" + scenario.clients() + ", " + scenario.subnets().size() + ")");
    row(b, "downloads completed / planned", completion.length + " / " + downloads
        + (nodesLeft > 0 ? " (" + nodesLeft + " nodes left)" : ""));
    row(b, "package bytes", mib(packageBytes));
    row(b, "WAN bytes", mib(d.wanBytes()));
    row(b, "WAN bytes ÷ package size", fmt("%.2f", wanRatio()));
    row(b, "bytes from peers", fmt("%.1f %%", 100 * peerByteFraction()));
    row(b, "completion p50 / p99 / max", fmt("%.2f s / %.2f s / %.2f s", completionP50(), completionP99(),
        completionMax()));
    row(b, "ideal (see docs/SIMULATOR.md)", fmt("%.2f s", ideal.seconds()));
    row(b, "p99 ÷ ideal", fmt("%.2f", p99OverIdeal()));
    row(b, "last node done ÷ ideal", fmt("%.2f", maxOverIdeal()));
    row(b, "busiest uploader ÷ mean upload", fmt("%.2f", uploadMaxOverMean()));
    StringBuilder reasons = new StringBuilder();
    d.originByReason().forEach((k, v) -> reasons.append(reasons.length() == 0 ? "" : ", ").append(k).append(' ')
        .append(mib(v[1])));
    row(b, "origin bytes by reason", reasons.length() == 0 ? "none" : reasons.toString());
    if (d.badBlocks() > 0) {
      row(b, "bad blocks received", Long.toString(d.badBlocks()));
    }
    if (scenario.subnets().size() > 1) {
      for (int i = 0; i < scenario.subnets().size(); i++) {
        double[] c = completions(i, SitePlan.Role.CLIENT);
        String wan = wanBySubnetKnown() ? "WAN " + mib(d.wanBySubnet()[i])
            : "origin " + mib(receivedBySource(i)[ByteSource.ORIGIN.ordinal()]) + " (the nodes' counters)";
        row(b, "  subnet " + scenario.subnets().get(i).name(), fmt("%s, p99 %.2f s (ideal %.2f s)", wan,
            percentile(c, 0.99), ideal.subnetSeconds()[i]));
      }
    }
    if (d.baseline() != null) {
      Baseline bl = d.baseline();
      row(b, "baseline: " + bl.what(), "");
      row(b, "  last done ÷ ideal", fmt("%.2f (%d ok, %d failed)", bl.lastSeconds() / ideal.seconds(),
          bl.completionSeconds().size(), bl.failures()));
      row(b, "  WAN bytes ÷ package", fmt("%.2f", bl.wanRatio()));
    }
    row(b, "simulated/real end", fmt("%.2f s", endSeconds()));
    row(b, "run time / events / events per s", fmt("%.2f s / %d / %.0f", runtimeSeconds, d.events(),
        eventsPerSecond()));
    for (String note : d.notes()) {
      b.append("note: ").append(note).append('\n');
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String name, String value) {
    b.append(String.format(Locale.ROOT, "%-38s %s%n", name, value));
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }
}
