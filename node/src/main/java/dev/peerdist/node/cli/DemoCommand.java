package dev.peerdist.node.cli;

import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.admin.StatusText;
import dev.peerdist.node.demo.DemoFiles;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.units.Size;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist demo}: a publishing server with a generated package and several nodes on this
 * machine, over real sockets on 127.0.0.1 and real PCCRD multicast on {@code lo}. The first node
 * downloads from the origin, the others mostly from peers; a table shows where the bytes came
 * from. Needs no root; everything lives in a temporary directory that is removed at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = {
    "Starts a publishing server and several nodes on this machine (loopback, real multicast),",
    "downloads a generated package through each node and shows bytes from the origin vs. peers."})
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--size", defaultValue = "40MiB", paramLabel = "SIZE", converter = QuantityConverters.SizeConverter.class,
      description = "Size of the generated package, 1 byte..4GiB (default: ${DEFAULT-VALUE}).")
  Size size;

  @Option(names = "--nodes", defaultValue = "4", paramLabel = "N", description = "Nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--keep", description = "Keep the work directory (stores, publisher state) for inspection.")
  boolean keep;

  @Mixin VerboseOption verbose;

  @Spec CommandSpec spec;

  private record Row(String node, long origin, long peers, long local, double secs, boolean verified) {}

  @Override
  public Integer call() throws Exception {
    long bytes = size.bytes();
    if (bytes < 1 || bytes > (4L << 30)) {
      throw UserException.usage("--size must be 1 byte..4GiB, got " + size);
    }
    if (nodes < 2 || nodes > 16) {
      throw UserException.usage("--nodes must be 2..16, got " + nodes);
    }
    NetworkInterface lo = NetworkInterface.getByName("lo");
    if (lo == null || !lo.isUp()) {
      throw new UserException("the demo needs the loopback interface 'lo' (IPv4 multicast on lo, no root needed)");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path work = Files.createTempDirectory("peerdist-demo-");
    try {
      Path root = Files.createDirectories(work.resolve("www"));
      Path pkg = root.resolve("demo-package.bin");
      byte[] digest = DemoFiles.writePackage(pkg, bytes, 0x5EED);
      int discoveryPort = 40000 + ThreadLocalRandom.current().nextInt(20000);
      out.printf("peerdist demo: %s package, %d nodes, multicast 239.255.255.250:%d on lo%n",
          StatusText.bytes(bytes), nodes, discoveryPort);
      out.flush();
      List<Row> rows = new ArrayList<>();
      try (LocalSwarm swarm = LocalSwarm.start(work, root, discoveryPort)) {
        URI url = swarm.url("demo-package.bin");
        out.printf("publisher %s%n", url);
        // A publishing server hashes its files ahead (publish --precompute): the table then times
        // the nodes, not the publisher's first hashing of the package on this same machine.
        long h0 = System.nanoTime();
        precompute(swarm, "/demo-package.bin");
        out.printf("content information (V1, V2) precomputed by the publisher in %.2fs%n", (System.nanoTime() - h0) / 1e9);
        // Baseline in the same run: a plain GET of the same file from the publisher.
        double plain = plainGet(url, digest);
        out.printf("baseline: plain HTTP GET from the publisher %.2fs (%s/s)%n%n", plain,
            StatusText.bytes((long) (bytes / Math.max(plain, 1e-3))));
        out.printf("%-8s %14s %14s %9s %12s %9s  %s%n", "node", "from origin", "from peers", "time", "rate",
            "vs plain", "sha-256");
        out.flush();
        for (int i = 1; i <= nodes; i++) {
          String name = "node-" + i;
          Node n = swarm.startNode(name, c -> c.set(ConfigKey.MIRROR_PORT, "0"));
          Row r = download(name, n, url, digest);
          rows.add(r);
          out.printf("%-8s %14s %14s %8.2fs %10s/s %8.2fx  %s%n", r.node(), StatusText.bytes(r.origin()),
              StatusText.bytes(r.peers()), r.secs(), StatusText.bytes((long) (bytes / Math.max(r.secs(), 1e-3))),
              plain / Math.max(r.secs(), 1e-3), r.verified() ? "ok" : "MISMATCH");
          out.flush();
        }
      }
      long originTotal = rows.stream().mapToLong(Row::origin).sum();
      long delivered = bytes * rows.size();
      out.printf("%nThe origin sent %s for %d downloads of %s: %.0f%% of the bytes came from peers.%n",
          StatusText.bytes(originTotal), rows.size(), StatusText.bytes(bytes),
          100.0 * (delivered - originTotal) / delivered);
      out.println("Every block was verified against the publisher's content information (MS-PCCRC hashes).");
      if (!rows.isEmpty() && rows.get(0).origin() > 0) {
        out.printf("node-1's time includes the discovery wait (%s): it asked the subnet before it went to the origin,%n"
            + "and nobody held the package yet.%n", ConfigKey.DISCOVERY_WAIT.defaultValue());
      }
      if (keep) {
        out.println("work directory kept: " + work);
      }
      out.flush();
      boolean ok = rows.stream().allMatch(Row::verified);
      return ok ? ExitCodes.OK : ExitCodes.SOFTWARE;
    } finally {
      if (!keep) {
        DemoFiles.deleteTree(work);
      }
    }
  }

  private static void precompute(LocalSwarm swarm, String path) throws IOException {
    try {
      swarm.publisher().precompute(path).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (ExecutionException e) {
      throw new IOException("the publisher could not hash " + path + ": " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Seconds for a plain GET of {@code url} (no PeerDist offered); checks the bytes too. */
  private static double plainGet(URI url, byte[] expected) throws IOException {
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    long t0 = System.nanoTime();
    MessageDigest sha = HashAlgorithm.SHA_256.newDigest();
    try (InputStream in = http.send(java.net.http.HttpRequest.newBuilder(url).build(),
        HttpResponse.BodyHandlers.ofInputStream()).body()) {
      byte[] buf = new byte[256 * 1024];
      int k;
      while ((k = in.read(buf)) >= 0) {
        sha.update(buf, 0, k);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (!MessageDigest.isEqual(expected, sha.digest())) {
      throw new IOException("the publisher served different bytes than the package");
    }
    return secs;
  }

  private static Row download(String name, Node n, URI url, byte[] expected) throws IOException {
    AdminClient admin = new AdminClient(n.adminUri());
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = admin.download(url);
    String id = r.headers().firstValue("x-peerdist-download").orElse("");
    MessageDigest sha = HashAlgorithm.SHA_256.newDigest();
    try (InputStream in = r.body()) {
      byte[] buf = new byte[256 * 1024];
      int k;
      while ((k = in.read(buf)) >= 0) {
        sha.update(buf, 0, k);
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    String rec = admin.text("downloads/" + id);
    return new Row(name, AdminClient.jsonNumber(rec, "origin"), AdminClient.jsonNumber(rec, "peer"),
        AdminClient.jsonNumber(rec, "local"), secs, MessageDigest.isEqual(expected, sha.digest()));
  }
}
