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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * PCCRR blocks node to node on loopback in one warm JVM (issue 12, CPU per block): a {@link
 * PeerHttpServer} on an in-memory store holding one 512-block segment, and a {@link PeerClient}
 * fetching, decrypting and verifying its blocks ({@code fetchBlock}) with 8 in flight, as the
 * download loop keeps them per peer. It prints the CPU microseconds per block of the client's
 * threads ({@code pccrr-client}) and of the server's ({@code pccrr-io}, {@code pccrr-accept},
 * {@code pccrr-store}), by JMX thread CPU, median of {@code rounds} after {@code warm-up} rounds
 * (JIT). No store I/O, no download loop, no reader: only the exchange, both ends.
 *
 * <p>It uses API that builds of some age share, so a change is measured by running it against the
 * old build's module jars and then the new ones, back to back (docs/PERFORMANCE.md, "Node to node
 * per block, 2026-12-05"):
 *
 * <pre>
 * java -Xmx256m -Xmn24m -XX:+UseSerialGC -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:OLD/simulator/target/lib/*" \
 *   dev.peerdist.simulator.bench.PeerBlockBenchmark 5 3 before
 * java -Xmx256m -Xmn24m -XX:+UseSerialGC -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*" \
 *   dev.peerdist.simulator.bench.PeerBlockBenchmark 5 3 after
 * </pre>
 */
public final class PeerBlockBenchmark {
  private static final int BLOCKS = 512;
  private static final int WINDOW = 8;
  /** Each round fetches every block this many times. */
  private static final int PASSES = 8;

  private PeerBlockBenchmark() {}

  /** {@code [rounds] [warm-up rounds] [label]}. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String label = args.length > 2 ? args[2] : "this build";
    HashAlgorithm a = HashAlgorithm.SHA_256;
    byte[] ks = PccrcKeys.serverSecret(a, "block benchmark".getBytes(StandardCharsets.UTF_8));
    InMemoryChunkStore store = new InMemoryChunkStore(256L << 20);
    SplittableRandom random = new SplittableRandom(1);
    List<byte[]> hashes = new ArrayList<>();
    List<byte[]> data = new ArrayList<>();
    for (int i = 0; i < BLOCKS; i++) {
      byte[] b = new byte[SegmentRecord.V1_BLOCK_SIZE];
      random.nextBytes(b);
      data.add(b);
      hashes.add(a.hash(b));
    }
    byte[] hod = PccrcKeys.v1HashOfData(a, hashes);
    SegmentRecord r = SegmentRecord.v1(a, hod, PccrcKeys.segmentSecret(a, ks, hod),
        BLOCKS * SegmentRecord.V1_BLOCK_SIZE, hashes);
    store.putSegment(r);
    for (int i = 0; i < BLOCKS; i++) {
      store.putBlock(r.id(), i, data.get(i));
    }
    data.clear();
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

  /** Client CPU us per block, server CPU us per block, failed blocks. */
  private static double[] round(PeerClient client, PeerEndpoint peer, SegmentRecord r) throws InterruptedException {
    Semaphore window = new Semaphore(WINDOW);
    LongAdder failed = new LongAdder();
    int n = PASSES * BLOCKS;
    double[] cpu0 = cpu();
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
    double[] cpu1 = cpu();
    return new double[] {1e6 * (cpu1[0] - cpu0[0]) / n, 1e6 * (cpu1[1] - cpu0[1]) / n, failed.sum()};
  }

  /** CPU seconds of the client's threads and of the server's threads so far. */
  private static double[] cpu() {
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
}
