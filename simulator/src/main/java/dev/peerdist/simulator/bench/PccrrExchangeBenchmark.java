package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.StoredBlock;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.http.PeerServerStats;
import dev.peerdist.node.http.VirtualSegments;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import dev.peerdist.node.retrieval.PeerExchangeException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;

/**
 * Many small PCCRR exchanges node to node on loopback (issue 12, CPU per node): the PCCRR client
 * of 2026-12-04 against the one before it ({@link BaselinePeerClient}: Netty's FixedChannelPool, a
 * connection closed on every failed exchange), in alternating rounds in one JVM against one
 * server, and the CPU seconds per 1000 exchanges of the client's and the server's threads (JMX
 * thread CPU by thread name), the connections each client opened, and the ratios new ÷ old.
 *
 * <p>Three loads, each with {@code window} exchanges in flight from one thread (as the download
 * loop keeps them): {@code lists}, MSG_GETBLKLIST only (the live site's most frequent request);
 * {@code late-lists}, the same with one request in {@code slowEvery} a MSG_GETBLKLIST whose answer
 * takes longer than the client's request timer (a virtual segment whose lookup sleeps), as on a
 * saturated site where many exchanges hit the timer; {@code late-blocks}, the same with the slow
 * one a MSG_GETBLKS (a store proxy sleeps), whose late answer is a whole block.
 *
 * <pre>
 * java -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*" \
 *   dev.peerdist.simulator.bench.PccrrExchangeBenchmark [rounds] [listExchanges] [timeoutExchanges]
 * </pre>
 */
