package dev.peerdist.simulator.bench;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.pccrd.DuplicateMessageFilter;
import dev.peerdist.discovery.pccrd.MessageIds;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.pccrd.ProbeRateLimiter;
import dev.peerdist.discovery.pccrd.Responder;
import dev.peerdist.discovery.pccrd.ResponderPolicy;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Cost of reading and answering PCCRD messages with the hardened XML codec, against the cheapest
 * possible reader measured in the same run: an iPXE-style substring search over the same bytes
 * (PROTOCOL.md §3.2), which checks nothing. Every benchmark also reports the bytes it allocates
 * per message (JMH's GC profiler).
 *
 * <ul>
 *   <li>{@code substringBaseline}: UTF-8 decode of TV-4f and {@code indexOf} of the three tags.
 *   <li>{@code decodeProbeMatches}: {@link WsdCodec#decode} of TV-4f (hardened parser, limits).
 *   <li>{@code decodeProbe}: {@link WsdCodec#decode} of the iPXE probe TV-4e.
 *   <li>{@code encodeProbeMatches}: {@link WsdCodec#encode} of the message of TV-4f.
 *   <li>{@code readProbeMatches}: what a prober does per reply: decode TV-4f and {@link
 *       PccrdProfile#readMatch} it.
 *   <li>{@code answerProbe}, {@code answerProbe8}: what a responder does per probe without sockets:
 *       decode a 1-id (TV-4e shape) or 8-id V1 probe with a fresh MessageID, {@link Responder#onProbe}
 *       (duplicate filter, rate limits, holdings) and {@link Responder#encode} of its reply.
 *   <li>{@code replyEncode8}: {@link Responder#encode} alone of an 8-id reply (sizing and packing).
 * </ul>
 *
 * <p>Run: {@code java -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*"
 * dev.peerdist.simulator.bench.DiscoveryBenchmark}; about 90 s; CI never runs it. Before and after
 * a change to the discovery module, back to back: run it once with the old module's jar first on
 * the class path and {@code --save /tmp/before.txt}, then with the new one and {@code --before
 * /tmp/before.txt}, which prints the new/old ratios (the benchmark uses only API both have).
 * {@code --cold ROUNDS BATCH} measures a fresh JVM instead ({@link #cold}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DiscoveryBenchmark {
  static final String ID = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";
  static final String ENDPOINT = "urn:uuid:87A89944-0230-43a5-AC4E-FAB1386C8E2C";
  static final List<String> NAMES = List.of("substringBaseline", "decodeProbeMatches", "decodeProbe",
      "encodeProbeMatches", "readProbeMatches", "answerProbe", "answerProbe8", "replyEncode8");
  /** Distinct probes per shape; more than the responder's duplicate memory, so none is a repeat. */
  static final int PROBES = 4096;

  private final WsdCodec codec = new WsdCodec();
  private byte[] tv4e;
  private byte[] tv4f;
  private ProbeMatches tv4fMessage;
  private PccrdQuery query1;
  private byte[][] probes1;
  private byte[][] probes8;
  private Responder responder;
  private Responder.PendingReply pending8;
  private LocalHoldings holdings;
  private final InetSocketAddress sender = new InetSocketAddress("192.0.2.20", 50000);
  private InetAddress link;
  private int next;

  @Setup
  public void setUp() throws Exception {
    DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, HexFormat.of().parseHex(ID));
    query1 = new PccrdQuery(DiscoveryKey.Form.V1, List.of(key));
    tv4e = codec.encode(PccrdProfile.probe("urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", query1));
    ProbeMatches.Match m = PccrdProfile.match(query1, Map.of(key, new LocalHoldings.Holding(2, true)),
        ENDPOINT, "192.0.2.10:80").orElseThrow();
    tv4fMessage = PccrdProfile.reply("urn:uuid:7f4b09a3-96c9-4170-9eb3-1c805a52f444",
        "urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", new AppSequence(1218765447L, 4), List.of(m));
    tv4f = codec.encode(tv4fMessage);
    Map<DiscoveryKey, LocalHoldings.Holding> table = new HashMap<>();
    table.put(key, new LocalHoldings.Holding(2, true));
    List<DiscoveryKey> eight = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 8; i++) {
      byte[] id = new byte[32];
      for (int j = 0; j < id.length; j++) {
        id[j] = (byte) r.nextInt(256);
      }
      DiscoveryKey k = DiscoveryKey.of(DiscoveryKey.Form.V1, id);
      eight.add(k);
      table.put(k, new LocalHoldings.Holding(100 + i, false));
    }
    holdings = k -> table.getOrDefault(k, LocalHoldings.Holding.NONE);
    PccrdQuery query8 = new PccrdQuery(DiscoveryKey.Form.V1, eight);
    probes1 = new byte[PROBES][];
    probes8 = new byte[PROBES][];
    for (int i = 0; i < PROBES; i++) {
      probes1[i] = codec.encode(PccrdProfile.probe(MessageIds.random(r), query1));
      probes8[i] = codec.encode(PccrdProfile.probe(MessageIds.random(r), query8));
    }
    link = InetAddress.getByName("192.0.2.10");
    RandomGenerator random = new SplittableRandom(2);
    responder = new Responder(new Responder.Settings(80, null, 2.0, 32 * 1024), codec,
        new ResponderPolicy(random, Duration.ofMillis(500), true, 4096),
        new ProbeRateLimiter(Clock.systemUTC(), 1e12, 1_000_000_000, 1e12, 1_000_000_000, 1024),
        new DuplicateMessageFilter(1024), Responder.OwnProbes.NONE, DiscoveryListener.NONE, () -> SubnetListener.NONE,
        ENDPOINT, 1218765447L, random);
    Probe p8 = (Probe) codec.decode(probes8[0]);
    pending8 = responder.onProbe(p8, probes8[0].length, sender, link, holdings).orElseThrow();
  }

  @Benchmark
  public int substringBaseline() {
    String s = new String(tv4f, StandardCharsets.UTF_8);
    int a = s.indexOf("<wsd:Scopes>");
    int b = s.indexOf("<wsd:XAddrs>");
    int c = s.indexOf("<PeerDist:BlockCount>");
    return s.indexOf('<', a + 1) + s.indexOf('<', b + 1) + s.indexOf('<', c + 1);
  }

  @Benchmark
  public Object decodeProbeMatches() {
    return codec.decode(tv4f);
  }

  @Benchmark
  public Object decodeProbe() {
    return codec.decode(tv4e);
  }

  @Benchmark
  public byte[] encodeProbeMatches() {
    return codec.encode(tv4fMessage);
  }

  @Benchmark
  public Object readProbeMatches() {
    ProbeMatches pm = (ProbeMatches) codec.decode(tv4f);
    return PccrdProfile.readMatch(query1, pm.matches().get(0));
  }

  @Benchmark
  public Object answerProbe() {
    return answer(probes1);
  }

  @Benchmark
  public Object answerProbe8() {
    return answer(probes8);
  }

  @Benchmark
  public Object replyEncode8() {
    return responder.encode(pending8);
  }

  private Object answer(byte[][] probes) {
    byte[] bytes = probes[next++ & (PROBES - 1)];
    Probe p = (Probe) codec.decode(bytes);
    Optional<Responder.PendingReply> r = responder.onProbe(p, bytes.length, sender, link, holdings);
    return r.isPresent() ? responder.encode(r.get()) : null;
  }

  /** µs and allocated bytes per message, by benchmark name. */
  static Map<String, double[]> figures(Collection<RunResult> results) {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
      out.put(label.substring(label.lastIndexOf('.') + 1),
          new double[] {r.getPrimaryResult().getScore(), alloc == null ? Double.NaN : alloc.getScore()});
    }
    return out;
  }

  /**
   * Prints µs and bytes allocated per message, messages per second per core, the ratio to the
   * baseline, and with {@code before} (figures of an earlier run) the ratios new/old.
   */
  public static void printRatios(Map<String, double[]> now, Map<String, double[]> before, PrintStream out) {
    double[] base = now.get("substringBaseline");
    out.println();
    out.println("PCCRD codec, one core (baseline: iPXE-style substring search of the same reply)");
    out.printf(Locale.ROOT, "  %-20s %9s %9s %10s %8s%s%n", "", "us/msg", "B/msg", "msg/s", "x base",
        before == null ? "" : "   before us/msg  B/msg   time new/old  alloc new/old");
    for (String name : NAMES) {
      double[] v = now.get(name);
      if (v == null) {
        continue;
      }
      out.printf(Locale.ROOT, "  %-20s %9.2f %9.0f %10.0f %8s", name, v[0], v[1], 1e6 / v[0],
          base == null ? "" : String.format(Locale.ROOT, "x%.1f", v[0] / base[0]));
      double[] b = before == null ? null : before.get(name);
      if (b != null) {
        out.printf(Locale.ROOT, "   %9.2f %9.0f   %8.2f   %8.2f", b[0], b[1], v[0] / b[0], v[1] / b[1]);
      }
      out.println();
    }
  }

  /**
   * A fresh JVM's cost, as on a daemon that just started: {@code rounds} rounds of {@code batch}
   * times (answer one 1-id probe, read one ProbeMatches), without JMH; prints the thread's CPU µs
   * per pair for each round (CPU time, so that other processes on the machine do not count).
   * Run with the daemon's flags (launcher: {@code -XX:+UseSerialGC -XX:CompileThresholdScaling=3
   * ...}) to see the interpreter and early JIT.
   */
  static void cold(int rounds, int batch, PrintStream out) throws Exception {
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    DiscoveryBenchmark b = new DiscoveryBenchmark();
    long setUp = cpu.getCurrentThreadCpuTime();
    b.setUp();
    out.printf(Locale.ROOT, "set-up (4,096 x 2 probes encoded, one answered): %.0f ms CPU%n",
        (cpu.getCurrentThreadCpuTime() - setUp) / 1e6);
    long sink = 0;
    StringBuilder line = new StringBuilder("CPU us per pair (answer a probe + read a reply), rounds of " + batch + ":");
    for (int r = 0; r < rounds; r++) {
      long t0 = cpu.getCurrentThreadCpuTime();
      for (int i = 0; i < batch; i++) {
        sink += b.answerProbe() == null ? 0 : 1;
        sink += b.readProbeMatches() == null ? 0 : 1;
      }
      line.append(String.format(Locale.ROOT, " %.1f", (cpu.getCurrentThreadCpuTime() - t0) / 1e3 / batch));
    }
    out.println(line + (sink < 0 ? "!" : ""));
  }

  /** {@code [--save FILE] [--before FILE] [regex]} or {@code --cold ROUNDS BATCH}: see the class comment. */
  public static void main(String[] args) throws Exception {
    Path save = null;
    Path before = null;
    String only = "";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--save" -> save = Path.of(args[++i]);
        case "--before" -> before = Path.of(args[++i]);
        case "--cold" -> {
          cold(Integer.parseInt(args[i + 1]), Integer.parseInt(args[i + 2]), System.out);
          return;
        }
        default -> only = args[i];
      }
    }
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(DiscoveryBenchmark.class.getName() + "\\." + only)
        .addProfiler(GCProfiler.class)
        .build()).run();
    Map<String, double[]> now = figures(results);
    if (save != null) {
      List<String> lines = new ArrayList<>();
      now.forEach((k, v) -> lines.add(k + " " + v[0] + " " + v[1]));
      Files.write(save, lines);
    }
    Map<String, double[]> old = null;
    if (before != null) {
      old = new HashMap<>();
      for (String line : Files.readAllLines(before)) {
        String[] f = line.split(" ");
        old.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
      }
    }
    printRatios(now, old, System.out);
  }
}
