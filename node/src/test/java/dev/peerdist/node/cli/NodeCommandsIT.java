package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code get}, {@code status} and {@code demo} through picocli with captured output, over real sockets. */
@Timeout(180)
public class NodeCommandsIT {
  @TempDir Path dir;

  /** A command's exit code and captured output (other ITs drive the CLI with it too). */
  public record Run(int code, String out, String err) {}

  /** Runs {@code peerdist ARGS} in this JVM with captured output. */
  public static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static void assumeLoopbackMulticast() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
  }

  @Test
  void getThroughRunningNodeThenEmbeddedThenStatus() throws Exception {
    assumeLoopbackMulticast();
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[2 * 1024 * 1024 + 7];
    new Random(3).nextBytes(content);
    Files.write(root.resolve("p.bin"), content);
    int port = 20000 + ThreadLocalRandom.current().nextInt(20000);
    try (LocalSwarm swarm = LocalSwarm.start(dir.resolve("work"), root, port)) {
      Node a = swarm.startNode("a");
      String url = swarm.url("p.bin").toString();
      Path f1 = dir.resolve("one.bin");
      Run g = run("get", url, "-o", f1.toString(), "--node", a.adminUri().toString());
      assertEquals(0, g.code(), g.err());
      assertArrayEquals(content, Files.readAllBytes(f1));
      assertTrue(g.out().matches("(?s).*one\\.bin: 0 B from peers, 2\\.0 MiB from the origin in .*s \\(via .*\\)\\s*"),
          g.out());

      Path f2 = dir.resolve("two.bin");
      Run e = run("get", url, "-o", f2.toString(), "--embedded", "--store", dir.resolve("emb").toString(),
          "--bind", "127.0.0.1", "--interface", "lo", "--discovery-port", Integer.toString(port),
          "--dnssd", "false");
      assertEquals(0, e.code(), e.err());
      assertArrayEquals(content, Files.readAllBytes(f2));
      assertTrue(e.out().contains("2.0 MiB from peers, 0 B from the origin"), e.out());

      Run s = run("status", "--node", a.adminUri().toString());
      assertEquals(0, s.code(), s.err());
      assertTrue(s.out().startsWith("peerdist node  role client"), s.out());
      assertTrue(s.out().contains("origin because: no_peer 2.0 MiB"), s.out());
      Run j = run("status", "--node", a.adminUri().toString(), "--json");
      assertTrue(j.out().startsWith("{\"role\":\"client\""), j.out());
    }
  }

  @Test
  void statusWithoutNodeIsOneLineAndExitOne() {
    Run s = run("status", "--node", "http://127.0.0.1:1/");
    assertEquals(1, s.code());
    assertEquals(1, s.err().strip().lines().count(), s.err());
    assertTrue(s.err().startsWith("peerdist: no node answers at http://127.0.0.1:1/"), s.err());
  }

  @Test
  void badConfigurationIsUsageError() {
    Run r = run("run", "--cache-size", "ten");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("cache-size (flag --cache-size): 'ten' is not a size"), r.err());
    Run g = run("get", "ftp://x/y", "-o", dir.resolve("x").toString());
    assertEquals(2, g.code());
  }

  @Test
  void demoRunsAndMostBytesComeFromPeers() throws Exception {
    assumeLoopbackMulticast();
    Run d = run("demo", "--size", "3MiB", "--nodes", "3");
    assertEquals(0, d.code(), d.out() + d.err());
    assertTrue(d.out().matches("(?s).*node-1 +3\\.0 MiB +0 B .* ok\\n.*"), d.out());
    assertTrue(d.out().matches("(?s).*node-3 +0 B +3\\.0 MiB .* ok\\n.*"), d.out());
    assertTrue(d.out().contains("67% of the bytes came from peers"), d.out());
  }
}