public final class PccrrExchangeBenchmark {
  private static final int WINDOW = 16;
  private static final int SLOW_EVERY = 20;
  private static final Duration TIMEOUT = Duration.ofMillis(100);
  private static final long SLOW_MILLIS = 150;
  private static final List<String> LOADS = List.of("lists", "late-lists", "late-blocks");
  /** A segment the store does not know: its block list comes from {@link #SLOW_VIRTUAL}, late. */
  private static final SegmentId VIRTUAL = SegmentId.of(new byte[32]);
  private static final VirtualSegments SLOW_VIRTUAL = new VirtualSegments() {
    @Override
    public Optional<StoredBlock> storedBlock(SegmentId id, int index) {
      return Optional.empty();
    }

    @Override
    public BitSet presentBlocks(SegmentId id) {
      try {
        TimeUnit.MILLISECONDS.sleep(SLOW_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      BitSet b = new BitSet();
      b.set(0, 4);
      return b;
    }
  };

  private PccrrExchangeBenchmark() {}

  /** One client under test: its exchange call and its connection count. */
  private record Subject(String name, BiFunction<PeerEndpoint, PccrrMessage, CompletableFuture<PccrrMessage>> call,
      java.util.function.LongSupplier connections) {}

  /** One round's figures. */
  private record Figures(long exchanges, long timeouts, long failures, double clientCpu, double serverCpu,
      long connections, double seconds) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int lists = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int slow = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    HashAlgorithm a = HashAlgorithm.SHA_256;
    byte[] ks = PccrcKeys.serverSecret(a, "exchange benchmark".getBytes(StandardCharsets.UTF_8));
    InMemoryChunkStore memory = new InMemoryChunkStore(256L << 20);
    SegmentRecord fast = segment(memory, a, ks, 1);
    SegmentRecord slowSeg = segment(memory, a, ks, 2);
    ChunkStore store = slowStore(memory, slowSeg.id());
    // Store threads enough that sleeping reads do not queue the others (sleeping costs no CPU).
    PeerServerConfig serverConfig = PeerServerConfig.defaults().withThreads(1, 8);
    PeerClientConfig clientConfig = PeerClientConfig.defaults().withRequestTimeout(TIMEOUT);
    try (PeerHttpServer server = PeerHttpServer.start(store, SLOW_VIRTUAL, serverConfig, new PeerServerStats());
        BaselinePeerClient before = new BaselinePeerClient(clientConfig);
        PeerClient after = new PeerClient(clientConfig)) {
      PeerEndpoint peer = new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
      Subject[] subjects = {
        new Subject("before", before::exchange, before.connectionsOpened::sum),
        new Subject("after", after::exchange, () -> after.stats().connectionsOpened()),
      };
      System.out.printf(Locale.ROOT, "PCCRR exchanges on loopback: window %d, request timer %d ms; late loads:"
          + " 1 in %d requests answered after %d ms; %d cores%n", WINDOW, TIMEOUT.toMillis(),
          SLOW_EVERY, SLOW_MILLIS, Runtime.getRuntime().availableProcessors());
      for (int w = 0; w < 2; w++) {
        for (Subject s : subjects) { // warm-up (JIT), not reported
          for (String load : LOADS) {
            run(s, peer, fast, slowSeg, load, load.equals("lists") ? lists : slow);
          }
        }
      }
      for (String load : LOADS) {
        int n = load.equals("lists") ? lists : slow;
        List<List<Figures>> all = List.of(new ArrayList<>(), new ArrayList<>());
        for (int r = 0; r < rounds; r++) {
          for (int i = 0; i < 2; i++) {
            Figures f = run(subjects[i], peer, fast, slowSeg, load, n);
            all.get(i).add(f);
            System.out.printf(Locale.ROOT, "%-11s round %d %-6s %6d exchanges in %5.2f s, %4d timeouts, %3d other"
                + " failures; CPU ms per 1000: client %6.1f, server %6.1f; connections opened %4d%n", load, r + 1,
                subjects[i].name(), f.exchanges(), f.seconds(), f.timeouts(), f.failures(),
                1e6 * f.clientCpu() / f.exchanges(), 1e6 * f.serverCpu() / f.exchanges(), f.connections());
          }
        }
        Figures b = sum(all.get(0));
        Figures x = sum(all.get(1));
        double[] clientRatios = new double[rounds];
        double[] serverRatios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          Figures rb = all.get(0).get(r);
          Figures rx = all.get(1).get(r);
          clientRatios[r] = (rx.clientCpu() / rx.exchanges()) / (rb.clientCpu() / rb.exchanges());
          serverRatios[r] = (rx.serverCpu() / rx.exchanges()) / (rb.serverCpu() / rb.exchanges());
        }
        System.out.printf(Locale.ROOT, "%-11s after / before, median of the paired rounds: client %.2f, server %.2f%n",
            load, median(clientRatios), median(serverRatios));
        System.out.printf(Locale.ROOT, "%-11s after / before, all rounds: client CPU per exchange %.2f, server CPU per exchange %.2f,"
            + " connections opened %d / %d, timeouts %d / %d%n", load,
            (x.clientCpu() / x.exchanges()) / (b.clientCpu() / b.exchanges()),
            (x.serverCpu() / x.exchanges()) / (b.serverCpu() / b.exchanges()), x.connections(), b.connections(),
            x.timeouts(), b.timeouts());
      }
    }
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static Figures sum(List<Figures> list) {
    long e = 0;
    long t = 0;
    long f = 0;
    long c = 0;
    double cc = 0;
    double sc = 0;
    double s = 0;
    for (Figures x : list) {
      e += x.exchanges();
      t += x.timeouts();
      f += x.failures();
      c += x.connections();
      cc += x.clientCpu();
      sc += x.serverCpu();
      s += x.seconds();
    }
    return new Figures(e, t, f, cc, sc, c, s);
  }

  private static Figures run(Subject s, PeerEndpoint peer, SegmentRecord fast, SegmentRecord slow, String load,
      int n) throws InterruptedException {
    int slowEvery = load.equals("lists") ? 0 : SLOW_EVERY;
    boolean slowBlocks = load.equals("late-blocks");
    Semaphore window = new Semaphore(WINDOW);
    LongAdder timeouts = new LongAdder();
    LongAdder failures = new LongAdder();
    SplittableRandom random = new SplittableRandom(7);
    long connections = s.connections().getAsLong();
    double[] cpu0 = pccrrThreadsCpu();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      window.acquire();
      boolean late = slowEvery > 0 && i % slowEvery == slowEvery - 1;
      PccrrMessage request = !late ? new GetBlockList(1, fast.id(), List.of(new BlockRange(random.nextInt(4), 4)))
          : slowBlocks ? GetBlocks.of(1, slow.id(), random.nextInt(slow.blockCount()))
          : new GetBlockList(1, VIRTUAL, List.of(new BlockRange(0, 4)));
      s.call().apply(peer, request).whenComplete((m, err) -> {
        if (err != null) {
          Throwable c = err.getCause() != null ? err.getCause() : err;
          if (c instanceof PeerExchangeException p && p.outcome() == Outcome.TIMEOUT) {
            timeouts.increment();
          } else {
            // Mostly BUSY: no connection free within the timer while slow requests hold them.
            failures.increment();
          }
        }
        window.release();
      });
    }
    window.acquire(WINDOW);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double[] cpu1 = pccrrThreadsCpu();
    return new Figures(n, timeouts.sum(), failures.sum(), cpu1[0] - cpu0[0], cpu1[1] - cpu0[1],
        s.connections().getAsLong() - connections, seconds);
  }

