package dev.peerdist.simulator.live;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.demo.DemoFiles;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.simulator.bench.ProcFigures;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteModel;
import dev.peerdist.simulator.report.SiteRecorder;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.SitePlan;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code peerdist simulate live}: runs a scenario with real processes: one {@code peerdist run}
 * daemon per node (its own RocksDB store in a temporary directory, real sockets, real PCCRD
 * multicast), a real {@code peerdist publish} serving generated packages, and a {@link DelayLine}
 * for the WAN round trip, laid out by {@link LiveNetwork} (network namespaces as root, loopback
 * otherwise). Every download starts at its planned time ({@link SitePlan}) through the node's
 * admin {@code /download} endpoint (a {@code curl | openssl dgst -sha256} pipeline on the node's
 * host, {@code sha256sum} where OpenSSL is missing: {@link DigestTool}; so the harness checks every
 * byte); nodes that leave are killed at their time. The report is filled
 * from the nodes' own counters ({@code /status}, {@code /metrics}) and from WAN counters: the
 * router's WAN interface (netns) or the delay line's byte counts (loopback). A baseline in the same
 * run fetches the first package plainly through the same WAN at the same start times.
 *
 * <p>Bounded: at most {@value #MAX_NODES} nodes, a setup timeout, the scenario's {@code time-limit}
 * for the downloads and again for the baseline. Everything it starts is stopped and every
 * namespace deleted at the end, on failure and on Ctrl-C (a shutdown hook); {@link Cleanup}
 * removes what a killed harness left.
 */
public final class LiveSite implements SiteModel {
  /**
   * The daemons' JVM options: the installed launcher's for {@code peerdist run}
   * (dist/src/bin/peerdist), so that a live figure is what an installed node does; from a
   * distribution the harness starts its daemons through that launcher itself. Not C1 only:
   * the fast SHA-256 and AES code needs C2 (docs/PERFORMANCE.md).
   */
  public static final List<String> DAEMON_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms20m", "-XX:NewSize=8m",
      "-XX:MaxNewSize=24m", "-XX:NewRatio=2", "-Xmx96m", "-XX:MinHeapFreeRatio=65", "-XX:-ShrinkHeapInSteps",
      "-Xss512k", "-XX:MaxDirectMemorySize=64m", "-XX:ReservedCodeCacheSize=48m", "-XX:MaxMetaspaceSize=96m",
      "-XX:+IgnoreUnrecognizedVMOptions", "-XX:TrimNativeHeapInterval=5000", "-XX:CompileThresholdScaling=3",
      "-Dio.netty.jfr.enabled=false", "-XX:CompileCommand=quiet",
      "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.CipherBlockChaining::*,0.01",
      "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.AESCrypt::impl*,0.01",
      "-XX:CompileCommand=MaxNodeLimit,io.netty.*::*,4000", "-XX:CompileCommand=MaxNodeLimit,dev.peerdist.*::*,4000",
      "-XX:CompileCommand=MaxNodeLimit,java.util.*::*,4000", "-XX:CompileCommand=MaxNodeLimit,sun.nio.*::*,4000",
      "-XX:CompileCommand=MaxNodeLimit,org.rocksdb.*::*,4000",
      "-XX:CompileCommand=CompileThresholdScaling,dev.peerdist.*::*,0.33",
      "-XX:CompileCommand=CompileThresholdScaling,io.netty.*::*,0.33");

  /** Most nodes a live run starts (each is a JVM with a RocksDB store). */
  public static final int MAX_NODES = 200;
  private static final long NANOS = 1_000_000_000L;
  private static final Pattern RUNNING = Pattern.compile("peerdist node running: .*PCCRR (?:[^/\\s]*/)?([0-9.]+):(\\d+), "
      + "admin (http://\\S+/)");
  private static final Pattern SERVING = Pattern.compile("serving (http://\\S+/)");
  private static final Pattern PUBLISHER_METRICS = Pattern.compile("metrics (http://\\S+/metrics)");
  private static final Pattern STATS = Pattern.compile("delay-line up=(\\d+) down=(\\d+) open=(\\d+)");
  private static final Pattern LISTENING = Pattern.compile("delay-line listening on (\\S+):(\\d+)");
  private static final String WARM_UP_FILE = "warm-up.bin";

  /** Where the processes run. */
  public enum Mode {
    /** Network namespaces when running as root with ip and tc, else loopback. */
    AUTO,
    /** Network namespaces (root). */
    NETNS,
    /** Loopback. */
    LOOPBACK
  }

  /**
   * How a live run is set up.
   *
   * @param mode netns, loopback or auto
   * @param tmp where the work directory {@code pdsim-RUN} goes
   * @param baseline also run the plain-HTTP baseline
   * @param nodeJvmOptions JVM options of every daemon
   * @param setupTimeout how long starting everything may take
   * @param keepWorkDir keep stores and logs after the run
   * @param warmUpBytes before the run every daemon fetches a package of this size (other bytes than
   *     the scenario's, not counted in any figure), so that the run sees daemons that have worked
   *     before, as on a site whose daemons run all day; 0: the run starts with fresh daemons
   * @param idleAfter after the downloads the daemons idle this long, then their RSS is read:
   *     issue 12's idle RSS after work (a daemon gives its grown heap back once idle for 20 s,
   *     {@code IdleHeapTrimmer}); zero: not measured. At most 10 minutes.
   * @param log progress of the setup (null: none)
   */
  public record Options(Mode mode, Path tmp, boolean baseline, List<String> nodeJvmOptions, Duration setupTimeout,
      boolean keepWorkDir, long warmUpBytes, Duration idleAfter, PrintWriter log) {
    public Options {
      nodeJvmOptions = List.copyOf(nodeJvmOptions);
      if (warmUpBytes < 0) {
        throw new IllegalArgumentException("warm-up size must be >= 0, got " + warmUpBytes);
      }
      if (idleAfter.isNegative() || idleAfter.compareTo(MAX_IDLE_AFTER) > 0) {
        throw new IllegalArgumentException("idle time after the run must be 0 to " + MAX_IDLE_AFTER.toMinutes()
            + " minutes, got " + idleAfter);
      }
    }

    /** The longest {@link #idleAfter}. */
    public static final Duration MAX_IDLE_AFTER = Duration.ofMinutes(10);

    /** Auto mode, the system temporary directory, with the baseline, 256 MiB heaps, 3 minutes of setup. */
    public static Options defaults() {
      return new Options(Mode.AUTO, Path.of(System.getProperty("java.io.tmpdir")), true,
          DAEMON_JVM_OPTIONS, Duration.ofMinutes(3), false, 0, Duration.ZERO, null);
    }
  }

  private final Options options;

  public LiveSite(Options options) {
    this.options = options;
  }

  @Override
  public String name() {
    return "live";
  }

  @Override
  public void check(Scenario s, RunOptions o) {
    List<String> refused = new ArrayList<>();
    if (s.nodes() > MAX_NODES) {
      refused.add("more than " + MAX_NODES + " nodes (" + s.nodes() + ")");
    }
    if (s.faults().corruptFraction() > 0) {
      refused.add("corrupt peers (a real daemon cannot be told to serve bad blocks)");
    }
    if (!refused.isEmpty()) {
      throw new ScenarioException("the live harness cannot run scenario " + s.name() + ": " + String.join("; ", refused));
    }
  }

  /** True when this process may use network namespaces: root, with ip and tc. */
  public static boolean canUseNamespaces() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          boolean root = line.split("\\s+")[1].equals("0");
          return root && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")))
              && (Files.isExecutable(Path.of("/usr/sbin/tc")) || Files.isExecutable(Path.of("/sbin/tc")));
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  @Override
  public SiteReport run(Scenario s, RunOptions o) {
    check(s, o);
    boolean netns = switch (options.mode()) {
      case NETNS -> true;
      case LOOPBACK -> false;
      default -> canUseNamespaces();
    };
    if (netns && !canUseNamespaces()) {
      throw new ScenarioException("--mode netns needs root and the ip and tc commands (iproute2)");
    }
    for (String tool : List.of("curl", "bash")) {
      if (!onPath(tool)) {
        throw new ScenarioException("the live harness needs " + tool + " on the PATH");
      }
    }
    DigestTool digest = DigestTool.forThisMachine();
    if (digest == null) {
      throw new ScenarioException("the live harness needs openssl or sha256sum on the PATH");
    }
    try (Run run = new Run(s, o, netns, digest)) {
      return run.execute();
    } catch (IOException e) {
      throw new IllegalStateException("live run failed: " + e.getMessage(), e);
    }
  }

  private static boolean onPath(String tool) {
    return DigestTool.find(DigestTool.machinePath(), tool) != null;
  }

  /** One download the harness started: by whom, when, and how it ended. */
  private static final class Fetch {
    final int node;
    final int pkg;
    final long plannedNanos;
    volatile long launchedNanos = -1;
    volatile long endedNanos = -1;
    volatile Process process;
    volatile String hash;
    volatile int exit = -1;
    volatile long nodeElapsedMs = -1;

    Fetch(int node, int pkg, long plannedNanos) {
      this.node = node;
      this.pkg = pkg;
      this.plannedNanos = plannedNanos;
    }

    boolean ended() {
      return endedNanos >= 0;
    }
  }

  /** The state of one live run; closing it stops everything it started. */
  private final class Run implements AutoCloseable {
    private final Scenario scenario;
    /** What every download is piped into for its SHA-256 (the baseline's too). */
    private final DigestTool digest;
    private final RunOptions runOptions;
    private final SitePlan plan;
    private final String runId;
    private final Path work;
    private final Processes processes;
    private final LiveNetwork net;
    private final Thread hook;
    private final List<String> hashes = new ArrayList<>();
    private final Map<Integer, Process> nodeProcesses = new HashMap<>();
    private final Map<Integer, String> adminUrl = new HashMap<>();
    private final Map<Integer, String> pccrr = new HashMap<>();
    private final Map<Integer, Long> leftAt = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per node that left: {CPU seconds, peak RSS KiB} just before it was killed. */
    private final Map<Integer, double[]> leftFigures = new java.util.concurrent.ConcurrentHashMap<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "live-timers");
      t.setDaemon(true);
      return t;
    });
    private Process delayLine;
    private OutputStream delayLineStdin;
    private String warmUpHash;
    private String publisherMetrics;
    private Map<Integer, NodeCounters> runStart = Map.of();
    private volatile long dlUp;
    private volatile long dlDown;
    private volatile String dlListen;
    private String publisherDirect;
    private boolean failed = true;
    private boolean closed;

    Run(Scenario scenario, RunOptions runOptions, boolean netns, DigestTool digest) throws IOException {
      this.scenario = scenario;
      this.digest = digest;
      this.runOptions = runOptions;
      this.plan = SitePlan.of(scenario);
      byte[] id = new byte[3];
      new SecureRandom().nextBytes(id);
      this.runId = HexFormat.of().formatHex(id);
      this.work = options.tmp().resolve(LiveNetwork.PREFIX + runId);
      Files.createDirectories(work.resolve("logs"));
      Files.writeString(work.resolve(Cleanup.MARKER_FILE), "live run " + runId + "\n");
      this.processes = new Processes(runId);
      int discoveryBase = 20_000 + new SplittableRandom().nextInt(40_000 - scenario.subnets().size());
      this.net = new LiveNetwork(netns, runId, processes, scenario, plan, discoveryBase);
      this.hook = new Thread(this::close, "live-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    private void say(String format, Object... args) {
      if (options.log() != null) {
        options.log().printf(Locale.ROOT, "live: " + format + "%n", args);
        options.log().flush();
      }
    }

    SiteReport execute() throws IOException {
      long setupDeadline = System.nanoTime() + options.setupTimeout().toNanos();
      say("run %s in %s mode, work directory %s", runId, net.mode(), work);
      generatePackages();
      net.setUp();
      startPublisher(setupDeadline);
      startDelayLine(setupDeadline);
      for (int p = 0; p < scenario.packages().size(); p++) {
        waitForContentInformation(file(p), setupDeadline);
      }
      if (options.warmUpBytes() > 0) {
        waitForContentInformation(WARM_UP_FILE, setupDeadline);
      }
      startNodes(setupDeadline);
      seedClients(setupDeadline);
      SiteRecorder recorder = new SiteRecorder(plan, "live-" + net.mode(), RunOptions.Progress.NONE);
      if (options.warmUpBytes() > 0) {
        warmUp(recorder);
      }
      recorder.note("live " + net.mode() + " run " + runId + ": " + plan.nodes().size() + " peerdist daemons, "
          + (net.netns() ? "WAN bytes from the router's WAN interface (publisher → site, with TCP/IP headers)"
          : "WAN bytes from the delay line (payload; the publisher's upload is capped at the WAN rate)"));
      recorder.note(Processes.daemonLauncher(options.nodeJvmOptions())
          .map(l -> "daemons started through the installed launcher " + l + " (its JVM options and start-up archive)")
          .orElse("daemons started as java " + String.join(" ", options.nodeJvmOptions())
              + " with the harness's class path"));
      runStart = nodeCounters();
      Map<Integer, double[]> before = nodeFigures();
      long end = downloads(recorder);
      perNodeCost(recorder, before);
      if (!options.idleAfter().isZero()) {
        idleAfterRun(recorder);
      }
      collect(recorder);
      if (options.baseline()) {
        baseline(recorder);
      }
      recorder.extra("live_mode", net.mode());
      recorder.extra("live_run", runId);
      recorder.extra("harness_digest", digest.name());
      failed = false;
      return recorder.finish(end);
    }

    // ---- setup ----

    private Path root() {
      return work.resolve("publisher-root");
    }

    private String file(int p) {
      return scenario.packages().get(p).name() + ".bin";
    }

    /** Seeded random bytes for each package, hashed as written. */
    private void generatePackages() throws IOException {
      Files.createDirectories(root());
      for (int p = 0; p < scenario.packages().size(); p++) {
        byte[] sha = DemoFiles.writePackage(root().resolve(file(p)), scenario.packages().get(p).sizeBytes(),
            scenario.seed() * 31 + p);
        hashes.add(HexFormat.of().formatHex(sha));
      }
      if (options.warmUpBytes() > 0) {
        warmUpHash = HexFormat.of().formatHex(DemoFiles.writePackage(root().resolve(WARM_UP_FILE),
            options.warmUpBytes(), scenario.seed() * 31 - 1));
      }
    }

    private void startPublisher(long deadline) throws IOException {
      List<String> args = new ArrayList<>(List.of("publish", "--root", root().toString(), "--bind", net.publisherBind(),
          "--port", net.netns() ? Integer.toString(LiveNetwork.PUBLISHER_PORT) : "0", "--state",
          work.resolve("publisher-state").toString(), "--max-version",
          Integer.toString(scenario.publisher().contentVersion()), "--precompute", "--hash-wait", "60s",
          "--metrics-port", "0"));
      long cap = scenario.publisher().uploadBitsPerSecond();
      if (!net.netns()) {
        cap = cap == 0 ? scenario.wanBitsPerSecond() : Math.min(cap, scenario.wanBitsPerSecond());
      }
      if (cap > 0) {
        args.add("--upload-rate");
        args.add(cap + "bit");
      }
      Path log = work.resolve("logs/publisher.log");
      processes.start(net.on(net.publisher(), processes.peerdist(List.of("-Xmx512m"), args)), log, Map.of());
      Matcher m = waitForLine(log, SERVING, deadline, "the publisher");
      publisherMetrics = waitForLine(log, PUBLISHER_METRICS, deadline, "the publisher's metrics").group(1);
      String url = m.group(1);
      publisherDirect = url.replace("0.0.0.0", net.publisherBind());
      say("publisher serving %s", publisherDirect);
    }

    private void startDelayLine(long deadline) throws IOException {
      java.net.URI pub = java.net.URI.create(publisherDirect);
      List<String> args = List.of("simulate", "delay-line", "--listen", net.delayBind() + ":"
          + (net.netns() ? LiveNetwork.DELAY_PORT : 0), "--target", pub.getHost() + ":" + pub.getPort(), "--one-way-us",
          Long.toString(scenario.wanRtt().toNanos() / 2000), "--max-buffered",
          Long.toString(delayLineBuffer(scenario.wanBitsPerSecond(), scenario.wanRtt())));
      delayLine = processes.startPiped(net.on(net.router(), processes.peerdist(List.of("-Xmx128m"), args)));
      delayLineStdin = delayLine.getOutputStream();
      Path log = work.resolve("logs/delay-line.log");
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(delayLine.getInputStream(),
            StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log))) {
          String line;
          while ((line = in.readLine()) != null) {
            Matcher s = STATS.matcher(line);
            if (s.find()) {
              dlUp = Long.parseLong(s.group(1));
              dlDown = Long.parseLong(s.group(2));
              continue;
            }
            Matcher l = LISTENING.matcher(line);
            if (l.find()) {
              dlListen = l.group(2);
            }
            out.println(line);
            out.flush();
          }
        } catch (IOException e) {
          // The process ended: nothing more to read.
        }
      }, "live-delay-line-output");
      reader.setDaemon(true);
      reader.start();
      while (dlListen == null) {
        if (!delayLine.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("the delay line did not start: " + Processes.tail(log, 2000));
        }
        sleep(50);
      }
      say("delay line on port %s, one way %.1f ms", dlListen, scenario.wanRtt().toNanos() / 2e6);
    }

    private int delayPort() {
      return Integer.parseInt(dlListen);
    }

    private String packageUrl(int subnet, int p) {
      return fileUrl(subnet, file(p));
    }

    /** {@code file} at the publisher as the nodes of {@code subnet} reach it (through the delay line). */
    private String fileUrl(int subnet, String file) {
      return net.publisherUrl(subnet, delayPort()) + file;
    }

    /**
     * Every daemon fetches the warm-up package at once, as in a flash crowd (origin ranges, PCCRR
     * both ways, discovery, the store), and the run waits until all have it. What the daemons
     * count meanwhile is left out of the run's figures: the WAN counters, CPU and memory figures
     * and the nodes' counters are all taken after it ({@link #nodeCounters}).
     */
    private void warmUp(SiteRecorder recorder) throws IOException {
      long t = System.nanoTime();
      long limit = Math.max(1, scenario.timeLimit().toSeconds());
      Map<Integer, Process> fetches = new LinkedHashMap<>();
      for (SitePlan.Node n : plan.nodes()) {
        fetches.put(n.id(), processes.startPiped(net.on(net.node(n.id()),
            fetchCommand(n.id(), fileUrl(n.subnet(), WARM_UP_FILE), limit))));
      }
      say("warm-up: %d daemons fetching %.0f MiB each", fetches.size(), options.warmUpBytes() / 1048576.0);
      for (Map.Entry<Integer, Process> e : fetches.entrySet()) {
        String out = waitOutput(e.getValue(), limit);
        if (e.getValue().exitValue() != 0 || !out.startsWith(warmUpHash)) {
          throw new IOException("node " + e.getKey() + " failed the warm-up fetch of " + WARM_UP_FILE + ": " + out);
        }
      }
      double s = (System.nanoTime() - t) / 1e9;
      say("warm-up done in %.1f s", s);
      recorder.extra("warm_up_bytes", options.warmUpBytes());
      recorder.extra("warm_up_s", s);
      recorder.note(String.format(Locale.ROOT, "warm daemons: before the run each fetched a %.0f MiB warm-up package"
          + " (other bytes), all at once, in %.1f s; none of its bytes, CPU or counters are in this report",
          options.warmUpBytes() / 1048576.0, s));
    }

    /** Per node, its counters when the run starts (the run's figures are what they gained after). */
    private Map<Integer, NodeCounters> nodeCounters() {
      Map<Integer, NodeCounters> m = new HashMap<>();
      for (SitePlan.Node n : plan.nodes()) {
        try {
          Object status = JsonText.parse(nodeGet(n.id(), "status"));
          String metrics = nodeGet(n.id(), "metrics");
          m.put(n.id(), NodeCounters.of(status, metrics));
        } catch (IOException | IllegalArgumentException e) {
          // Counted from zero: a node that does not answer now is reported unreachable at the end too.
        }
      }
      return m;
    }

    /** Asks the publisher (not through the WAN counters' run phase) until the content information is ready. */
    private void waitForContentInformation(String file, long deadline) throws IOException {
      while (true) {
        List<String> curl = List.of("curl", "-sS", "-o", "/dev/null", "-D", "-", "--max-time", "70", "-H",
            "X-P2P-PeerDist: Version=1.0", "-H", "Accept-Encoding: peerdist", publisherDirect + file);
        Processes.Result r = processes.run(net.on(net.router(), curl), null, 80);
        if (dev.peerdist.node.pccrtp.PeerDistHeaderCodec.isPeerDistEncoded(
            dev.peerdist.node.pccrtp.PeerDistHeaderCodec.headerValues(r.output(), "Content-Encoding"))) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the publisher gave no content information for " + file + ": " + r.output());
        }
        sleep(200);
      }
    }

    private List<String> nodeArgs(SitePlan.Node n) {
      String store = work.resolve("n" + n.id()).toString();
      long sum = scenario.packages().stream().mapToLong(Scenario.PackageSpec::sizeBytes).sum();
      long cache = Math.max(1L << 30, sum + sum / 4 + (64L << 20));
      List<String> a = new ArrayList<>(List.of("run", "--store", store, "--publisher",
          net.publisherUrl(n.subnet(), delayPort()), "--bind", net.nodeAddress(n.id()), "--interface",
          net.nodeInterface(), "--pccrr-port", net.netns() ? Integer.toString(LiveNetwork.PCCRR_PORT) : "0",
          "--admin-bind", "127.0.0.1", "--admin-port", net.netns() ? Integer.toString(LiveNetwork.ADMIN_PORT) : "0",
          "--mirror-port", net.netns() ? "7781" : "0", "--discovery-port", Integer.toString(net.discoveryPort(n.subnet())),
          "--dnssd", "false", "--cache-size", cache + ""));
      if (n.role() == SitePlan.Role.CACHE_SERVER) {
        a.addAll(List.of("--role", "cache-server"));
        for (int p = 0; p < scenario.packages().size(); p++) {
          if (n.holds()[p]) {
            a.addAll(List.of("--prepopulate", packageUrl(n.subnet(), p)));
          }
        }
      } else {
        for (SitePlan.Node c : plan.nodes()) {
          if (c.role() == SitePlan.Role.CACHE_SERVER && c.subnet() == n.subnet()) {
            a.addAll(List.of("--peer", pccrr.get(c.id())));
          }
        }
      }
      return a;
    }

    private Map<String, String> nodeEnv() {
      if (scenario.wanBudgetBitsPerSecond() > 0) {
        return Map.of(ConfigKey.byKey("wan-budget").env(), scenario.wanBudgetBitsPerSecond() + "bit");
      }
      return Map.of();
    }

    /** Cache servers first (clients name them with --peer), then every client; waits until all run. */
    private void startNodes(long deadline) throws IOException {
      for (boolean caches : new boolean[] {true, false}) {
        List<SitePlan.Node> batch = plan.nodes().stream()
            .filter(n -> (n.role() == SitePlan.Role.CACHE_SERVER) == caches).toList();
        for (SitePlan.Node n : batch) {
          Path log = work.resolve("logs/n" + n.id() + ".log");
          startedAt.put(n.id(), System.nanoTime());
          nodeProcesses.put(n.id(), processes.start(net.on(net.node(n.id()),
              processes.daemon(options.nodeJvmOptions(), nodeArgs(n))), log, nodeEnv()));
        }
        for (SitePlan.Node n : batch) {
          Path log = work.resolve("logs/n" + n.id() + ".log");
          Matcher m = waitForLine(log, RUNNING, deadline, "node " + n.id());
          // An upper bound: nodes are checked in turn, so a node found later may have been ready earlier.
          readySeconds.put(n.id(), (System.nanoTime() - startedAt.get(n.id())) / 1e9);
          pccrr.put(n.id(), (net.netns() ? net.nodeAddress(n.id()) : m.group(1)) + ":" + m.group(2));
          adminUrl.put(n.id(), m.group(3).replace("0.0.0.0", "127.0.0.1"));
        }
        // Prepopulation only after every node of the batch is up: waiting for one cache server's
        // copy before looking at the next would count that copy in the next one's start-up time.
        for (SitePlan.Node n : batch) {
          Path log = work.resolve("logs/n" + n.id() + ".log");
          int held = 0;
          for (boolean h : n.holds()) {
            held += h ? 1 : 0;
          }
          if (n.role() == SitePlan.Role.CACHE_SERVER && held > 0) {
            waitForCount(log, "prepopulated ", held, deadline, "cache server " + n.id());
          }
        }
        say("%d %s running", batch.size(), caches ? "cache servers" : "clients");
      }
    }

    /** Seeded clients fetch their packages before the run (their WAN bytes are not counted). */
    private void seedClients(long deadline) throws IOException {
      for (SitePlan.Node n : plan.nodes()) {
        if (n.role() != SitePlan.Role.SEEDED_CLIENT) {
          continue;
        }
        for (int p = 0; p < scenario.packages().size(); p++) {
          if (n.holds()[p]) {
            long left = Math.max(1, (deadline - System.nanoTime()) / NANOS);
            Process proc = processes.startPiped(net.on(net.node(n.id()), fetchCommand(n.id(), p, left)));
            String out = waitOutput(proc, left);
            if (proc.exitValue() != 0 || !out.startsWith(hashes.get(p))) {
              throw new IOException("seeding node " + n.id() + " with " + file(p) + " failed: " + out);
            }
          }
        }
      }
    }

    /** {@code curl ADMIN/download?url=PACKAGE | DIGEST} ({@link DigestTool}), failing when either fails. */
    private List<String> fetchCommand(int node, int p, long maxSeconds) {
      return fetchCommand(node, packageUrl(plan.nodes().get(node).subnet(), p), maxSeconds);
    }

    /** {@code curl ADMIN/download?url=URL | DIGEST} on {@code node}'s admin endpoint. */
    private List<String> fetchCommand(int node, String url, long maxSeconds) {
      return plainFetch(adminUrl.get(node) + "download?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8),
          maxSeconds);
    }

    private List<String> plainFetch(String url, long maxSeconds) {
      return List.of("bash", "-c", "set -o pipefail; curl -sSf --max-time \"$1\" \"$2\" | " + digest.shellCommand(), "fetch",
          Long.toString(Math.max(1, maxSeconds)), url);
    }

    // ---- the run ----

    /** The WAN counters once everything so far is counted: the delay line reports every 100 ms. */
    private long[] settledWan() throws IOException {
      if (!net.netns()) {
        sleep(350);
      }
      return wan();
    }

    /** The WAN counters now: {down, up} (router interface in netns mode, delay-line payload otherwise). */
    private long[] wan() throws IOException {
      if (net.netns()) {
        return LiveNetwork.wanCounters(delayLine.pid());
      }
      return new long[] {dlDown, dlUp};
    }

    /** Runs every planned download at its time; returns when the run ended (ns from its start). */
    private long downloads(SiteRecorder recorder) throws IOException {
      List<Fetch> fetches = new ArrayList<>();
      for (SitePlan.Node n : plan.nodes()) {
        for (int p = 0; p < scenario.packages().size(); p++) {
          if (n.wants(p)) {
            fetches.add(new Fetch(n.id(), p, n.startNanos()[p]));
          }
        }
      }
      say("starting %d downloads", fetches.size());
      long limit = scenario.timeLimit().toNanos();
      long[] base = settledWan();
      long[] dlBase = {dlDown, dlUp};
      long t0 = System.nanoTime();
      ConcurrentLinkedQueue<Fetch> ended = new ConcurrentLinkedQueue<>();
      for (Fetch f : fetches) {
        timers.schedule(() -> launch(f, t0, limit, ended), f.plannedNanos, TimeUnit.NANOSECONDS);
      }
      for (SitePlan.Node n : plan.nodes()) {
        if (n.leaveAtNanos() >= 0) {
          timers.schedule(() -> {
            Process p = nodeProcesses.get(n.id());
            leftAt.put(n.id(), System.nanoTime() - t0);
            // Its last CPU and peak RSS, read just before it goes: /proc forgets a killed process.
            long pid = ProcFigures.javaPid(p);
            leftFigures.put(n.id(), new double[] {ProcFigures.cpuSeconds(pid), ProcFigures.statusKib(pid, "VmHWM:")});
            // SIGKILL: the node vanishes without a goodbye; stopping must not hold up the timers.
            Thread kill = new Thread(() -> Processes.stop(p, true), "live-leave-" + n.id());
            kill.setDaemon(true);
            kill.start();
          }, n.leaveAtNanos(), TimeUnit.NANOSECONDS);
        }
      }
      long[] last = base;
      long lastT = 0;
      int done = 0;
      while (true) {
        sleep(100);
        long now = System.nanoTime() - t0;
        long[] c = wan();
        recorder.wanBytes(lastT, now, -1, c[0] - last[0]);
        last = c;
        lastT = now;
        while (ended.poll() != null) {
          done++;
        }
        runOptions.progress().update(now / 1e9, done, fetches.size(), 0, c[0] - base[0]);
        if (done == fetches.size() || now > limit) {
          break;
        }
      }
      for (Fetch f : fetches) {
        if (!f.ended() && f.process != null) {
          Processes.stop(f.process, true);
        }
      }
      for (Map.Entry<Integer, Long> e : leftAt.entrySet()) {
        recorder.nodeLeft(e.getKey(), e.getValue());
      }
      long[] c = settledWan();
      recorder.wanBytes(lastT, lastT, -1, c[0] - last[0]);
      recorder.extra("wan_bytes_up", c[1] - base[1]);
      recorder.extra("delay_line_bytes_down", dlDown - dlBase[0]);
      recorder.extra("delay_line_bytes_up", dlUp - dlBase[1]);
      int wrong = 0;
      int failedFetches = 0;
      List<Object> perFetch = new ArrayList<>();
      for (Fetch f : fetches) {
        boolean ok = f.exit == 0 && f.hash != null && f.hash.startsWith(hashes.get(f.pkg));
        boolean left = !ok && leftAt.containsKey(f.node);
        if (f.exit == 0 && !ok) {
          wrong++;
        } else if (!ok && !left) {
          failedFetches++;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", f.node);
        m.put("package", scenario.packages().get(f.pkg).name());
        m.put("started_s", f.launchedNanos < 0 ? null : f.launchedNanos / 1e9);
        m.put("ended_s", f.endedNanos < 0 ? null : f.endedNanos / 1e9);
        m.put("sha256_ok", ok);
        if (left) {
          m.put("left_s", leftAt.get(f.node) / 1e9);
          recorder.note(String.format(Locale.ROOT, "download of %s on node %d ended when the node left at %.1f s,"
              + " as the scenario plans", scenario.packages().get(f.pkg).name(), f.node, leftAt.get(f.node) / 1e9));
        } else if (!ok) {
          String why = failure(f);
          m.put("exit", f.exit);
          m.put("error", why);
          recorder.note(String.format(Locale.ROOT, "download of %s on node %d %s after %.1f s: %s",
              scenario.packages().get(f.pkg).name(), f.node, f.exit == 0 ? "delivered wrong bytes" : "failed",
              (f.endedNanos - Math.max(0, f.launchedNanos)) / 1e9, why));
        }
        perFetch.add(m);
        fetchesByKey.put(f.node * 1000 + f.pkg, f);
      }
      recorder.extra("downloads_wrong_bytes", wrong);
      recorder.extra("downloads_failed", failedFetches);
      harnessDownloads = perFetch;
      if (wrong > 0) {
        recorder.note(wrong + " download(s) delivered bytes whose SHA-256 did not match the package");
      }
      if (lastT > limit) {
        recorder.note("stopped at the scenario's time-limit (" + scenario.timeLimit().toSeconds() + " s)");
      }
      return lastT;
    }

    private final Map<Integer, Fetch> fetchesByKey = new HashMap<>();
    private final Map<Integer, Long> startedAt = new HashMap<>();
    private final Map<Integer, Double> readySeconds = new HashMap<>();

    /** Per node: {JVM pid, RSS KiB now, CPU seconds so far} (issue 12's per-node figures). */
    private Map<Integer, double[]> nodeFigures() {
      Map<Integer, double[]> m = new HashMap<>();
      for (Map.Entry<Integer, Process> e : nodeProcesses.entrySet()) {
        long pid = ProcFigures.javaPid(e.getValue());
        m.put(e.getKey(), new double[] {pid, ProcFigures.statusKib(pid, "VmRSS:"), ProcFigures.cpuSeconds(pid)});
      }
      return m;
    }

    /**
     * Start to ready, RSS idle (before the run) and at its peak, and CPU seconds per MiB the node
     * delivered, each against issue 12's goal: a note per figure (worst node) and the per-node
     * values as extras.
     */
    private void perNodeCost(SiteRecorder recorder, Map<Integer, double[]> before) {
      Map<Integer, Long> received = new HashMap<>();
      for (Fetch f : fetchesByKey.values()) {
        if (f.exit == 0) { // a download cut short (a node that left) received an unknown part
          received.merge(f.node, scenario.packages().get(f.pkg).sizeBytes(), Long::sum);
        }
      }
      List<Object> rows = new ArrayList<>();
      double maxReady = 0;
      double maxIdle = 0;
      double maxPeak = 0;
      double maxCpu = 0;
      double siteCpu = 0;
      for (Map.Entry<Integer, double[]> e : before.entrySet()) {
        long pid = (long) e.getValue()[0];
        double idle = e.getValue()[1] / 1024;
        double[] gone = leftFigures.get(e.getKey());
        double peak = (gone != null ? gone[1] : ProcFigures.statusKib(pid, "VmHWM:")) / 1024.0;
        double mib = received.getOrDefault(e.getKey(), 0L) / 1048576.0;
        double cpu = (gone != null ? gone[0] : ProcFigures.cpuSeconds(pid)) - e.getValue()[2];
        siteCpu += cpu;
        double perMib = mib > 0 ? cpu / mib : Double.NaN;
        double ready = readySeconds.getOrDefault(e.getKey(), Double.NaN);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", e.getKey());
        m.put("ready_s", ready);
        m.put("rss_idle_mib", idle);
        m.put("rss_peak_mib", peak);
        m.put("cpu_s", cpu);
        m.put("received_mib", mib);
        rows.add(m);
        maxReady = Math.max(maxReady, ready);
        maxIdle = Math.max(maxIdle, idle);
        maxPeak = Math.max(maxPeak, peak);
        if (!Double.isNaN(perMib)) {
          maxCpu = Math.max(maxCpu, perMib);
        }
      }
      recorder.extra("node_costs", rows);
      int cores = Runtime.getRuntime().availableProcessors();
      double ideal = dev.peerdist.simulator.scenario.Ideal.of(scenario).seconds();
      recorder.extra("site_cpu_s", siteCpu);
      recorder.note(cpuFloorNote(siteCpu, before.size(), cores, ideal));
      // After a warm-up the RSS at the start of the run is not idle: the heap the warm-up grew is
      // given back only once the daemon has been idle for a while (IdleHeapTrimmer); --idle-after
      // measures that.
      String idle = options.warmUpBytes() > 0
          ? String.format(Locale.ROOT, "RSS at the start of the run %.0f MiB (right after the warm-up, not yet"
              + " idle: --idle-after measures idle RSS)", maxIdle)
          : String.format(Locale.ROOT, "RSS idle %.0f MiB (goal <= 128)", maxIdle);
      recorder.note(String.format(Locale.ROOT, "per node (worst of %d): start to ready %.2f s (goal <= 1.5),"
          + " %s, RSS peak %.0f MiB (goal <= 256), %.4f CPU s per MiB received"
          + " (goal <= 0.008: 0.1 core at 100 Mbit/s)", before.size(), maxReady, idle, maxPeak, maxCpu));
    }
    /**
     * Lets the daemons idle for {@link Options#idleAfter}, then reads each one's RSS: the idle RSS
     * after work of issue 12 (extra {@code rss_idle_after_run_mib} by node, and a note with the
     * worst).
     */
    private void idleAfterRun(SiteRecorder recorder) throws IOException {
      say("idle: the daemons idle %d s before their RSS is read", options.idleAfter().toSeconds());
      try {
        Thread.sleep(options.idleAfter().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the daemons idled", e);
      }
      Map<String, Object> rss = new LinkedHashMap<>();
      double worst = 0;
      for (Map.Entry<Integer, double[]> e : new java.util.TreeMap<>(nodeFigures()).entrySet()) {
        double mib = e.getValue()[1] / 1024;
        rss.put(Integer.toString(e.getKey()), mib);
        worst = Math.max(worst, mib);
      }
      recorder.extra("rss_idle_after_run_mib", rss);
      recorder.note(String.format(Locale.ROOT, "per node (worst of %d): RSS idle %d s after the run %.0f MiB"
          + " (goal <= 128)", rss.size(), options.idleAfter().toSeconds(), worst));
    }

    private List<Object> harnessDownloads = List.of();

    /**
     * Why a fetch failed, for the report: what curl said (its output holds the error; a good run prints
     * only the hash) and the node's last warnings, so that a failed download is never just a count.
     */
    private String failure(Fetch f) {
      StringBuilder why = new StringBuilder();
      if (f.exit < 0 && !f.ended()) {
        why.append("did not end within the time limit");
      } else {
        why.append("exit ").append(f.exit);
      }
      if (f.hash != null && !f.hash.isBlank()) {
        why.append("; curl: ").append(f.hash.replaceAll("\\s+", " ").strip());
      }
      Path log = work.resolve("logs/n" + f.node + ".log");
      try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
        List<String> warnings = lines.filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
        for (String w : warnings.subList(Math.max(0, warnings.size() - 3), warnings.size())) {
          why.append("; node log: ").append(w.length() > 300 ? w.substring(0, 300) + "…" : w);
        }
      } catch (IOException | UncheckedIOException e) {
        why.append("; node log unreadable: ").append(e.getMessage());
      }
      return why.toString();
    }

    private void launch(Fetch f, long t0, long limit, ConcurrentLinkedQueue<Fetch> ended) {
      long now = System.nanoTime() - t0;
      if (leftAt.containsKey(f.node)) {
        f.launchedNanos = now;
        f.endedNanos = now;
        ended.add(f);
        return;
      }
      start(f, fetchCommand(f.node, f.pkg, Math.max(1, (limit - now) / NANOS + 1)), t0, ended);
    }

    /** Starts {@code command} on the fetch's node; its end (exit code, printed hash) lands in {@code ended}. */
    private void start(Fetch f, List<String> command, long t0, ConcurrentLinkedQueue<Fetch> ended) {
      f.launchedNanos = System.nanoTime() - t0;
      try {
        Process p = processes.startPiped(net.on(net.node(f.node), command));
        f.process = p;
        p.getOutputStream().close();
        p.onExit().thenRun(() -> {
          try {
            f.hash = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
          } catch (IOException e) {
            f.hash = null;
          }
          f.exit = p.exitValue();
          f.endedNanos = System.nanoTime() - t0;
          ended.add(f);
        });
      } catch (IOException e) {
        f.endedNanos = f.launchedNanos;
        ended.add(f);
      }
    }

    // ---- collecting the nodes' counters ----

    private String nodeGet(int node, String path) throws IOException {
      return processes.check(net.on(net.node(node), List.of("curl", "-sSf", "--max-time", "20",
          adminUrl.get(node) + path)), null, 30);
    }

    /**
     * Connections the publisher closed at once by a connection limit during the whole run (setup
     * included): every node reaches it from one address, the delay line's, as a branch behind NAT.
     */
    private void publisherRefusals(SiteRecorder recorder) {
      Map<String, Long> refused;
      try {
        refused = counters(processes.check(net.on(net.publisher(), List.of("curl", "-sSf", "--max-time", "20",
            publisherMetrics)), null, 30), "peerdist_publisher_refused_connections_total");
      } catch (IOException e) {
        recorder.note("the publisher's /metrics did not answer: " + e.getMessage());
        return;
      }
      long sum = refused.values().stream().mapToLong(Long::longValue).sum();
      recorder.extra("publisher_refused_connections", refused);
      if (sum > 0) {
        recorder.note("the publisher closed " + sum + " connection(s) at once by its connection limits " + refused
            + " (all nodes reach it from the delay line's one address, as a branch behind NAT)");
      }
    }

    private void collect(SiteRecorder recorder) {
      publisherRefusals(recorder);
      int unreachable = 0;
      // The site's control traffic: what the nodes' download loops sent besides block requests
      // (probes, block-list polls, hedges, takeovers), summed over the nodes.
      Map<String, Long> decisions = new java.util.TreeMap<>();
      // How late the nodes read their subnet: their own probes' return through their listeners.
      double returnSeconds = 0;
      long returns = 0;
      double slowestReturn = 0;
      for (SitePlan.Node n : plan.nodes()) {
        if (leftAt.containsKey(n.id())) {
          continue;
        }
        Object status;
        String metrics;
        try {
          status = JsonText.parse(nodeGet(n.id(), "status"));
          metrics = nodeGet(n.id(), "metrics");
        } catch (IOException | IllegalArgumentException e) {
          unreachable++;
          continue;
        }
        NodeCounters now = NodeCounters.of(status, metrics).since(runStart.get(n.id()));
        recorder.uploaded(n.id(), now.served());
        if (now.ownProbeReturns() > 0) {
          returnSeconds += now.ownProbeReturnSeconds();
          returns += now.ownProbeReturns();
          slowestReturn = Math.max(slowestReturn, now.ownProbeReturnSeconds() / now.ownProbeReturns());
        }
        now.decisions().forEach((k, v) -> decisions.merge(k, v, Long::sum));
        Map<String, Long> fetchCounts = now.originFetches();
        Map<String, Long> reasonBytes = new java.util.TreeMap<>();
        for (Map.Entry<String, Long> e : now.corruptBlocks().entrySet()) {
          for (long i = 0; i < e.getValue(); i++) {
            recorder.badBlock(n.id());
          }
        }
        if (JsonText.at(status, "downloads") instanceof List<?> list) {
          for (Object d : list) {
            int p = packageOf(n.subnet(), String.valueOf(JsonText.at(d, "url")));
            if (p < 0 || !n.wants(p)) {
              continue; // not a download of the run (a cache server's prepopulation, a seeded client's seeding)
            }
            for (ByteSource b : ByteSource.values()) {
              recorder.received(n.id(), b, JsonText.longAt(d, "bytes." + b.label(), 0));
            }
            if (JsonText.at(d, "origin_reasons") instanceof Map<?, ?> reasons) {
              reasons.forEach((k, v) -> reasonBytes.merge(String.valueOf(k), ((Number) v).longValue(), Long::sum));
            }
            Fetch f = fetchesByKey.get(n.id() * 1000 + p);
            boolean ok = f != null && f.exit == 0 && f.hash != null && f.hash.startsWith(hashes.get(p));
            f = ok ? f : null;
            long elapsed = JsonText.longAt(d, "elapsed_ms", -1);
            if (f != null && "done".equals(JsonText.at(d, "state")) && elapsed >= 0) {
              // The completion time is the user's: from the request to the last verified byte at the
              // harness. The node's own elapsed_ms (from its download record, which starts after the
              // content information arrived) is kept beside it.
              recorder.downloadDone(n.id(), p, f.launchedNanos, f.endedNanos);
              f.nodeElapsedMs = elapsed;
            }
          }
        }
        for (Map.Entry<String, Long> e : reasonBytes.entrySet()) {
          recorder.originFetches(n.id(), e.getKey(), fetchCounts.getOrDefault(e.getKey(), 0L), e.getValue());
        }
      }
      if (unreachable > 0) {
        recorder.note(unreachable + " node(s) did not answer /status at the end");
      }
      if (!decisions.isEmpty()) {
        recorder.extra("loop_decisions", decisions);
        StringBuilder line = new StringBuilder("download loops' decisions, all nodes:");
        decisions.forEach((k, v) -> line.append(' ').append(k).append(' ').append(v));
        recorder.note(line.toString());
      }
      if (returns > 0) {
        recorder.extra("own_probe_return_mean_s", returnSeconds / returns);
        recorder.extra("own_probe_return_slowest_node_mean_s", slowestReturn);
        recorder.note(String.format(Locale.ROOT, "discovery: the nodes read their own probes back %.3f s after"
            + " sending them, on average (the slowest node %.3f s): how late they heard their subnet"
            + " (docs/DISCOVERY.md)", returnSeconds / returns, slowestReturn));
      }
      for (Object o : harnessDownloads) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) o;
        Fetch f = fetchesByKey.get((Integer) m.get("node") * 1000
            + scenario.packages().indexOf(scenario.packages().stream()
                .filter(p -> p.name().equals(m.get("package"))).findFirst().orElseThrow()));
        m.put("node_elapsed_s", f == null || f.nodeElapsedMs < 0 ? null : f.nodeElapsedMs / 1e3);
      }
      recorder.extra("harness_downloads", harnessDownloads);
    }

    private int packageOf(int subnet, String url) {
      for (int p = 0; p < scenario.packages().size(); p++) {
        if (url.equals(packageUrl(subnet, p))) {
          return p;
        }
      }
      return -1;
    }

    // ---- the baseline ----

    private void baseline(SiteRecorder recorder) throws IOException {
      List<Fetch> fetches = new ArrayList<>();
      for (SitePlan.Node n : plan.nodes()) {
        if (n.role() == SitePlan.Role.CLIENT && n.wants(0) && !leftAt.containsKey(n.id())) {
          fetches.add(new Fetch(n.id(), 0, n.startNanos()[0]));
        }
      }
      say("baseline: %d plain GETs of %s through the same WAN", fetches.size(), file(0));
      long limit = scenario.timeLimit().toNanos();
      long[] base = settledWan();
      long t0 = System.nanoTime();
      ConcurrentLinkedQueue<Fetch> ended = new ConcurrentLinkedQueue<>();
      for (Fetch f : fetches) {
        timers.schedule(() -> {
          long now = System.nanoTime() - t0;
          start(f, plainFetch(packageUrl(plan.nodes().get(f.node).subnet(), 0), Math.max(1, (limit - now) / NANOS + 1)),
              t0, ended);
        }, f.plannedNanos, TimeUnit.NANOSECONDS);
      }
      int done = 0;
      while (done < fetches.size() && System.nanoTime() - t0 <= limit) {
        sleep(100);
        while (ended.poll() != null) {
          done++;
        }
      }
      for (Fetch f : fetches) {
        if (!f.ended() && f.process != null) {
          Processes.stop(f.process, true);
        }
      }
      long[] c = settledWan();
      List<Double> times = new ArrayList<>();
      int failures = 0;
      for (Fetch f : fetches) {
        if (f.exit == 0 && f.hash != null && f.hash.startsWith(hashes.get(0))) {
          times.add((f.endedNanos - f.launchedNanos) / 1e9);
        } else {
          failures++;
        }
      }
      recorder.baseline(new SiteReport.Baseline(fetches.size() + " plain HTTP GETs of the package through the same WAN",
          times, failures, c[0] - base[0], scenario.packages().get(0).sizeBytes()));
    }

    // ---- helpers ----

    private Matcher waitForLine(Path log, Pattern p, long deadline, String what) throws IOException {
      while (true) {
        if (Files.exists(log)) {
          Matcher m = p.matcher(Files.readString(log, StandardCharsets.UTF_8));
          if (m.find()) {
            return m;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(what + " did not start in time; its log ends: " + Processes.tail(log, 3000));
        }
        sleep(100);
      }
    }

    private void waitForCount(Path log, String marker, int count, long deadline, String what) throws IOException {
      while (true) {
        String text = Files.readString(log, StandardCharsets.UTF_8);
        if (text.contains("could not prepopulate")) {
          throw new IOException(what + " could not prepopulate: " + Processes.tail(log, 3000));
        }
        int n = 0;
        for (int i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
          n++;
        }
        if (n >= count) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(what + " did not finish prepopulating in time: " + Processes.tail(log, 3000));
        }
        sleep(200);
      }
    }

    private String waitOutput(Process p, long seconds) throws IOException {
      try {
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readNBytes(4096);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
          Processes.stop(p, true);
          throw new IOException("timed out");
        }
        return new String(out, StandardCharsets.UTF_8).trim();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    /** Stops every process, deletes every namespace and (unless kept or failed) the work directory. */
    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      timers.shutdownNow();
      try {
        if (delayLineStdin != null) {
          delayLineStdin.close();
        }
      } catch (IOException e) {
        // The process is stopped below anyway.
      }
      processes.close();
      net.close();
      if (options.keepWorkDir() || failed) {
        say("kept %s (stores and logs)", work);
      } else {
        try {
          DemoFiles.deleteTree(work);
        } catch (IOException e) {
          say("could not delete %s: %s", work, e.getMessage());
        }
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: this is the hook.
      }
    }
  }

  /**
   * The delay line's queue per connection and direction: two bandwidth-delay products of the WAN
   * (what a real path's sender may have in flight plus the receiver's window), at least 256 KiB so
   * that the line never limits a connection's rate. With the queue and the kernel buffers it
   * gives its sockets ({@link DelayLine}), a connection cut mid-way loses about what it would on
   * the real path; the old fixed 4 MiB (plus autotuned socket buffers) made each cancelled origin
   * range cost 0.7–3.4 MB of WAN in live-16.
   */
  static long delayLineBuffer(long wanBitsPerSecond, Duration wanRtt) {
    double bdp = wanBitsPerSecond / 8.0 * (wanRtt.toNanos() / 1e9);
    return (long) Math.min(64L << 20, Math.max(256L << 10, 2 * bdp));
  }

  /**
   * What the daemons' CPU alone says of the run's length: the CPU seconds all of them used from
   * the first download to the end, spread over every core of this machine, is a floor on the
   * last node's time whatever the network does. When it is above the ideal, the site is bound by
   * the machine it is simulated on (many daemons on few cores), not by the WAN or the LAN.
   */
  static String cpuFloorNote(double siteCpuSeconds, int daemons, int cores, double idealSeconds) {
    double floor = siteCpuSeconds / cores;
    return String.format(Locale.ROOT, "CPU: %s used %.1f CPU s during the downloads; on this"
        + " machine's %d cores that alone takes >= %.1f s = %.2f x the ideal %.2f s (%s)",
        daemons == 1 ? "the daemon" : "the " + daemons + " daemons", siteCpuSeconds,
        cores, floor, floor / idealSeconds, idealSeconds,
        floor > idealSeconds ? "the run is bound by this machine's CPU, not by the network" : "below the ideal");
  }

  /**
   * The counters of one node the report is built from: bytes served, the download loop's decisions,
   * origin fetches and corrupt blocks by label.
   */
  record NodeCounters(long served, Map<String, Long> decisions, Map<String, Long> originFetches,
      Map<String, Long> corruptBlocks, double ownProbeReturnSeconds, long ownProbeReturns) {
    static NodeCounters of(Object status, String metrics) {
      return new NodeCounters(JsonText.longAt(status, "totals.served", 0),
          counters(metrics, "peerdist_loop_decisions_total"), counters(metrics, "peerdist_origin_fallbacks_total"),
          counters(metrics, "peerdist_corrupt_blocks_total"),
          value(metrics, "peerdist_discovery_own_probe_return_seconds_sum"),
          (long) value(metrics, "peerdist_discovery_own_probe_return_seconds_count"));
    }

    /** What these counters gained since {@code start} (null: since zero); labels that did not grow are left out. */
    NodeCounters since(NodeCounters start) {
      if (start == null) {
        return this;
      }
      return new NodeCounters(served - start.served, minus(decisions, start.decisions),
          minus(originFetches, start.originFetches), minus(corruptBlocks, start.corruptBlocks),
          ownProbeReturnSeconds - start.ownProbeReturnSeconds, ownProbeReturns - start.ownProbeReturns);
    }

    private static Map<String, Long> minus(Map<String, Long> now, Map<String, Long> start) {
      Map<String, Long> out = new LinkedHashMap<>();
      now.forEach((k, v) -> {
        long d = v - start.getOrDefault(k, 0L);
        if (d > 0) {
          out.put(k, d);
        }
      });
      return out;
    }
  }

  /** The value of the Prometheus series {@code name} without labels (0 when absent). */
  static double value(String metrics, String name) {
    Matcher m = series(name).matcher(metrics);
    while (m.find()) {
      if (m.group(1) == null) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  /** Lines {@code name value} or {@code name{label="x"…} value}: group 1 the first label's value, group 2 the value. */
  private static Pattern series(String name) {
    return Pattern.compile("^" + Pattern.quote(name) + "(?:\\{[^}]*?=\"([^\"]*)\"[^}]*\\})?\\s+([0-9.eE+-]+)$",
        Pattern.MULTILINE);
  }

  /** Prometheus counters {@code name{label="x"} value} by label value (or "" without labels). */
  static Map<String, Long> counters(String metrics, String name) {
    Map<String, Long> out = new LinkedHashMap<>();
    Matcher m = series(name).matcher(metrics);
    while (m.find()) {
      out.merge(m.group(1) == null ? "" : m.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
    }
    return out;
  }


  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }
}
