package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * PCCRR blocks node to node on loopback in one warm JVM (issue 12, CPU per block): a {@link
 * PeerHttpServer} on an in-memory store holding one 512-block segment, and a {@link PeerClient}
 * fetching, decrypting and verifying its blocks ({@code fetchBlock}) with 8 in flight, as the
 * download loop keeps them per peer. It prints the CPU microseconds per block of the client's
 * threads ({@code pccrr-client}) and of the server's ({@code pccrr-io}, {@code pccrr-accept},
 * {@code pccrr-store}), by JMX thread CPU, median of {@code rounds} after {@code warm-up} rounds
 * (JIT). No store I/O, no download loop, no reader: only the exchange, both ends.
 *
 * <p>It uses API that builds of some age share, so a change is measured against an older build in
 * the same JVM: with {@code --against DIR} (the older build's {@code simulator/target/lib}) both
 * builds run, each in its own class loader (its own Netty too), in alternating rounds, and the
 * ratios new ÷ old of the paired rounds are printed (docs/PERFORMANCE.md, "Node to node per
 * block, 2026-12-05"). Without it, one build:
 *
 * <pre>
 * java -Xmx256m -Xmn24m -XX:+UseSerialGC -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*" \
 *   dev.peerdist.simulator.bench.PeerBlockBenchmark [--against OLD/simulator/target/lib] [rounds] [warm-up rounds]
 * </pre>
 */
public final class PeerBlockBenchmark {
  private static final int BLOCKS = 512;
  private static final int WINDOW = 8;
  /** Each round fetches every block this many times. */
  private static final int PASSES = 8;

  private PeerBlockBenchmark() {}

  /** {@code [--against DIR] [rounds] [warm-up rounds]}. */
  public static void main(String[] args) throws Exception {
    List<String> a = new ArrayList<>(List.of(args));
    Path against = null;
    if (!a.isEmpty() && a.get(0).equals("--against")) {
      against = Path.of(a.get(1));
      a = a.subList(2, a.size());
    }
    int rounds = a.size() > 0 ? Integer.parseInt(a.get(0)) : 5;
    int warmUp = a.size() > 1 ? Integer.parseInt(a.get(1)) : 3;
    if (against != null) {
      paired(against, rounds, warmUp);
      return;
    }
    single(rounds, warmUp);
  }

  /**
   * This build and the one whose jars are in {@code oldLib}, each in its own class loader, in
   * alternating rounds; prints each round and the medians of the new ÷ old ratios.
   */
  private static void paired(Path oldLib, int rounds, int warmUp) throws Exception {
    URL self = PeerBlockBenchmark.class.getProtectionDomain().getCodeSource().getLocation();
    List<URL> oldUrls = new ArrayList<>(List.of(self));
    try (var jars = Files.list(oldLib)) {
      for (Path j : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
        if (!j.getFileName().toString().startsWith("simulator-")) {
          oldUrls.add(j.toUri().toURL());
        }
      }
    }
    List<URL> newUrls = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      newUrls.add(Path.of(e).toUri().toURL());
    }
    String[] names = {"old", "new"};
    URLClassLoader[] loaders = {
      new URLClassLoader(oldUrls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader()),
      new URLClassLoader(newUrls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader()),
    };
    @SuppressWarnings("unchecked")
    Supplier<double[]>[] sessions = new Supplier[2];
    AutoCloseable[] closers = new AutoCloseable[2];
    try {
      for (int i = 0; i < 2; i++) {
        Object session = loaders[i].loadClass(PeerBlockBenchmark.class.getName()).getMethod("session").invoke(null);
        Object[] pair = (Object[]) session;
        @SuppressWarnings("unchecked")
        Supplier<double[]> round = (Supplier<double[]>) pair[0];
        sessions[i] = round;
        closers[i] = (AutoCloseable) pair[1];
      }
      for (int w = 0; w < warmUp; w++) {
        sessions[0].get();
        sessions[1].get();
      }
      double[] clientRatio = new double[rounds];
      double[] serverRatio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        double[][] f = new double[2][];
        for (int k = 0; k < 2; k++) {
          int i = (r + k) % 2; // which build goes first alternates
          f[i] = sessions[i].get();
          if (f[i][2] > 0) {
            throw new IllegalStateException(names[i] + ": " + (long) f[i][2] + " blocks failed in a measured round");
          }
        }
        clientRatio[r] = f[1][0] / f[0][0];
        serverRatio[r] = f[1][1] / f[0][1];
        System.out.printf(Locale.ROOT, "round %d: CPU us per block, old / new: client %.1f / %.1f, server %.1f / %.1f%n",
            r + 1, f[0][0], f[1][0], f[0][1], f[1][1]);
      }
      Arrays.sort(clientRatio);
      Arrays.sort(serverRatio);
      System.out.printf(Locale.ROOT, "new / old, median of %d paired rounds: client %.2f, server %.2f%n", rounds,
          clientRatio[rounds / 2], serverRatio[rounds / 2]);
    } finally {
      for (AutoCloseable c : closers) {
        if (c != null) {
          c.close();
        }
      }
      for (URLClassLoader l : loaders) {
        l.close();
      }
    }
  }

  /**
   * A server with the segment and a client, as {@code {Supplier<double[]> round, AutoCloseable
   * close}} (JDK types only, so that another class loader's copy of this class can be driven).
   */
  public static Object[] session() {
    HashAlgorithm a = HashAlgorithm.SHA_256;
    byte[] ks = PccrcKeys.serverSecret(a, "block benchmark".getBytes(StandardCharsets.UTF_8));
    InMemoryChunkStore store = new InMemoryChunkStore(256L << 20);
    SegmentRecord r = segment(store, a, ks);
    PeerHttpServer server = PeerHttpServer.start(store, PeerServerConfig.defaults());
    PeerClient client = new PeerClient(PeerClientConfig.defaults());
    PeerEndpoint peer = new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
    Supplier<double[]> round = () -> {
      try {
        return round(client, peer, r);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    };
    AutoCloseable close = () -> {
      client.close();
      server.close();
    };
    return new Object[] {round, close};
  }

  private static void single(int rounds, int warmUp) throws Exception {
    String label = "this build";
    HashAlgorithm a = HashAlgorithm.SHA_256;
    byte[] ks = PccrcKeys.serverSecret(a, "block benchmark".getBytes(StandardCharsets.UTF_8));
    InMemoryChunkStore store = new InMemoryChunkStore(256L << 20);
    SegmentRecord r = segment(store, a, ks);
    try (PeerHttpServer server = PeerHttpServer.start(store, PeerServerConfig.defaults());
        PeerClient client = new PeerClient(PeerClientConfig.defaults())) {
      PeerEndpoint peer = new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
      for (int w = 0; w < warmUp; w++) {
        round(client, peer, r); // the first exchanges of a cold JVM may hit the request timer: not counted
      }
      double[] c = new double[rounds];
      double[] s = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        double[] f = round(client, peer, r);
        if (f[2] > 0) {
          throw new IllegalStateException(label + ": " + (long) f[2] + " blocks failed in a measured round");
        }
        c[i] = f[0];
        s[i] = f[1];
        System.out.printf(Locale.ROOT, "%s round %d: CPU us per block: client %.1f, server %.1f%n", label, i + 1, f[0],
            f[1]);
      }
      Arrays.sort(c);
      Arrays.sort(s);
      System.out.printf(Locale.ROOT, "%s median of %d: CPU us per block: client %.1f, server %.1f%n", label, rounds,
          c[rounds / 2], s[rounds / 2]);
    }
  }

  /** One segment of {@link #BLOCKS} random blocks, stored in {@code store}. */
  private static SegmentRecord segment(InMemoryChunkStore store, HashAlgorithm a, byte[] ks) {
    return PccrrExchangeBenchmark.segment(store, a, ks, 1, BLOCKS);
  }

  /** Client CPU us per block, server CPU us per block, failed blocks. */
  private static double[] round(PeerClient client, PeerEndpoint peer, SegmentRecord r) throws InterruptedException {
    Semaphore window = new Semaphore(WINDOW);
    LongAdder failed = new LongAdder();
    int n = PASSES * BLOCKS;
    double[] cpu0 = PccrrExchangeBenchmark.pccrrThreadsCpu();
    for (int k = 0; k < n; k++) {
      window.acquire();
      client.fetchBlock(peer, r, k % BLOCKS).whenComplete((res, err) -> {
        if (err != null || !res.ok()) {
          failed.increment();
        }
        window.release();
      });
    }
    window.acquire(WINDOW);
    double[] cpu1 = PccrrExchangeBenchmark.pccrrThreadsCpu();
    return new double[] {1e6 * (cpu1[0] - cpu0[0]) / n, 1e6 * (cpu1[1] - cpu0[1]) / n, failed.sum()};
  }
}