  /** CPU seconds of the PCCRR client's threads and of the server's threads so far (also {@link PeerBlockBenchmark}). */
  static double[] pccrrThreadsCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double client = 0;
    double server = 0;
    for (long id : mx.getAllThreadIds()) {
      ThreadInfo info = mx.getThreadInfo(id);
      long ns = mx.getThreadCpuTime(id);
      if (info == null || ns < 0) {
        continue;
      }
      String name = info.getThreadName();
      if (name.startsWith("pccrr-client")) {
        client += ns / 1e9;
      } else if (name.startsWith("pccrr-io") || name.startsWith("pccrr-accept") || name.startsWith("pccrr-store")) {
        server += ns / 1e9;
      }
    }
    return new double[] {client, server};
  }

  private static SegmentRecord segment(ChunkStore store, HashAlgorithm a, byte[] ks, int seed) {
    return segment(store, a, ks, seed, 8);
  }

  /** A V1 segment of {@code blocks} random blocks (seeded), stored in {@code store} (also {@link PeerBlockBenchmark}). */
  static SegmentRecord segment(ChunkStore store, HashAlgorithm a, byte[] ks, int seed, int blocks) {
    SplittableRandom random = new SplittableRandom(seed);
    List<byte[]> data = new ArrayList<>();
    List<byte[]> hashes = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      byte[] b = new byte[SegmentRecord.V1_BLOCK_SIZE];
      random.nextBytes(b);
      data.add(b);
      hashes.add(a.hash(b));
    }
    byte[] hod = PccrcKeys.v1HashOfData(a, hashes);
    SegmentRecord r = SegmentRecord.v1(a, hod, PccrcKeys.segmentSecret(a, ks, hod),
        blocks * SegmentRecord.V1_BLOCK_SIZE, hashes);
    store.putSegment(r);
    for (int i = 0; i < blocks; i++) {
      store.putBlock(r.id(), i, data.get(i));
    }
    return r;
  }

  /** {@code store}, whose block reads of segment {@code slow} take {@link #SLOW_MILLIS} longer. */
  private static ChunkStore slowStore(ChunkStore store, SegmentId slow) {
    return (ChunkStore) Proxy.newProxyInstance(ChunkStore.class.getClassLoader(), new Class<?>[] {ChunkStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("storedBlock") && slow.equals(args[0])) {
            TimeUnit.MILLISECONDS.sleep(SLOW_MILLIS);
          }
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
