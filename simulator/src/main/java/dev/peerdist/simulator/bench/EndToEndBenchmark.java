package dev.peerdist.simulator.bench;

import dev.peerdist.simulator.live.DigestTool;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * End-to-end throughput on loopback with real processes (issue 12): a publisher, nodes started as
 * daemons ({@code peerdist run}, with the launcher's daemon memory flags) and {@code curl} reading
 * through each node's local mirror, against the same work done without peerdist, measured in the
 * same run, median of {@code runs}:
 *
 * <pre>
 *   baseline           nginx (Debian, generated config) → curl | tee FILE | openssl dgst -sha256
 *                      (sha256sum where OpenSSL is missing: {@link DigestTool})
 *   publisher plain    the publisher instead of nginx, same pipeline         (goal ≥ 0.8 × baseline)
 *   node from publisher a fresh node, all origin, curl through its mirror     (goal ≥ 0.8 × baseline)
 *   node to node       a fresh node whose only peer holds the file           (goal ≥ 0.8 × baseline)
 *   the same two with a warm node: it first fetched a warm-up file of other bytes the same way
 * </pre>
 *
 * <p>A fresh daemon spends seconds of CPU in its JIT compilers during its first few hundred MiB; a
 * daemon on a user's PC runs all day. The warm lines show the data path without that start-up
 * cost, the fresh ones what a daemon's first transfer costs.
 *
 * Nodes run through the distribution's launcher when the system property {@value #LAUNCHER_PROPERTY}
 * names it ({@code ./peerdist bench} does): its daemon flags and its start-up class-data-sharing
 * archive ({@code bin/peerdist-cds}) as installed. Otherwise they run on this JVM's class path with
 * {@link #DAEMON_JVM} and no archive, and the output says so.
 *
 * <p>Each node's start-to-ready time (process start to its admin port answering), resident memory
 * idle (after start) and at its peak, and CPU seconds per MiB received are printed too. Without
 * nginx the baseline falls back to the publisher and says so. Every output is checked against the
 * file's SHA-256. Nothing here runs in the test suite.
 */
public final class EndToEndBenchmark {
  /** JVM flags of the daemon as the launcher sets them ({@code dist/src/bin/peerdist}). */
  static final List<String> DAEMON_JVM = dev.peerdist.simulator.live.LiveSite.DAEMON_JVM_OPTIONS;

  /** Environment variable whose JVM options the nodes started through the launcher get (profiling). */
  public static final String NODE_JAVA_OPTS_ENV = "PEERDIST_BENCH_NODE_JAVA_OPTS";

  /** System property naming the distribution's launcher ({@code bin/peerdist}) to start nodes with. */
  public static final String LAUNCHER_PROPERTY = "peerdist.launcher";

  /**
   * @param mib size of the file
   * @param runs repetitions of each measurement (the median is reported)
   * @param work where the temporary directory goes
   */
  public record Options(int mib, int runs, Path work) {
    public Options {
      if (mib < 1 || mib > 4096) {
        throw new IllegalArgumentException("size must be 1..4096 MiB, got " + mib);
      }
      if (runs < 1 || runs > 9) {
        throw new IllegalArgumentException("runs must be 1..9, got " + runs);
      }
    }

    public static Options quick(Path work) {
      return new Options(64, 3, work);
    }

    public static Options standard(Path work) {
      return new Options(512, 3, work);
    }
  }

  /** What one node did: seconds of the transfer, ready time and CPU until then, memory, CPU of the transfer. */
  record NodeRun(double seconds, double readySeconds, double readyCpuSeconds, long idleRssKib, long peakRssKib,
      double cpuSeconds) {}

  private final Options options;
  private final PrintStream out;
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private String sha256;
  private String warmSha256;
  /**
   * What every transfer here, baseline and nodes alike, is piped into for its SHA-256: OpenSSL where
   * it works, {@code sha256sum} otherwise. coreutils' ~360 MB/s bounded the baseline on this machine
   * (docs/PERFORMANCE.md, "The end-to-end baseline's hashing, 2026-12-06").
   */
  private DigestTool digest;

  /** The warm-up file: other bytes, as large as the measured file up to 256 MiB. */
  static final String WARM_UP_FILE = "warm-up.bin";

  private int warmUpMib() {
    return Math.min(options.mib(), 256);
  }

  private EndToEndBenchmark(Options options, PrintStream out, Path dir) {
    this.options = options;
    this.out = out;
    this.dir = dir;
  }

  /** Runs every measurement and prints the table and the ratios. */
  public static void run(Options options, PrintStream out) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory(options.work(), "peerdist-e2e");
    EndToEndBenchmark b = new EndToEndBenchmark(options, out, dir);
    try {
      b.measure();
    } finally {
      b.stopAll();
      deleteTree(dir);
    }
  }

  private void measure() throws IOException, InterruptedException {
    digest = DigestTool.forThisMachine();
    if (digest == null) {
      throw new IOException("the end-to-end benchmark needs openssl or sha256sum on the PATH");
    }
    Path www = Files.createDirectories(dir.resolve("www"));
    Path file = www.resolve("big.bin");
    sha256 = writeRandom(file, (long) options.mib() << 20, 512);
    Path warm = www.resolve(WARM_UP_FILE);
    warmSha256 = writeRandom(warm, (long) warmUpMib() << 20, 7);
    // nginx's workers run as another user (www-data) when started by root: let them read the file.
    readableByAll(dir, "rwxr-xr-x");
    readableByAll(www, "rwxr-xr-x");
    readableByAll(file, "rw-r--r--");
    readableByAll(warm, "rw-r--r--");
    double mb = (options.mib() * 1048576.0) / 1e6;
    out.printf(Locale.ROOT, "End to end on loopback: %d MiB file, median of %d, MB = 10^6 bytes%n", options.mib(),
        options.runs());
    Path launcher = launcher();
    out.println(launcher == null
        ? "  nodes: java with the launcher's daemon flags, no start-up archive (build the distribution: mvn package)"
        : "  nodes: " + launcher + " run" + (Files.isReadable(launcher.resolveSibling("../lib/peerdist-run.jsa")
            .normalize()) ? ", with its start-up archive" : ", no start-up archive (bin/peerdist-cds makes it)"));

    int nginxPort = freePort();
    Process nginx = startNginx(www, nginxPort);
    int pubPort = freePort();
    Process pub = start("publisher", List.of(), "publish", "--root", www.toString(), "--port", Integer.toString(pubPort),
        "--bind", "127.0.0.1", "--state", dir.resolve("publisher").toString(), "--secret-text", "bench",
        "--precompute");
    String pubBase = "http://127.0.0.1:" + pubPort + "/";
    awaitHttp(pubBase + "big.bin", pub, 120);
    awaitHttp(pubBase + WARM_UP_FILE, pub, 120);

    double baseline;
    String baselineName;
    if (nginx != null) {
      try {
        awaitHttp("http://127.0.0.1:" + nginxPort + "/big.bin", nginx, 30);
      } catch (IOException e) {
        out.println("  nginx did not serve the file (" + e.getMessage() + "); see " + dir.resolve("nginx/logs"));
        nginx.destroy();
        nginx = null;
      }
    }
    if (nginx != null) {
      baseline = median(() -> curlSeconds("http://127.0.0.1:" + nginxPort + "/big.bin", sha256));
      baselineName = "nginx+curl+" + digestLabel() + "+file";
    } else {
      baseline = Double.NaN;
      baselineName = null;
    }
    double publisherPlain = median(() -> curlSeconds(pubBase + "big.bin", sha256));
    if (baselineName == null) {
      out.println("  nginx not found (apt-get install -y nginx-light): the baseline is the publisher's plain serving");
      baseline = publisherPlain;
      baselineName = "publisher+curl+" + digestLabel() + "+file";
    }
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s%n", baselineName, mb / baseline);
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s%n", "publisher plain (same pipeline)", mb / publisherPlain);

    List<NodeRun> fromPublisher = new ArrayList<>();
    Node holder = null;
    for (int i = 0; i < options.runs(); i++) {
      if (holder != null) {
        holder.stop();
      }
      holder = startNode("origin" + i, pubBase, null);
      fromPublisher.add(holder.fetch());
    }
    List<NodeRun> nodeToNode = new ArrayList<>();
    double[] served = new double[options.runs()];
    for (int i = 0; i < options.runs(); i++) {
      Node n = startNode("peer" + i, pubBase, "127.0.0.1:" + holder.pccrrPort);
      // The serving node's CPU while the peer fetches: it serves every block of the file once.
      double held0 = ProcFigures.cpuSeconds(holder.process.pid());
      nodeToNode.add(n.fetch());
      served[i] = ProcFigures.cpuSeconds(holder.process.pid()) - held0;
      n.stop();
    }
    // Warm nodes: each fetches the warm-up file the same way first (the holder gets it too).
    holder.fetchWarmUp();
    List<NodeRun> warmFromPublisher = new ArrayList<>();
    List<NodeRun> warmNodeToNode = new ArrayList<>();
    for (int i = 0; i < options.runs(); i++) {
      warmFromPublisher.add(warmRun("warm-origin" + i, pubBase, null));
      warmNodeToNode.add(warmRun("warm-peer" + i, pubBase, "127.0.0.1:" + holder.pccrrPort));
    }
    holder.stop();
    NodeRun o = medianRun(fromPublisher);
    NodeRun p = medianRun(nodeToNode);
    NodeRun wo = medianRun(warmFromPublisher);
    NodeRun wp = medianRun(warmNodeToNode);
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s%n", "node from publisher (mirror+curl)", mb / o.seconds());
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s%n", "node to node (mirror+curl)", mb / p.seconds());
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s (after %d MiB of other bytes the same way)%n",
        "warm node from publisher", mb / wo.seconds(), warmUpMib());
    out.printf(Locale.ROOT, "  %-34s %8.1f MB/s (after %d MiB of other bytes the same way)%n", "warm node to node",
        mb / wp.seconds(), warmUpMib());
    for (var e : List.of(List.of("node from publisher", o), List.of("node to node", p),
        List.of("warm node from publisher", wo), List.of("warm node to node", wp))) {
      NodeRun r = (NodeRun) e.get(1);
      out.printf(Locale.ROOT, "  %-24s ready %.2f s (goal <= 1.5) after %.2f CPU s, RSS idle %d MiB (goal <= 128), peak %d MiB"
          + " (goal <= 256), %.4f CPU s per MiB received (goal <= 0.008 = 0.1 core at 100 Mbit/s)%n", e.get(0),
          r.readySeconds(), r.readyCpuSeconds(), r.idleRssKib() / 1024, r.peakRssKib() / 1024, r.cpuSeconds() / options.mib());
    }
    java.util.Arrays.sort(served);
    out.printf(Locale.ROOT, "  %-20s %.4f CPU s per MiB served during node to node (median)%n", "serving node",
        served[served.length / 2] / options.mib());
    out.printf(Locale.ROOT, "  ratio %.2f  node to node / %s (goal 0.8)%n", baseline / p.seconds(), baselineName);
    out.printf(Locale.ROOT, "  ratio %.2f  node from publisher / %s (goal 0.8)%n", baseline / o.seconds(),
        baselineName);
    out.printf(Locale.ROOT, "  ratio %.2f  warm node to node / %s (goal 0.8)%n", baseline / wp.seconds(),
        baselineName);
    out.printf(Locale.ROOT, "  ratio %.2f  warm node from publisher / %s (goal 0.8)%n", baseline / wo.seconds(),
        baselineName);
    if (nginx != null) {
      out.printf(Locale.ROOT, "  ratio %.2f  publisher plain / nginx, same pipeline (goal 0.8)%n",
          baseline / publisherPlain);
    }
  }

  // ------------------------------------------------------------------ nodes

  private final class Node {
    final Process process;
    final int pccrrPort;
    final int mirrorPort;
    final int adminPort;
    final double readySeconds;
    final double readyCpuSeconds;
    final long idleRssKib;

    Node(Process process, int pccrrPort, int mirrorPort, int adminPort, double readySeconds, double readyCpuSeconds) {
      this.process = process;
      this.pccrrPort = pccrrPort;
      this.mirrorPort = mirrorPort;
      this.adminPort = adminPort;
      this.readySeconds = readySeconds;
      this.readyCpuSeconds = readyCpuSeconds;
      this.idleRssKib = ProcFigures.statusKib(process.pid(), "VmRSS:");
    }

    NodeRun fetch() throws IOException, InterruptedException {
      double cpu0 = ProcFigures.cpuSeconds(process.pid());
      double s = curlSeconds("http://127.0.0.1:" + mirrorPort + "/big.bin", sha256);
      double cpu = ProcFigures.cpuSeconds(process.pid()) - cpu0;
      return new NodeRun(s, readySeconds, readyCpuSeconds, idleRssKib, ProcFigures.statusKib(process.pid(), "VmHWM:"), cpu);
    }

    /** Fetches the warm-up file through the mirror (not timed). */
    void fetchWarmUp() throws IOException, InterruptedException {
      curlSeconds("http://127.0.0.1:" + mirrorPort + "/" + WARM_UP_FILE, warmSha256);
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      processes.remove(process);
    }
  }

  /** A fresh node that fetches the warm-up file and then the measured one (that fetch is the run). */
  private NodeRun warmRun(String name, String publisher, String peer) throws IOException, InterruptedException {
    Node n = startNode(name, publisher, peer);
    n.fetchWarmUp();
    NodeRun r = n.fetch();
    n.stop();
    return r;
  }

  private Node startNode(String name, String publisher, String peer) throws IOException, InterruptedException {
    int pccrr = freePort();
    int mirror = freePort();
    int admin = freePort();
    List<String> args = new ArrayList<>(List.of("run", "--store", dir.resolve(name).toString(), "--bind", "127.0.0.1",
        "--publisher", publisher, "--pccrr-port", Integer.toString(pccrr), "--admin-port", Integer.toString(admin),
        "--mirror-port", Integer.toString(mirror), "--discovery-port", Integer.toString(20000 + freePort() % 40000),
        "--cache-size", Math.max(1, options.mib() * 2 / 1024 + 1) + "GiB"));
    if (peer != null) {
      args.add("--peer");
      args.add(peer);
    }
    long t0 = System.nanoTime();
    Path launcher = launcher();
    Process p = launcher == null ? start(name, DAEMON_JVM, args.toArray(String[]::new)) : startLauncher(name, launcher, args);
    awaitHttp("http://127.0.0.1:" + admin + "/status", p, 120);
    double ready = (System.nanoTime() - t0) / 1e9;
    double readyCpu = ProcFigures.cpuSeconds(p.pid()); // all threads, the JIT compilers' too
    Thread.sleep(1000); // idle memory: after start-up work settles
    return new Node(p, pccrr, mirror, admin, ready, readyCpu);
  }

  // ------------------------------------------------------------------ processes

  private Process start(String name, List<String> jvm, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.peerdist.node.cli.Main");
    cmd.addAll(List.of(args));
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  /** The distribution's launcher named by {@link #LAUNCHER_PROPERTY}, or null. */
  static Path launcher() {
    String l = System.getProperty(LAUNCHER_PROPERTY, "");
    return !l.isBlank() && Files.isExecutable(Path.of(l)) ? Path.of(l) : null;
  }

  /** {@code launcher ARGS} ({@code run ...}): the launcher execs the JVM, so the process id is the daemon's. */
  private Process startLauncher(String name, Path launcher, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(launcher.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    // The bench's own JVM options are not the daemon's; PEERDIST_BENCH_NODE_JAVA_OPTS are (e.g. a JFR
    // recording: -XX:StartFlightRecording=filename=/tmp/jfr/,settings=profile).
    String nodeOpts = System.getenv(NODE_JAVA_OPTS_ENV);
    if (nodeOpts == null || nodeOpts.isBlank()) {
      pb.environment().remove("PEERDIST_JAVA_OPTS");
    } else {
      pb.environment().put("PEERDIST_JAVA_OPTS", nodeOpts);
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private Process startNginx(Path www, int port) throws IOException {
    Path nginx = Stream.of("/usr/sbin/nginx", "/usr/bin/nginx").map(Path::of).filter(Files::isExecutable)
        .findFirst().orElse(null);
    if (nginx == null) {
      return null;
    }
    Path prefix = Files.createDirectories(dir.resolve("nginx"));
    Files.createDirectories(prefix.resolve("logs"));
    String conf = "daemon off;\nworker_processes 1;\npid " + prefix.resolve("nginx.pid") + ";\n"
        + "error_log " + prefix.resolve("logs/error.log") + ";\n"
        + "events { worker_connections 64; }\n"
        + "http {\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n"
        + "  client_body_temp_path " + prefix.resolve("tmp") + ";\n"
        + "  server {\n    listen 127.0.0.1:" + port + ";\n    root " + www + ";\n  }\n}\n";
    Path file = prefix.resolve("nginx.conf");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(nginx.toString(), "-p", prefix.toString(), "-c", file.toString())
        .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/out.log").toFile()).start();
    processes.add(p);
    return p;
  }

  private void stopAll() {
    for (Process p : new ArrayList<>(processes)) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    processes.clear();
  }

  /** Waits until {@code url} answers 2xx (a 1-byte range), or fails when {@code p} dies or time runs out. */
  private static void awaitHttp(String url, Process p, int seconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException(url + ": its process exited with " + p.exitValue());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        c.setRequestProperty("Range", "bytes=0-0");
        int code = c.getResponseCode();
        c.disconnect();
        if (code / 100 == 2) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(20);
    }
    throw new IOException(url + " did not answer within " + seconds + " s");
  }

  /** The digest command's short name for the baseline's label: {@code openssl} or {@code sha256sum}. */
  private String digestLabel() {
    return digest.name().split(" ")[0];
  }

  /** Seconds for {@code curl URL | tee FILE | DIGEST} ({@link #digest}); fails when the digest differs. */
  private double curlSeconds(String url, String sha256) throws IOException, InterruptedException {
    Path target = dir.resolve("out.bin");
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; curl -sf \"$0\" | tee \"$1\" | " + digest.shellCommand(),
        url, target.toString()).redirectErrorStream(true).start();
    String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    int rc = p.waitFor();
    double s = (System.nanoTime() - t0) / 1e9;
    Files.deleteIfExists(target);
    if (rc != 0 || !got.startsWith(sha256)) {
      throw new IOException(url + ": curl | " + digest.name() + " gave \"" + got + "\" (exit " + rc + "), expected " + sha256);
    }
    return s;
  }

  private interface Timed {
    double seconds() throws IOException, InterruptedException;
  }

  private double median(Timed t) throws IOException, InterruptedException {
    List<Double> s = new ArrayList<>();
    for (int i = 0; i < options.runs(); i++) {
      s.add(t.seconds());
    }
    s.sort(null);
    return s.get(s.size() / 2);
  }

  private static NodeRun medianRun(List<NodeRun> runs) {
    List<NodeRun> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingDouble(NodeRun::seconds));
    return sorted.get(sorted.size() / 2);
  }

  // ------------------------------------------------------------------ helpers

  private static String writeRandom(Path file, long bytes, long seed) throws IOException {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    SplittableRandom r = new SplittableRandom(seed);
    byte[] buf = new byte[1 << 20];
    try (OutputStream o = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= buf.length) {
        r.nextBytes(buf);
        int n = (int) Math.min(buf.length, left);
        o.write(buf, 0, n);
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static void readableByAll(Path p, String mode) {
    try {
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
    } catch (IOException | UnsupportedOperationException e) {
      // not POSIX: nginx then runs as the same user anyway
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path p) {
    try (Stream<Path> all = Files.walk(p)) {
      for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Arguments: {@code [SIZE_MIB [RUNS]]}. */
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    run(new Options(mib, runs, Path.of(System.getProperty("java.io.tmpdir"))), System.out);
  }
}
