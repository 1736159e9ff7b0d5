package dev.peerdist.simulator.bench;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Cost of reading and answering PCCRD messages with the hardened XML codec, against the cheapest
 * possible reader measured in the same run: an iPXE-style substring search over the same bytes
 * (PROTOCOL.md §3.2), which checks nothing.
 *
 * <ul>
 *   <li>{@code substringBaseline}: UTF-8 decode of TV-4f and {@code indexOf} of the three tags.
 *   <li>{@code decodeProbeMatches}: {@link WsdCodec#decode} of TV-4f (hardened StAX, limits).
 *   <li>{@code decodeProbe}: {@link WsdCodec#decode} of the iPXE probe TV-4e.
 *   <li>{@code answerProbe}: what a responder does per probe without sockets: decode TV-4e, read
 *       the ids, look up holdings, build and encode the ProbeMatches.
 * </ul>
 *
 * <p>Run: {@code java -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*"
 * dev.peerdist.simulator.bench.DiscoveryBenchmark}; about 40 s; CI never runs it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DiscoveryBenchmark {
  static final String ID = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";

  private final WsdCodec codec = new WsdCodec();
  private byte[] tv4e;
  private byte[] tv4f;
  private LocalHoldings holdings;
  private long counter;

  @Setup
  public void setUp() {
    DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, HexFormat.of().parseHex(ID));
    PccrdQuery q = new PccrdQuery(DiscoveryKey.Form.V1, List.of(key));
    tv4e = codec.encode(PccrdProfile.probe("urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", q));
    ProbeMatches.Match m = PccrdProfile.match(q, Map.of(key, new LocalHoldings.Holding(2, true)),
        "urn:uuid:87A89944-0230-43a5-AC4E-FAB1386C8E2C", "192.0.2.10:80").orElseThrow();
    tv4f = codec.encode(PccrdProfile.reply("urn:uuid:7f4b09a3-96c9-4170-9eb3-1c805a52f444",
        "urn:uuid:91528b47-b96d-4e30-981f-308c0586926f", new AppSequence(1218765447L, 4), List.of(m)));
    Map<DiscoveryKey, LocalHoldings.Holding> table = new HashMap<>();
    table.put(key, new LocalHoldings.Holding(2, true));
    holdings = k -> table.getOrDefault(k, LocalHoldings.Holding.NONE);
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
  public byte[] answerProbe() {
    Probe p = (Probe) codec.decode(tv4e);
    PccrdQuery q = PccrdProfile.readProbe(p).orElseThrow();
    Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
    q.keys().forEach(k -> offered.put(k, holdings.holding(k)));
    ProbeMatches.Match m = PccrdProfile.match(q, offered, "urn:uuid:87A89944-0230-43a5-AC4E-FAB1386C8E2C",
        "192.0.2.10:80").orElseThrow();
    counter++;
    return codec.encode(PccrdProfile.reply("urn:uuid:" + counter, p.messageId(), new AppSequence(1, counter), List.of(m)));
  }

  /** Prints µs per message, messages per second per core, and each ratio to the baseline. */
  public static void printRatios(Collection<RunResult> results, PrintStream out) {
    Map<String, Double> us = new HashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      us.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
    }
    Double base = us.get("substringBaseline");
    out.println();
    out.println("PCCRD codec, one core (baseline: iPXE-style substring search of the same reply)");
    for (String name : List.of("substringBaseline", "decodeProbeMatches", "decodeProbe", "answerProbe")) {
      Double v = us.get(name);
      if (v == null) {
        continue;
      }
      out.printf(Locale.ROOT, "  %-20s %9.2f us/msg %12.0f msg/s %10s%n", name, v, 1e6 / v,
          base == null ? "" : String.format(Locale.ROOT, "x%.1f", v / base));
    }
  }

  public static void main(String[] args) throws RunnerException {
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(DiscoveryBenchmark.class.getName() + "\\.")
        .build()).run();
    printRatios(results, System.out);
  }
}
