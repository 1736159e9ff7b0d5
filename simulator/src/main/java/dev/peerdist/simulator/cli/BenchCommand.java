package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.bench.EndToEndBenchmark;
import dev.peerdist.simulator.bench.HashingBenchmark;
import dev.peerdist.simulator.bench.ServingBenchmark;
import dev.peerdist.simulator.bench.StoreBenchmark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist bench}: measures hashing, the chunk store, PCCRR serving and whole downloads
 * ({@link EndToEndBenchmark}: nodes and publisher as processes, against nginx+curl) on this machine,
 * each next to a baseline measured in the same run, and prints a summary of the ratios. Hashing
 * and store run as JMH benchmarks ({@code HashingBenchmark}, {@code StoreBenchmark}) selected by
 * name; serving is {@link ServingBenchmark}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Measure hashing, store, PCCRR serving and end-to-end download throughput on this machine, each "
        + "next to a baseline from the same run (AES alone, plain HTTP, plain file I/O, nginx+curl+SHA-256: openssl, else sha256sum), "
        + "and print the ratios.")
public final class BenchCommand implements Callable<Integer> {
  /** The parts that can be run alone. */
  enum Part {
    hashing,
    store,
    serving,
    endtoend
  }

  @Spec CommandSpec spec;

  @Option(names = "--only", paramLabel = "hashing|store|serving|endtoend",
      description = "Run one part only (default: all four).")
  Part only;

  @Option(names = "--quick", description = "Short runs with small data sets (about a minute in all).")
  boolean quick;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Where the store and serving benchmarks put their temporary data (default: java.io.tmpdir).")
  Path dir;

  @Option(names = "--connections", paramLabel = "N", defaultValue = "0",
      description = "Client connections for the serving benchmark (default: 16 quick, 32 otherwise).")
  int connections;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Path work = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
    if (!Files.isDirectory(work)) {
      throw UserException.usage("--dir: not a directory: " + work);
    }
    if (connections < 0 || connections > 1024) {
      throw UserException.usage("--connections: must be within 1..1024, got " + connections);
    }
    List<String> summary = new ArrayList<>();
    if (only == null || only == Part.hashing) {
      summary.addAll(section(out, "hashing", () -> {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        org.openjdk.jmh.runner.options.Options options = quick ? HashingBenchmark.shortOptions(64)
            : new OptionsBuilder().include("\\." + HashingBenchmark.class.getSimpleName() + "\\.").build();
        HashingBenchmark.run(options, new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
      }));
    }
    if (only == null || only == Part.store) {
      summary.addAll(section(out, "store", () -> {
        System.setProperty("peerdist.bench.dir", work.toString());
        // Every layout: value files (the store's default), blob files and inline values, with the
        // disk bytes the forks wrote per byte put.
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StoreBenchmark.runAndPrint(forkArgs -> jmh("StoreBenchmark", "dataMiB", quick ? "64" : "1024", "layout",
            forkArgs, StoreBenchmark.FILES, StoreBenchmark.BLOB, StoreBenchmark.INLINE),
            new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
      }));
    }
    if (only == null || only == Part.serving) {
      summary.addAll(section(out, "serving", () -> {
        ServingBenchmark.Options base = quick ? ServingBenchmark.Options.quick() : ServingBenchmark.Options.standard();
        ServingBenchmark.Options o = new ServingBenchmark.Options(base.blocks(),
            connections > 0 ? connections : base.connections(), base.seconds(), base.serverIoThreads(), work);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ServingBenchmark.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
      }));
    }
    if (only == null || only == Part.endtoend) {
      summary.addAll(section(out, "endtoend", () -> {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EndToEndBenchmark.run(quick ? EndToEndBenchmark.Options.quick(work) : EndToEndBenchmark.Options.standard(work),
            new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
      }));
    }
    out.println();
    out.println("Summary (ratios against baselines measured in this run; higher is better):");
    for (String line : summary) {
      out.println(line);
    }
    out.flush();
    return 0;
  }

  private interface Part0 {
    String run() throws Exception;
  }

  /** Runs one part, prints its report, returns its ratio lines prefixed with the part name. */
  private List<String> section(PrintWriter out, String name, Part0 part) {
    String report;
    try {
      report = part.run();
    } catch (NoBenchmarksException e) {
      report = "  (not available: no " + name + " benchmark in this build)\n";
    } catch (RunnerException e) {
      throw new UserException(name + " benchmark failed: " + e.getMessage(), 1, e);
    } catch (Exception e) {
      throw new UserException(name + " benchmark failed: " + e, 1, e);
    }
    out.println(report);
    out.flush();
    List<String> ratios = new ArrayList<>();
    for (String line : report.split("\n")) {
      String t = line.trim();
      // "ratio 0.57  a / b" (store, serving) or "a / b (goal ...)   0.91" (hashing).
      if (t.startsWith("ratio") || (t.contains(" / ") && t.matches(".*\\d$"))) {
        ratios.add(String.format(Locale.ROOT, "  %-8s %s", name, t));
      }
    }
    if (ratios.isEmpty()) {
      ratios.add(String.format(Locale.ROOT, "  %-8s %s", name, report.contains("not available")
          ? "not available" : "see the report above"));
    }
    return ratios;
  }

  /** Runs the JMH benchmarks of class {@code simpleName}; returns the results. */
  private Collection<RunResult> jmh(String simpleName, String param, String value, String param2, String... values2)
      throws RunnerException {
    return jmh(simpleName, param, value, param2, List.of(), values2);
  }

  /** As above, with {@code jvmArgs} appended to every fork's JVM. */
  private Collection<RunResult> jmh(String simpleName, String param, String value, String param2,
      List<String> jvmArgs, String... values2) throws RunnerException {
    ChainedOptionsBuilder b = new OptionsBuilder().include("\\." + simpleName + "\\.");
    if (!jvmArgs.isEmpty()) {
      b.jvmArgsAppend(jvmArgs.toArray(String[]::new));
    }
    if (param != null) {
      b.param(param, value);
    }
    if (param2 != null) {
      b.param(param2, values2);
    }
    if (quick) {
      b.warmupIterations(1).measurementIterations(2).warmupTime(TimeValue.seconds(1))
          .measurementTime(TimeValue.seconds(1)).forks(1);
    }
    return new Runner(b.build()).run();
  }
}
