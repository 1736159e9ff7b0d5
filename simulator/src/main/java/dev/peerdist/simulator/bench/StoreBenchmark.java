package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.BlockSealer;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.VerifiedBlock;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.node.demo.DemoFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Chunk store put and get throughput for 64 KiB blocks against plain file I/O of the same bytes,
 * measured in the same run (issue 2, "Benchmarks").
 *
 * <p>Each measured operation moves the whole data set ({@code dataMiB}, default 1024 MiB, far
 * larger than the store's 16 MiB block cache): so scores are seconds per data set and
 * {@link #printRatios} turns them into MB/s (10^6 bytes) and ratios.
 *
 * <ul>
 *   <li>{@code storePutReceived}: {@link RocksChunkStore#putBlock(VerifiedBlock)} of blocks as a
 *       node puts a block received from a peerdist peer — verified on receipt and carrying the
 *       stored form it arrived in ({@link SegmentRecord#openSealed}, prepared before the
 *       measurement) — into an empty store: no hash, no cipher, only the store's own work and
 *       the write, unsynced (the store's default durability: safe against process kills, see
 *       its Javadoc). With value files a positional write into the segment's file and an 8-byte
 *       presence entry in RocksDB (WAL), otherwise the value and its entry in one RocksDB write.
 *       This is the figure the goal (≥ 0.5 × {@code filePut}) is about.
 *   <li>{@code storePut}: {@link RocksChunkStore#putBlock} of raw bytes into an empty store —
 *       SHA-256 verification and AES-256-CBC encryption at rest (about 100 µs of one core per
 *       block, ~4 × what the page-cache write costs) before the same write.
 *   <li>{@code sealOnly}: that verification and encryption of the same blocks with no store: the
 *       floor under {@code storePut}.
 *   <li>{@code storePutTwoWriters}: the same puts split over two threads, each taking every
 *       other block of every segment, as a node's two store writers do: their hashing,
 *       encryption and writes overlap (puts of different blocks write concurrently,
 *       docs/PERFORMANCE.md "Concurrent puts").
 *   <li>{@code filePut}: the same plaintext blocks appended to one file with
 *       {@link FileChannel#write}, no fsync (the matching durability policy).
 *   <li>{@code filePutSynced}: the same, then one {@code fdatasync}: the bytes reach the disk, as
 *       the store's flushes make them (on a busy disk the store waits for its flushes).
 *   <li>{@code storeRead}: {@link RocksChunkStore#readBlock} in random order — RocksDB get,
 *       decryption and SHA-256 verification: what the node hands its own callers.
 *   <li>{@code storeServe}: {@link RocksChunkStore#storedBlock} in random order — the bytes a
 *       PCCRR MSG_BLK carries, with no cipher work.
 *   <li>{@code fileRead}: positional 64 KiB reads of the file, in the same random order.
 * </ul>
 *
 * <p>The put benchmarks first put {@value #WARM_UP_BLOCKS} blocks the same way into scratch
 * stores (not measured): the JIT compiles the AES-CBC and SHA intrinsics only after some
 * thousands of calls, and a single-shot iteration of a small data set would otherwise measure
 * the interpreter (a fresh daemon's first few hundred MiB, docs/PERFORMANCE.md).
 *
 * <p>Besides MB/s, each put benchmark reports its CPU per byte — the process's (every thread:
 * RocksDB's, the JIT's, GC) and, for the one-thread puts and the file write, the benchmark
 * thread's own — and where its wall time went per block: on a core, waiting for a core (Linux
 * schedstat: other processes' load, or this process's JIT and GC threads), blocked (I/O, locks).
 * These are means over every iteration, warm-up included; on a shared machine the thread's CPU
 * per byte is the figure other processes move least.
 *
 * <p>Reads run with a warm page cache (the data set is smaller than RAM; dropping caches needs
 * root and disturbs the whole machine). Data lives under {@code -Dpeerdist.bench.dir} (default
 * {@code java.io.tmpdir}) and is deleted afterwards. Run: {@code java -cp ...
 * dev.peerdist.simulator.bench.StoreBenchmark [DATA_MIB]}; CI never runs it. {@link #main} runs
 * every benchmark once per {@link #layout} in one run — block values in value files (the store's
 * default since issue 12's value files), in RocksDB blob files, and inline in SST files — and
 * prints each layout's ratios against plain files, the ratios between layouts and the disk bytes
 * written per byte put of each.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class StoreBenchmark {
  static final int BLOCK = SegmentRecord.V1_BLOCK_SIZE;
  static final int BLOCKS_PER_SEGMENT = SegmentRecord.V1_SEGMENT_SIZE / BLOCK;

  /** Blocks put into scratch stores before a put benchmark is measured (class docs). */
  static final int WARM_UP_BLOCKS = 4096;

  /** Data set size in MiB; a multiple of 32 (one V1 segment). */
  @Param("1024")
  public int dataMiB;

  /**
   * Where the stores keep block values: {@value #FILES} (value files, {@code
   * RocksChunkStore.Builder#valueFiles}, the default), {@value #BLOB} (RocksDB blob files) or
   * {@value #INLINE} (inline in SST files).
   */
  @Param({FILES, BLOB, INLINE})
  public String layout;

  public static final String FILES = "files";
  public static final String BLOB = "blob";
  public static final String INLINE = "inline";

  /**
   * A file the forked benchmark JVMs append their disk figures to ({@code benchmark layout
   * bytesWrittenPerBytePut}, one line per iteration), for {@link #main}'s summary.
   */
  static final String REPORT_PROPERTY = "peerdist.bench.report";

  /** Prefix of the report lines that carry process CPU nanoseconds per byte instead of disk bytes. */
  static final String CPU_KEY = "cpu:";
  /** Report lines: wall nanoseconds per byte of the measured operation (set-up and tear-down excluded). */
  static final String WALL_KEY = "wall:";
  /** Report lines: nanoseconds per byte the benchmark's thread ran on a core (Linux schedstat). */
  static final String THREAD_KEY = "thread:";
  /** Report lines: nanoseconds per byte the benchmark's thread was runnable but waited for a core. */
  static final String WAIT_KEY = "wait:";

  private Path root;
  private byte[][] pool; // one segment's worth of random blocks, reused by every segment
  private List<SegmentRecord> records;
  private int[] order; // random read order over (segment, index), packed as segment * 512 + index
  private VerifiedBlock[][] received; // storePutReceived: per segment and index, as from a peer

  private RocksChunkStore putStore;
  private Path putDir;
  private FileChannel putFile;
  private RocksChunkStore readStore;
  private FileChannel readFile;
  private java.util.concurrent.ExecutorService writers;
  private long diskBytesAtStart;
  private long cpuAtStart;
  private long wallAtStart;
  private long[] timesAtStart; // this thread's schedstat at the start, null where there is none
  private Thread putThread;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws IOException {
    prepare();
    String b = params.getBenchmark();
    if (b.endsWith(".storePutReceived")) {
      received = receivedBlocks();
    }
    if (isPut(params)) {
      warmUp(b);
    }
    if (!b.endsWith("Read") && !b.endsWith("Serve")) {
      return;
    }
    // The read side: one full store and one file with the same blocks.
    readStore = store(root.resolve("read-store"));
    fill(readStore);
    readStore.flush();
    Path file = root.resolve("read-file");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeAll(ch);
    }
    readFile = FileChannel.open(file, StandardOpenOption.READ);
  }

  /** The data set (blocks, records, read order) and the work directory. */
  private void prepare() throws IOException {
    if (dataMiB <= 0 || dataMiB % 32 != 0) {
      throw new IllegalArgumentException("dataMiB " + dataMiB + " must be a positive multiple of 32");
    }
    root = Files.createTempDirectory(Path.of(System.getProperty("peerdist.bench.dir",
        System.getProperty("java.io.tmpdir"))), "peerdist-store-bench");
    SplittableRandom random = new SplittableRandom(2026);
    pool = new byte[BLOCKS_PER_SEGMENT][BLOCK];
    List<byte[]> hashes = new ArrayList<>();
    for (byte[] b : pool) {
      random.nextBytes(b);
      hashes.add(HashAlgorithm.SHA_256.hash(b));
    }
    // Same blocks, different server secrets: distinct segments (PROTOCOL.md §2.2, Kp and HoHoDk).
    byte[] hod = PccrcKeys.v1HashOfData(HashAlgorithm.SHA_256, hashes);
    records = new ArrayList<>();
    int segments = dataMiB / 32;
    for (int s = 0; s < segments; s++) {
      byte[] ks = PccrcKeys.serverSecret(HashAlgorithm.SHA_256, ("bench " + s).getBytes(StandardCharsets.UTF_8));
      byte[] kp = PccrcKeys.segmentSecret(HashAlgorithm.SHA_256, ks, hod);
      records.add(SegmentRecord.v1(HashAlgorithm.SHA_256, hod, kp, SegmentRecord.V1_SEGMENT_SIZE, hashes));
    }
    order = new int[segments * BLOCKS_PER_SEGMENT];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }

  /**
   * Every block of every segment as a node holds it after receiving it from a peerdist peer:
   * sealed under the segment's Kp with a random IV (AES-256, what peers serve), then opened and
   * verified by {@link SegmentRecord#openSealed}, which keeps the received stored form.
   */
  private VerifiedBlock[][] receivedBlocks() {
    SplittableRandom random = new SplittableRandom(12);
    byte[] iv = new byte[BlockCipher.IV_LENGTH];
    VerifiedBlock[][] out = new VerifiedBlock[records.size()][BLOCKS_PER_SEGMENT];
    for (int s = 0; s < records.size(); s++) {
      SegmentRecord r = records.get(s);
      for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
        random.nextBytes(iv);
        byte[] sealed = BlockCipher.seal(BlockCipher.AES_256, r.segmentSecret(), iv, pool[i], 0, BLOCK);
        out[s][i] = r.openSealed(i, BlockCipher.AES_256, java.util.Arrays.copyOf(iv, iv.length),
            java.util.Arrays.copyOfRange(sealed, iv.length, sealed.length));
        if (out[s][i] == null) {
          throw new IllegalStateException("block " + i + " of segment " + s + " does not verify");
        }
      }
    }
    return out;
  }

  /** Puts {@value #WARM_UP_BLOCKS} blocks the way {@code benchmark} does into scratch stores (class docs). */
  private void warmUp(String benchmark) throws IOException {
    boolean verified = benchmark.endsWith(".storePutReceived");
    boolean store = benchmark.contains(".storePut");
    int done = 0;
    for (int round = 0; done < WARM_UP_BLOCKS; round++) {
      if (!store) {
        Path f = root.resolve("warm-up-" + round);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          writeAll(ch);
        }
        Files.delete(f);
        done += records.size() * BLOCKS_PER_SEGMENT;
        continue;
      }
      Path dir = root.resolve("warm-up-" + round);
      try (RocksChunkStore s = store(dir)) {
        if (verified) {
          fillReceived(s);
        } else {
          fill(s);
        }
      }
      DemoFiles.deleteTree(dir);
      done += records.size() * BLOCKS_PER_SEGMENT;
    }
  }

  private RocksChunkStore store(Path dir) {
    if (!List.of(FILES, BLOB, INLINE).contains(layout)) {
      throw new IllegalArgumentException("layout " + layout + " is none of " + FILES + ", " + BLOB + ", " + INLINE);
    }
    return RocksChunkStore.at(dir).valueFiles(FILES.equals(layout)).blobFiles(BLOB.equals(layout))
        .capacityBytes(Long.MAX_VALUE / 2).open();
  }

  private static boolean isPut(BenchmarkParams params) {
    String b = params.getBenchmark();
    return b.endsWith("Put") || b.endsWith("PutSynced") || b.endsWith("PutTwoWriters") || b.endsWith("PutReceived");
  }

  @Setup(Level.Iteration)
  public void freshPutTargets(BenchmarkParams params) throws IOException {
    if (!isPut(params)) {
      return;
    }
    putDir = Files.createDirectory(root.resolve("put-" + System.nanoTime()));
    putStore = store(putDir.resolve("store"));
    putFile = FileChannel.open(putDir.resolve("file"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    diskBytesAtStart = diskBytesWritten();
    putThread = Thread.currentThread();
    timesAtStart = threadTimes();
    cpuAtStart = processCpuNanos();
    wallAtStart = System.nanoTime();
  }

  /**
   * The calling thread's CPU time ({@link java.lang.management.ThreadMXBean}: exact, where the
   * scheduler's own count lags up to a tick) and its time runnable but waiting for a core (Linux
   * {@code /proc/thread-self/schedstat}), in nanoseconds; null where either is not available. With
   * the wall time they say where a put's time goes: on a core, waiting for a core (other
   * processes' load, or this process's JIT and GC threads), or blocked (I/O, locks).
   */
  static long[] threadTimes() {
    try {
      long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      String[] f = Files.readString(Path.of("/proc/thread-self/schedstat")).trim().split(" ");
      return cpu < 0 ? null : new long[] {cpu, Long.parseLong(f[1])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** CPU time of the whole process (every thread: RocksDB's, the JIT's, GC), in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Bytes this process has sent to the disk (Linux {@code /proc/self/io}: write_bytes less
   * cancelled_write_bytes, RocksDB's threads included), or -1 where that is not available.
   */
  static long diskBytesWritten() {
    try {
      long w = 0;
      for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
        if (line.startsWith("write_bytes:")) {
          w += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        } else if (line.startsWith("cancelled_write_bytes:")) {
          w -= Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
        }
      }
      return w;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  @TearDown(Level.Iteration)
  public void dropPutTargets(BenchmarkParams params) throws IOException {
    if (putStore != null) {
      // CPU per byte, the process's and the benchmark thread's, over the measured operation only:
      // other processes' load changes them far less than the MB/s (a loaded machine gives this
      // JVM a varying share); the thread's wait for a core says how much of the wall time that was.
      long wall = System.nanoTime() - wallAtStart;
      long cpu = processCpuNanos() - cpuAtStart;
      long[] sched = threadTimes();
      String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
      String report = System.getProperty(REPORT_PROPERTY);
      double bytes = dataMiB * 1048576.0;
      if (report != null && cpuAtStart >= 0 && cpu >= 0) {
        StringBuilder lines = new StringBuilder(String.format(Locale.ROOT, "%s%s %s %.6f%n", CPU_KEY, name, layout,
            cpu / bytes));
        // The thread's own figures only where it did the work alone (not the two-writer put).
        if (sched != null && timesAtStart != null && putThread == Thread.currentThread()
            && !name.endsWith("TwoWriters")) {
          lines.append(String.format(Locale.ROOT, "%s%s %s %.6f%n", WALL_KEY, name, layout, wall / bytes));
          lines.append(String.format(Locale.ROOT, "%s%s %s %.6f%n", THREAD_KEY, name, layout,
              (sched[0] - timesAtStart[0]) / bytes));
          lines.append(String.format(Locale.ROOT, "%s%s %s %.6f%n", WAIT_KEY, name, layout,
              (sched[1] - timesAtStart[1]) / bytes));
        }
        Files.writeString(Path.of(report), lines.toString(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
    }
    if (putStore != null && params.getBenchmark().contains(".storePut")) {
      // Write amplification: what reached the disk per byte stored, the memtables flushed (the
      // compactions they start are counted as far as they got). A load-independent figure.
      putStore.flush();
      long written = diskBytesWritten() - diskBytesAtStart;
      if (diskBytesAtStart >= 0 && written >= 0) {
        String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        double perByte = written / (dataMiB * 1048576.0);
        System.out.printf(Locale.ROOT, "  [%s, %s] disk bytes written per byte put: %.2f%n", name,
            describe(layout), perByte);
        String report = System.getProperty(REPORT_PROPERTY);
        if (report != null) {
          Files.writeString(Path.of(report), String.format(Locale.ROOT, "%s %s %.6f%n", name, layout, perByte),
              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
      }
    }
    if (putStore != null) {
      putStore.close();
      putFile.close();
      DemoFiles.deleteTree(putDir);
      putStore = null;
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (writers != null) {
      writers.shutdownNow();
    }
    if (readStore != null) {
      readStore.close();
      readFile.close();
    }
    DemoFiles.deleteTree(root);
  }

  private void fill(RocksChunkStore store) {
    for (SegmentRecord r : records) {
      store.putSegment(r);
      SegmentId id = r.id();
      for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
        store.putBlock(id, i, pool[i]);
      }
    }
  }

  private void fillReceived(RocksChunkStore store) {
    for (int s = 0; s < records.size(); s++) {
      store.putSegment(records.get(s));
      for (VerifiedBlock b : received[s]) {
        store.putBlock(b);
      }
    }
  }

  private void writeAll(FileChannel ch) throws IOException {
    for (int s = 0; s < records.size(); s++) {
      for (byte[] b : pool) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
    }
  }

  @Benchmark
  public void storePut() {
    fill(putStore);
  }

  @Benchmark
  public void storePutReceived() {
    fillReceived(putStore);
  }

  /** The verification and encryption of {@link #storePut} alone (no store). */
  @Benchmark
  public void sealOnly(Blackhole bh) {
    BlockSealer sealer = new BlockSealer(new SplittableRandom(5));
    for (SegmentRecord r : records) {
      for (int i = 0; i < BLOCKS_PER_SEGMENT; i++) {
        if (!r.verifies(i, pool[i], 0, BLOCK)) {
          throw new IllegalStateException("block " + i + " does not verify");
        }
        bh.consume(sealer.seal(r, pool[i], 0, BLOCK));
      }
    }
  }

  @Benchmark
  public void storePutTwoWriters() throws Exception {
    if (writers == null) {
      writers = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "bench-store-writer");
        t.setDaemon(true);
        return t;
      });
    }
    for (SegmentRecord r : records) {
      putStore.putSegment(r);
    }
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int first = w;
      done.add(writers.submit(() -> {
        for (SegmentRecord r : records) {
          for (int i = first; i < BLOCKS_PER_SEGMENT; i += 2) {
            putStore.putBlock(r.id(), i, pool[i]);
          }
        }
      }));
    }
    for (java.util.concurrent.Future<?> f : done) {
      f.get();
    }
  }

  @Benchmark
  public void filePut() throws IOException {
    writeAll(putFile);
  }

  /**
   * The same write followed by one fdatasync: the bytes are on disk at the end, as RocksDB's flushes
   * put them (a store that cannot keep up with the disk stalls; a page-cache write never does).
   */
  @Benchmark
  public void filePutSynced() throws IOException {
    writeAll(putFile);
    putFile.force(false);
  }

  @Benchmark
  public void storeRead(Blackhole bh) {
    for (int k : order) {
      bh.consume(readStore.readBlock(records.get(k / BLOCKS_PER_SEGMENT).id(), k % BLOCKS_PER_SEGMENT)
          .orElseThrow());
    }
  }

  @Benchmark
  public void storeServe(Blackhole bh) {
    for (int k : order) {
      bh.consume(readStore.storedBlock(records.get(k / BLOCKS_PER_SEGMENT).id(), k % BLOCKS_PER_SEGMENT)
          .orElseThrow());
    }
  }

  @Benchmark
  public void fileRead(Blackhole bh) throws IOException {
    for (int k : order) {
      // A fresh heap array per block, as the store's get returns one.
      ByteBuffer buf = ByteBuffer.allocate(BLOCK);
      long pos = (long) k * BLOCK;
      while (buf.hasRemaining()) {
        if (readFile.read(buf, pos + buf.position()) < 0) {
          throw new IOException("file ends before block " + k);
        }
      }
      bh.consume(buf);
    }
  }

  /** A JMH run of this class's benchmarks whose forks get {@code forkJvmArgs} appended. */
  public interface Run {
    Collection<RunResult> run(List<String> forkJvmArgs) throws RunnerException;
  }

  /**
   * Runs {@code run} with its forks reporting the disk bytes and process CPU of each put to a
   * temporary file (and with a 1 GiB pre-touched heap), then prints MB/s, the ratios, the disk
   * bytes written per byte put and the CPU per byte ({@link #printRatios}).
   */
  public static void runAndPrint(Run run, PrintStream out) throws RunnerException, IOException {
    Path report = Files.createTempFile("peerdist-store-bench", ".txt");
    try {
      // A pre-touched heap: the first pass over a fresh heap's pages costs the allocating thread
      // page faults (sealing blocks 4,000-12,500 in a fresh JVM with a 1 GiB heap: 90-100 µs per
      // block instead of 71; pre-touched, 71 throughout), a start-up cost a node pays once.
      printRatios(run.run(List.of("-D" + REPORT_PROPERTY + "=" + report, "-Xms1g", "-XX:+AlwaysPreTouch")),
          readDiskReport(report), out);
    } finally {
      Files.deleteIfExists(report);
    }
  }

  /**
   * MB/s of each benchmark, the store/file ratios per layout and, for the layouts that ran, the
   * ratios between them (value files / blob files, blob files / inline values);
   * {@code diskPerBytePut} (layout, then put benchmark: mean disk bytes written per byte put) is
   * printed beside them.
   */
  static void printRatios(Collection<RunResult> results, Map<String, Map<String, Double>> diskPerBytePut,
      PrintStream out) {
    Map<String, Map<String, Double>> byLayout = new java.util.TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark();
      name = name.substring(name.lastIndexOf('.') + 1);
      double seconds = r.getPrimaryResult().getScore(); // seconds per data set
      int mib = Integer.parseInt(r.getParams().getParam("dataMiB"));
      String layout = describe(r.getParams().getParam("layout"));
      byLayout.computeIfAbsent(layout, k -> new HashMap<>()).put(name, mib * 1048576.0 / 1e6 / seconds);
    }
    for (var e : byLayout.entrySet()) {
      Map<String, Double> mbps = e.getValue();
      out.println();
      out.println("Store benchmark, " + e.getKey() + " (64 KiB blocks, MB = 10^6 bytes, same run):");
      for (String n : List.of("storePutReceived", "storePut", "storePutTwoWriters", "sealOnly", "filePut",
          "filePutSynced", "storeRead", "storeServe", "fileRead")) {
        if (mbps.containsKey(n)) {
          out.printf(Locale.ROOT, "  %-18s %9.1f MB/s%n", n, mbps.get(n));
        }
      }
      String l = " [" + e.getKey() + "]";
      ratio(out, mbps, "storePutReceived", "filePut",
          "put of a block received from a peer: store / plain file write (no fsync), goal 0.5" + l);
      ratio(out, mbps, "storePut", "filePut", "put with verification and encryption: store / plain file write (no fsync)" + l);
      ratio(out, mbps, "storePut", "sealOnly", "put with verification and encryption: store / that work alone" + l);
      ratio(out, mbps, "storePutTwoWriters", "filePut", "put, two writers: store / plain file write (no fsync)" + l);
      ratio(out, mbps, "storePut", "filePutSynced", "put: store / plain file write + one fdatasync" + l);
      ratio(out, mbps, "storeRead", "fileRead", "get: readBlock (decrypt+verify) / file read" + l);
      ratio(out, mbps, "storeServe", "fileRead", "get: storedBlock (as served) / file read" + l);
      Map<String, Double> figures = diskPerBytePut.getOrDefault(e.getKey(), Map.of());
      figures.forEach((n, v) -> {
        if (!n.contains(":")) {
          out.printf(Locale.ROOT, "  disk bytes written per byte put: %.2f  %s%s%n", v, n, l);
        }
      });
      printCpu(figures, l, out);
    }
    compare(out, byLayout, diskPerBytePut, describe(FILES), describe(BLOB));
    compare(out, byLayout, diskPerBytePut, describe(BLOB), describe(INLINE));
  }

  /**
   * The CPU lines of one layout from its report {@code figures} ({@link #readDiskReport}): CPU per
   * byte against the plain file write's (the process's, and the putting thread's) and, per
   * one-thread put and the file write, where the wall time of a 64 KiB block went.
   */
  static void printCpu(Map<String, Double> figures, String l, PrintStream out) {
    Double fileCpu = figures.get(CPU_KEY + "filePut");
    for (String n : List.of("storePutReceived", "storePut", "storePutTwoWriters")) {
      Double c = figures.get(CPU_KEY + n);
      if (c != null && fileCpu != null && c > 0) {
        out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte (the process's): plain file write / %s%s (%.2f vs %.2f"
            + " ns per byte)%n", fileCpu / c, n, l, fileCpu, c);
      }
    }
    Double fileThread = figures.get(THREAD_KEY + "filePut");
    Double putThread = figures.get(THREAD_KEY + "storePutReceived");
    if (fileThread != null && putThread != null && putThread > 0) {
      out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte (the putting thread's): plain file write / storePutReceived%s"
          + " (%.2f vs %.2f ns per byte)%n", fileThread / putThread, l, fileThread, putThread);
    }
    for (String n : List.of("filePut", "storePutReceived", "storePut")) {
      Double wall = figures.get(WALL_KEY + n);
      Double thread = figures.get(THREAD_KEY + n);
      Double wait = figures.get(WAIT_KEY + n);
      Double cpu = figures.get(CPU_KEY + n);
      if (wall != null && thread != null && wait != null && cpu != null) {
        double perBlock = BLOCK / 1000.0; // ns per byte -> µs per block
        out.printf(Locale.ROOT, "  %-18s µs per 64 KiB block: wall %.1f = on a core %.1f + waiting for a core %.1f"
            + " + blocked %.1f; the process's other threads on a core %.1f%s%n", n, wall * perBlock,
            thread * perBlock, wait * perBlock, Math.max(0, wall - thread - wait) * perBlock,
            Math.max(0, cpu - thread) * perBlock, l);
      }
    }
  }

  /** Ratios of layout {@code a} to {@code b} when both ran. */
  private static void compare(PrintStream out, Map<String, Map<String, Double>> byLayout,
      Map<String, Map<String, Double>> diskPerBytePut, String a, String b) {
    Map<String, Double> ma = byLayout.get(a);
    Map<String, Double> mb = byLayout.get(b);
    if (ma == null || mb == null) {
      return;
    }
    out.println();
    out.println(a + " / " + b + ", same run (> 1: " + a + " faster):");
    for (String n : List.of("storePutReceived", "storePut", "storePutTwoWriters", "storeRead", "storeServe")) {
      if (ma.containsKey(n) && mb.containsKey(n)) {
        out.printf(Locale.ROOT, "  ratio %.2f  %s%n", ma.get(n) / mb.get(n), n);
      }
    }
    Map<String, Double> da = diskPerBytePut.getOrDefault(a, Map.of());
    Map<String, Double> db = diskPerBytePut.getOrDefault(b, Map.of());
    for (String n : da.keySet()) {
      if (!n.contains(":") && db.containsKey(n) && db.get(n) > 0) {
        out.printf(Locale.ROOT, "  ratio %.2f  disk bytes written per byte put, %s (< 1: %s write less)%n",
            da.get(n) / db.get(n), n, a);
      }
    }
  }

  /** How the summary names a {@link #layout}. */
  static String describe(String layout) {
    return switch (layout == null ? "" : layout) {
      case FILES -> "value files";
      case BLOB -> "RocksDB blob files";
      case INLINE -> "RocksDB inline values";
      default -> "layout " + layout;
    };
  }

  /**
   * Mean disk bytes per byte put, by layout and benchmark, from the forks' report lines; the
   * process CPU nanoseconds per byte of every put benchmark under {@link #CPU_KEY} + its name, and
   * the wall time, the benchmark thread's time on a core and its wait for one (nanoseconds per
   * byte) under {@link #WALL_KEY}, {@link #THREAD_KEY} and {@link #WAIT_KEY} + its name.
   */
  static Map<String, Map<String, Double>> readDiskReport(Path report) throws IOException {
    Map<String, Map<String, double[]>> sums = new java.util.TreeMap<>();
    if (Files.exists(report)) {
      for (String line : Files.readAllLines(report)) {
        String[] f = line.trim().split(" ");
        if (f.length == 3) {
          double[] acc = sums.computeIfAbsent(describe(f[1]), k -> new java.util.TreeMap<>())
              .computeIfAbsent(f[0], k -> new double[2]);
          acc[0] += Double.parseDouble(f[2]);
          acc[1]++;
        }
      }
    }
    Map<String, Map<String, Double>> out = new java.util.TreeMap<>();
    sums.forEach((layout, m) -> m.forEach((n, acc) ->
        out.computeIfAbsent(layout, k -> new java.util.TreeMap<>()).put(n, acc[0] / acc[1])));
    return out;
  }

  private static void ratio(PrintStream out, Map<String, Double> mbps, String a, String b, String what) {
    if (mbps.containsKey(a) && mbps.containsKey(b)) {
      out.printf(Locale.ROOT, "  ratio %.2f  %s%n", mbps.get(a) / mbps.get(b), what);
    }
  }

  /**
   * Process CPU seconds per GiB put, per layout and kind of put, in {@code rounds} alternating
   * rounds in this JVM (the first round is a warm-up and not counted): each round writes the data
   * set to a plain file (no fsync: the baseline), then, per layout, opens a fresh store, puts the
   * data set with one writer, flushes and closes it (RocksDB's flush threads are in the process's
   * CPU time; compactions still running at close are cut short) — once with raw bytes ({@code
   * storePut}: verification and encryption included) and once with blocks as received from a
   * peer ({@code storePutReceived}). CPU time depends far less on other processes' load than MB/s
   * does, and it is what a receiving node pays. Prints the median per layout and the ratios.
   */
  static void cpuPerPut(int mib, int rounds, PrintStream out) throws IOException {
    StoreBenchmark b = new StoreBenchmark();
    b.dataMiB = mib;
    b.prepare();
    b.received = b.receivedBlocks();
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean();
    Map<String, List<double[]>> runs = new java.util.TreeMap<>();
    double gib = mib / 1024.0;
    try {
      for (int r = 0; r <= rounds; r++) {
        boolean counted = r > 0;
        Path file = b.root.resolve("cpu-" + r + "-file");
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          b.writeAll(ch);
        }
        if (counted) {
          runs.computeIfAbsent("plain file write", k -> new ArrayList<>()).add(new double[] {
              (os.getProcessCpuTime() - cpu0) / 1e9 / gib, (System.nanoTime() - wall0) / 1e9 / gib});
        }
        Files.delete(file);
        for (String l : List.of(FILES, BLOB, INLINE)) {
          for (boolean fromPeer : new boolean[] {true, false}) {
            b.layout = l;
            Path dir = b.root.resolve("cpu-" + r + "-" + l + (fromPeer ? "-received" : "-raw"));
            cpu0 = os.getProcessCpuTime();
            wall0 = System.nanoTime();
            try (RocksChunkStore s = b.store(dir)) {
              if (fromPeer) {
                b.fillReceived(s);
              } else {
                b.fill(s);
              }
              s.flush();
            }
            if (counted) {
              runs.computeIfAbsent(describe(l) + (fromPeer ? ", received" : ", raw"), k -> new ArrayList<>())
                  .add(new double[] {(os.getProcessCpuTime() - cpu0) / 1e9 / gib,
                      (System.nanoTime() - wall0) / 1e9 / gib});
            }
            DemoFiles.deleteTree(dir);
          }
        }
      }
    } finally {
      DemoFiles.deleteTree(b.root);
    }
    out.printf(Locale.ROOT, "%nProcess CPU per GiB put (one writer, %d MiB, median of %d alternating rounds after one"
        + " not counted; received: blocks as from a peer, raw: verified and encrypted by the store):%n", mib, rounds);
    Map<String, Double> cpu = new HashMap<>();
    runs.forEach((l, list) -> {
      double c = median(list.stream().mapToDouble(x -> x[0]).toArray());
      double w = median(list.stream().mapToDouble(x -> x[1]).toArray());
      cpu.put(l, c);
      out.printf(Locale.ROOT, "  %-36s %6.2f CPU-s/GiB  (wall %6.2f s/GiB)%n", l, c, w);
    });
    String files = describe(FILES);
    out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte, plain file write / put received, value files (goal of the"
        + " put rate 0.5)%n", cpu.get("plain file write") / cpu.get(files + ", received"));
    out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte, plain file write / put raw, value files%n",
        cpu.get("plain file write") / cpu.get(files + ", raw"));
    out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte put raw, value files / RocksDB blob files (< 1: value files"
        + " cheaper)%n", cpu.get(files + ", raw") / cpu.get(describe(BLOB) + ", raw"));
    out.printf(Locale.ROOT, "  ratio %.2f  CPU per byte put raw, value files / RocksDB inline values%n",
        cpu.get(files + ", raw") / cpu.get(describe(INLINE) + ", raw"));
  }

  private static double median(double[] v) {
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * Runs every benchmark of this class with each layout (value files, the default; blob files;
   * inline values) and prints the ratios. Arguments: {@code [DATA_MIB] [BENCHMARK_REGEX]}, e.g.
   * {@code 128 'storePut|filePut'} for the puts only; {@code --blob} is accepted and ignored
   * (every layout always runs). {@code --cpu} instead prints the process CPU per GiB put of each
   * layout ({@link #cpuPerPut}, five rounds).
   */
  public static void main(String[] args) throws RunnerException, IOException {
    String mib = "1024";
    String only = "";
    boolean cpu = false;
    for (String a : args) {
      if (a.equals("--blob")) {
        continue;
      } else if (a.equals("--cpu")) {
        cpu = true;
      } else if (a.chars().allMatch(Character::isDigit)) {
        mib = a;
      } else {
        only = a;
      }
    }
    if (cpu) {
      cpuPerPut(Integer.parseInt(mib), 5, System.out);
      return;
    }
    String include = StoreBenchmark.class.getName() + "\\." + (only.isEmpty() ? "" : "(" + only + ")$");
    String dataMiB = mib;
    try {
      runAndPrint(forkArgs -> {
        List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
        jvm.addAll(forkArgs);
        return new Runner(new OptionsBuilder()
            .include(include)
            .param("dataMiB", dataMiB)
            .param("layout", FILES, BLOB, INLINE)
            .jvmArgsAppend(jvm.toArray(String[]::new))
            .build()).run();
      }, System.out);
    } catch (UncheckedIOException e) {
      throw new RunnerException(e);
    }
  }
}
