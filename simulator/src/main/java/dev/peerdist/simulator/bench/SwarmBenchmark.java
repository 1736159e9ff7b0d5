package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.node.Node;
import dev.peerdist.node.demo.DemoFiles;
import dev.peerdist.node.demo.LocalSwarm;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The warm path of {@code peerdist demo}: one publisher and several nodes in this JVM
 * ({@link LocalSwarm}, loopback, real multicast on {@code lo}), and several rounds, each with a
 * new package: a plain GET from the publisher (the baseline, same round), then the package
 * through each node's admin endpoint in turn (node 1 from the origin, the others from peers).
 * Prints each node's rate as a ratio of the round's plain GET, and node 1's once more when it
 * holds the package ({@code stored}: the reader, its checks and the streaming to the client). The first rounds include the
 * JIT's warm-up; the last ones show what a warm node costs per block. Bounded: the rounds, the
 * package size and the work directory (removed at the end) are fixed by the arguments.
 *
 * <pre>
 * java -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*" \
 *     dev.peerdist.simulator.bench.SwarmBenchmark [MiB=40] [nodes=4] [rounds=5]
 * </pre>
 */
public final class SwarmBenchmark {
  private static final String HEADER_ID = "x-peerdist-download";

  /** Seconds from the request to the first body byte of the last {@link #timed} call. */
  private static double lastFirstByte;

  private SwarmBenchmark() {}

  /** Runs the rounds and prints one line per round. */
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    if (mib < 1 || mib > 4096 || nodes < 2 || nodes > 16 || rounds < 1 || rounds > 50) {
      throw new IllegalArgumentException("usage: SwarmBenchmark [MiB 1..4096] [nodes 2..16] [rounds 1..50]");
    }
    run(mib, nodes, rounds, System.out);
  }

  static void run(int mib, int nodes, int rounds, PrintStream out) throws Exception {
    long bytes = (long) mib << 20;
    Path work = Files.createTempDirectory("peerdist-swarm-bench-");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try {
      Path root = Files.createDirectories(work.resolve("www"));
      int port = 40000 + ThreadLocalRandom.current().nextInt(20000);
      try (LocalSwarm swarm = LocalSwarm.start(work, root, port)) {
        List<Node> started = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
          started.add(swarm.startNode("node-" + i));
        }
        out.printf(Locale.ROOT, "swarm bench: %d MiB per package, %d nodes, %d rounds; ratio = node rate / plain GET rate%n",
            mib, nodes, rounds);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-6s %12s", "round", "plain MiB/s"));
        for (int i = 1; i <= nodes; i++) {
          head.append(String.format(Locale.ROOT, " %8s", "node-" + i));
        }
        head.append(String.format(Locale.ROOT, " %8s", "stored"));
        out.println(head);
        for (int r = 1; r <= rounds; r++) {
          String name = "pkg-" + r + ".bin";
          byte[] digest = DemoFiles.writePackage(root.resolve(name), bytes, r);
          URI url = swarm.url(name);
          double plain = timed(http, url, digest);
          StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-6d %12.1f", r, mib / plain));
          StringBuilder firstBytes = new StringBuilder("   first byte after (ms):");
          for (Node n : started) {
            double secs = timed(http, downloadUri(n, url), digest);
            line.append(String.format(Locale.ROOT, " %7.2fx", plain / secs));
            firstBytes.append(String.format(Locale.ROOT, " %.0f", lastFirstByte * 1000));
          }
          // Node 1 again: every block from its own store (the reader, its checks and the streaming alone).
          double again = timed(http, downloadUri(started.get(0), url), digest);
          line.append(String.format(Locale.ROOT, " %7.2fx", plain / again));
          firstBytes.append(String.format(Locale.ROOT, " %.0f", lastFirstByte * 1000));
          out.println(line.append(firstBytes));
          out.flush();
        }
        // Optional: the stored path alone, many times (for a profiler: -Dswarm.storedRepeats=N).
        int repeats = Integer.getInteger("swarm.storedRepeats", 0);
        if (repeats > 0) {
          String name = "pkg-" + rounds + ".bin";
          byte[] digest = DemoFiles.writePackage(root.resolve("check.bin"), bytes, rounds);
          long t0 = System.nanoTime();
          for (int i = 0; i < repeats; i++) {
            timed(http, downloadUri(started.get(0), swarm.url(name)), digest);
          }
          double secs = (System.nanoTime() - t0) / 1e9;
          out.printf(Locale.ROOT, "stored path: %d × %d MiB through node-1 at %.1f MiB/s%n", repeats, mib,
              repeats * (double) mib / secs);
        }
      }
    } finally {
      DemoFiles.deleteTree(work);
    }
  }

  /** The URL of {@code url} through {@code n}'s admin endpoint. */
  private static URI downloadUri(Node n, URI url) {
    String admin = n.adminUri().toString();
    String base = admin.endsWith("/") ? admin : admin + "/";
    return URI.create(base + "download?url=" + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8));
  }

  /** Seconds to GET {@code url} and hash its body; fails when the bytes differ from {@code expected}. */
  private static double timed(HttpClient http, URI url, byte[] expected) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofInputStream());
    MessageDigest sha = HashAlgorithm.SHA_256.newDigest();
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        throw new IOException(url + " answered " + r.statusCode() + " " + r.headers().firstValue(HEADER_ID).orElse(""));
      }
      byte[] buf = new byte[256 * 1024];
      int k = in.read(buf);
      lastFirstByte = (System.nanoTime() - t0) / 1e9;
      while (k >= 0) {
        sha.update(buf, 0, k);
        k = in.read(buf);
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (!MessageDigest.isEqual(expected, sha.digest())) {
      throw new IOException(url + " delivered other bytes than the package");
    }
    return secs;
  }
}
