package dev.peerdist.node.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.cli.NodeCommandsIT;
import dev.peerdist.node.demo.LocalSwarm;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peerdist doctor} against a real node and publisher on loopback: the node answers the
 * diagnostic probe over real multicast, its PCCRR port is connected to, the publisher is asked for
 * content information and its Date compared; then with the publisher gone the doctor fails and says so.
 */
@Timeout(120)
class DoctorIT {
  @TempDir Path dir;

  static NodeCommandsIT.Run cli(String... args) {
    return NodeCommandsIT.run(args);
  }

  static boolean has(String json, String name, String status) {
    return json.contains("{\"name\":\"" + name + "\",\"status\":\"" + status + "\"");
  }

  @Test
  void findsTheNodeAndThePublisherThenTheMissingPublisher() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[200_000];
    new Random(3).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    int port = 20000 + ThreadLocalRandom.current().nextInt(30000);
    try (LocalSwarm swarm = LocalSwarm.start(dir.resolve("work"), root, port)) {
      Node a = swarm.startNode("a");
      String url = swarm.url("pkg.bin").toString();
      String[] common = {"doctor", "--json", "--interface", "lo", "--discovery-port", Integer.toString(port),
          "--store", dir.resolve("doctor-store").toString(), "--wait", "1500ms", "--url", url};
      NodeCommandsIT.Run r = cli(concat(common, "--publisher", swarm.publisherUri().toString()));
      assertEquals(0, r.code(), r.out() + r.err());
      String json = r.out();
      assertTrue(has(json, "interfaces", "ok"), json);
      assertTrue(has(json, "multicast", "ok") && json.contains("127.0.0.1"), json);
      assertTrue(has(json, "pccrr", "ok"), json);
      assertTrue(has(json, "publisher", "ok") && json.contains("directly"), json);
      assertTrue(has(json, "peerdist", "ok"), json);
      assertTrue(has(json, "clock", "ok"), json);
      assertTrue(has(json, "store", "warn"), "no store yet: " + json);
      assertTrue(a.meters().scrape().contains("peerdist_malformed_inputs_total{source=\"pccrd\"} 0.0"),
          "the diagnostic probe is an ordinary, well-formed PCCRD probe");

      int dead;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        dead = s.getLocalPort();
      }
      String gone = "http://127.0.0.1:" + dead + "/";
      NodeCommandsIT.Run bad = cli("doctor", "--interface", "lo", "--discovery-port", Integer.toString(port), "--store",
          dir.resolve("work/a").toString(), "--wait", "300ms", "--publisher", gone);
      assertEquals(1, bad.code(), bad.out());
      assertTrue(bad.out().matches("(?s).*FAIL\\s+publisher\\s+cannot reach " + java.util.regex.Pattern.quote(gone)
          + " directly.*"), bad.out());
      assertTrue(bad.out().contains("in use by a running node"), bad.out());
    }
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
