package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationGenerator;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.FastCdcChunker;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.ServerSecret;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Content-information generation speed against the raw hash speed of the same JVM in the same
 * run (LIMITS.md: always compare with a baseline measured alongside).
 *
 * <p>Each operation describes {@code sizeMiB} MiB of random bytes held in memory, so the figures
 * are hashing, not disk. Baselines: {@code rawSha256Blocks} hashes the same bytes as separate
 * 64 KiB SHA-256 digests (exactly the V1 block work), {@code rawSha512Segments} hashes them as
 * 64 KiB SHA-512 digests (about the V2 segment work); {@code raw...AllCores} do the same with one
 * thread per core, each hashing its own share, which is what the cores can give at best. The
 * generator benchmarks run on the calling thread alone ({@code ...OneThread}) and with one
 * hashing thread per core ({@code ...AllCores}).
 *
 * <p>{@link #main} runs everything with short settings and prints MB/s and the ratios: generation
 * per core ÷ raw hash (goal ≥ 0.9), all cores ÷ one thread (goal: near the core count) and all
 * cores ÷ the raw hash on all cores (how much of the machine's parallel hashing generation uses).
 * {@link #run} does the same for a caller such as {@code peerdist bench}, and then prints the
 * per-core ratios again by thread CPU time ({@link #cpuRatios}), which other processes' load
 * moves far less.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HashingBenchmark {
  private static final int BLOCK = 64 * 1024;

  /** Data and rounds of {@link #cpuRatios} when {@link #run} runs it. */
  private static final int CPU_SIZE_MIB = 64;

  private static final int CPU_ROUNDS = 15;

  /** Content size per operation. */
  @Param("64")
  public int sizeMiB;

  private byte[] content;
  private MessageDigest sha256;
  private MessageDigest sha512;
  private ContentInformationGenerator v1One;
  private ContentInformationGenerator v1All;
  private ContentInformationGenerator v2One;
  private ContentInformationGenerator v2All;
  private ExecutorService rawPool;
  private int cores;

  @Setup(Level.Trial)
  public void setUp() throws NoSuchAlgorithmException {
    content = new byte[sizeMiB * 1024 * 1024];
    SplittableRandom r = new SplittableRandom(2026);
    for (int i = 0; i < content.length; i += 8) {
      long v = r.nextLong();
      for (int k = 0; k < 8 && i + k < content.length; k++) {
        content[i + k] = (byte) (v >>> (8 * k));
      }
    }
    sha256 = MessageDigest.getInstance("SHA-256");
    sha512 = MessageDigest.getInstance("SHA-512");
    ServerSecret secret = ServerSecret.fromText("benchmark");
    cores = Runtime.getRuntime().availableProcessors();
    rawPool = Executors.newFixedThreadPool(cores);
    v1One = ContentInformationGenerator.builder(secret).hashAlgorithm(HashAlgorithm.SHA_256).threads(1).build();
    v1All = ContentInformationGenerator.builder(secret).hashAlgorithm(HashAlgorithm.SHA_256).threads(cores).build();
    v2One = ContentInformationGenerator.builder(secret).version(ContentVersion.V2).threads(1).build();
    v2All = ContentInformationGenerator.builder(secret).version(ContentVersion.V2).threads(cores).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    rawPool.shutdownNow();
  }

  private static byte[] blocks(MessageDigest d, byte[] data, int from, int to) {
    byte[] last = null;
    for (int off = from; off < to; off += BLOCK) {
      d.update(data, off, Math.min(BLOCK, to - off));
      last = d.digest();
    }
    return last;
  }

  private static byte[] blocks(MessageDigest d, byte[] data) {
    return blocks(d, data, 0, data.length);
  }

  /** Each core hashes its own contiguous share of the blocks with its own digest. */
  private byte[] blocksOnAllCores(String algorithm) throws Exception {
    int perCore = (content.length / BLOCK + cores - 1) / cores * BLOCK;
    List<Future<byte[]>> parts = new ArrayList<>();
    for (int from = 0; from < content.length; from += perCore) {
      int start = from;
      int end = Math.min(content.length, from + perCore);
      parts.add(rawPool.submit(() -> blocks(MessageDigest.getInstance(algorithm), content, start, end)));
    }
    byte[] last = null;
    for (Future<byte[]> f : parts) {
      last = f.get();
    }
    return last;
  }

  @Benchmark
  public byte[] rawSha256Blocks() {
    return blocks(sha256, content);
  }

  @Benchmark
  public byte[] rawSha512Segments() {
    return blocks(sha512, content);
  }

  @Benchmark
  public byte[] rawSha256AllCores() throws Exception {
    return blocksOnAllCores("SHA-256");
  }

  @Benchmark
  public byte[] rawSha512AllCores() throws Exception {
    return blocksOnAllCores("SHA-512");
  }

  @Benchmark
  public ContentInformation v1Sha256OneThread() {
    return v1One.generate(content);
  }

  @Benchmark
  public ContentInformation v1Sha256AllCores() {
    return v1All.generate(content);
  }

  /** FastCDC cut points alone: the serial part of V2 generation. */
  @Benchmark
  public int v2CutPointsOnly() {
    int s = 0;
    int n = 0;
    while (s < content.length) {
      s += FastCdcChunker.nextCut(content, s, content.length, true);
      n++;
    }
    return n;
  }

  @Benchmark
  public ContentInformation v2OneThread() {
    return v2One.generate(content);
  }

  @Benchmark
  public ContentInformation v2AllCores() {
    return v2All.generate(content);
  }

  /** Short settings: 1 fork, 2 × 1 s warm-up, 3 × 1 s measurement (about 50 s in total). */
  public static Options shortOptions(int sizeMiB) {
    return new OptionsBuilder()
        .include(HashingBenchmark.class.getName() + "\\.")
        .param("sizeMiB", Integer.toString(sizeMiB))
        .forks(1)
        .warmupIterations(2)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(3)
        .measurementTime(TimeValue.seconds(1))
        .jvmArgsAppend("-Xmx1g")
        .build();
  }

  /**
   * Runs the benchmark and prints MB/s per benchmark and the ratios, then the per-core ratios by
   * thread CPU time ({@link #cpuRatios}, in this JVM).
   *
   * @return MB/s by benchmark method name
   */
  public static Map<String, Double> run(Options options, PrintStream out) throws RunnerException {
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> mbps = new LinkedHashMap<>();
    for (RunResult rr : results) {
      String name = rr.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      int size = Integer.parseInt(rr.getParams().getParam("sizeMiB"));
      mbps.put(name, rr.getPrimaryResult().getScore() * size * 1024 * 1024 / 1e6);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    out.println();
    out.println("Content-information generation (MB = 10^6 bytes, " + cores + " cores)");
    mbps.forEach((k, v) -> out.printf(Locale.ROOT, "  %-20s %9.1f MB/s%n", k, v));
    ratio(out, mbps, "v1Sha256OneThread", "rawSha256Blocks", "V1 SHA-256 per core / raw SHA-256 (goal >= 0.9)");
    ratio(out, mbps, "v1Sha256AllCores", "v1Sha256OneThread", "V1 all cores / one thread (ideal " + cores + ")");
    ratio(out, mbps, "v2OneThread", "rawSha512Segments", "V2 per core / raw SHA-512 (chunking included)");
    ratio(out, mbps, "v2AllCores", "v2OneThread", "V2 all cores / one thread (ideal " + cores + ")");
    ratio(out, mbps, "rawSha256AllCores", "rawSha256Blocks", "raw SHA-256 all cores / one thread (the machine)");
    ratio(out, mbps, "rawSha512AllCores", "rawSha512Segments", "raw SHA-512 all cores / one thread (the machine)");
    ratio(out, mbps, "v1Sha256AllCores", "rawSha256AllCores", "V1 all cores / raw SHA-256 all cores");
    ratio(out, mbps, "v2AllCores", "rawSha512AllCores", "V2 all cores / raw SHA-512 all cores (chunking included)");
    ratio(out, mbps, "v2OneThread", "rawSha256Blocks", "V2 per core / raw SHA-256");
    ratio(out, mbps, "v2CutPointsOnly", "rawSha512Segments", "FastCDC cutting / raw SHA-512");
    try {
      cpuRatios(CPU_SIZE_MIB, CPU_ROUNDS, out);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256 or SHA-512", e);
    }
    return mbps;
  }

  private static void ratio(PrintStream out, Map<String, Double> m, String a, String b, String label) {
    if (m.containsKey(a) && m.containsKey(b)) {
      out.printf(Locale.ROOT, "  %-52s %6.2f%n", label, m.get(a) / m.get(b));
    }
  }

  /**
   * The per-core ratios by thread CPU time instead of wall time: {@code rounds} alternating rounds
   * in this JVM, each hashing the same {@code sizeMiB} of random bytes as raw SHA-256 blocks, V1
   * on the calling thread alone, raw SHA-512 segments, V2 on the calling thread alone and the
   * FastCDC cut loop alone; the first third of the rounds warm the JIT and are not counted. A
   * thread's CPU time is what "per core" means, and other processes' load moves it far less than
   * the wall-clock figures of {@link #run} (on the shared machine those swung 0.26–0.81 for V2
   * within minutes). Prints the medians and the ratios.
   */
  public static void cpuRatios(int sizeMiB, int rounds, PrintStream out) throws NoSuchAlgorithmException {
    HashingBenchmark b = new HashingBenchmark();
    b.sizeMiB = sizeMiB;
    b.setUp();
    try {
      var threads = java.lang.management.ManagementFactory.getThreadMXBean();
      Map<String, Runnable> parts = new LinkedHashMap<>();
      parts.put("rawSha256Blocks", b::rawSha256Blocks);
      parts.put("v1Sha256OneThread", b::v1Sha256OneThread);
      parts.put("rawSha512Segments", b::rawSha512Segments);
      parts.put("v2OneThread", b::v2OneThread);
      parts.put("v2CutPointsOnly", b::v2CutPointsOnly);
      Map<String, List<Double>> mbps = new LinkedHashMap<>();
      int warmUp = rounds / 3;
      for (int r = 0; r < rounds + warmUp; r++) {
        for (var e : parts.entrySet()) {
          long t0 = threads.getCurrentThreadCpuTime();
          e.getValue().run();
          double seconds = (threads.getCurrentThreadCpuTime() - t0) / 1e9;
          if (r >= warmUp) {
            mbps.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(b.content.length / 1e6 / seconds);
          }
        }
      }
      Map<String, Double> median = new LinkedHashMap<>();
      mbps.forEach((k, v) -> {
        v.sort(null);
        median.put(k, v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2);
      });
      out.println();
      out.printf(Locale.ROOT, "Content-information generation per core, by thread CPU time (MB = 10^6 bytes per"
          + " CPU-second, %d MiB, median of %d alternating rounds after %d not counted)%n", sizeMiB, rounds, warmUp);
      median.forEach((k, v) -> out.printf(Locale.ROOT, "  %-20s %9.1f MB/s%n", k, v));
      ratio(out, median, "v1Sha256OneThread", "rawSha256Blocks", "V1 SHA-256 per core / raw SHA-256, thread CPU");
      ratio(out, median, "v2OneThread", "rawSha512Segments", "V2 per core / raw SHA-512, thread CPU (goal >= 0.9)");
      ratio(out, median, "v2CutPointsOnly", "rawSha512Segments", "FastCDC cutting / raw SHA-512, thread CPU");
    } finally {
      b.tearDown();
    }
  }

  /**
   * {@code java -cp ... dev.peerdist.simulator.bench.HashingBenchmark [sizeMiB]}; with {@code --cpu}
   * the per-core ratios by thread CPU time instead ({@link #cpuRatios}, 15 rounds).
   */
  public static void main(String[] args) throws RunnerException, NoSuchAlgorithmException {
    int size = 64;
    boolean cpu = false;
    for (String a : args) {
      if (a.equals("--cpu")) {
        cpu = true;
      } else {
        size = Integer.parseInt(a);
      }
    }
    if (cpu) {
      cpuRatios(size, 15, System.out);
      return;
    }
    run(shortOptions(size), System.out);
  }
}
