package dev.peerdist.discovery.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.ProbeMatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * IPv6 PCCRD over [ff02::c] between two network namespaces joined by a veth pair (LIMITS.md:
 * IPv6 multicast is not delivered on loopback). The responder runs in a child JVM inside a new
 * namespace; the prober runs here on the root-namespace end of the pair. Needs root and
 * iproute2; everything created is removed in {@code finally}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class Ipv6NetnsMulticastIT {
  private static boolean root() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      return p.waitFor(5, TimeUnit.SECONDS) && "0".equals(out);
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
    }
  }

  private static void quietly(String... cmd) {
    try {
      run(cmd);
    } catch (IOException | InterruptedException ignored) {
      // Clean-up of something that may already be gone.
    }
  }

  @Test
  void aPeerInAnotherNamespaceAnswersAnIpv6Probe() throws Exception {
    Assumptions.assumeTrue(root(), "needs root to create network namespaces (CI runs as root)");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/sbin/ip")) || Files.isExecutable(Path.of("/usr/sbin/ip"))
        || Files.isExecutable(Path.of("/bin/ip")), "needs iproute2");
    String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
    String ns = "pdtest" + tag;
    String here = "pdva" + tag;
    String there = "pdvb" + tag;
    int port = LoopbackMulticast.testPort();
    byte[] keyBytes = new byte[32];
    ThreadLocalRandom.current().nextBytes(keyBytes);
    String keyHex = HexFormat.of().withUpperCase().formatHex(keyBytes);
    Process child = null;
    try {
      try {
        run("ip", "netns", "add", ns);
        run("ip", "link", "add", here, "type", "veth", "peer", "name", there);
        run("ip", "link", "set", there, "netns", ns);
        // No automatic link-local addresses: fixed addresses without DAD are usable at once.
        run("ip", "link", "set", here, "addrgenmode", "none");
        run("ip", "-n", ns, "link", "set", there, "addrgenmode", "none");
        run("ip", "addr", "add", "fd42:" + tag + "::1/64", "dev", here, "nodad");
        run("ip", "-n", ns, "addr", "add", "fd42:" + tag + "::2/64", "dev", there, "nodad");
        run("ip", "link", "set", here, "up");
        run("ip", "-n", ns, "link", "set", "lo", "up");
        run("ip", "-n", ns, "link", "set", there, "up");
      } catch (IOException e) {
        Assumptions.abort("cannot build a veth pair between namespaces here: " + e.getMessage());
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      child = new ProcessBuilder("ip", "netns", "exec", ns, java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), NetnsResponder.class.getName(),
          Integer.toString(port), there, keyHex, "9", "8080")
          .redirectErrorStream(true).start();
      BufferedReader childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      String line;
      while ((line = childOut.readLine()) != null) {
        lines.add(line);
        if (line.startsWith("READY")) {
          break;
        }
      }
      assertTrue(line != null, "responder did not start: " + lines);

      try (WsDiscoveryPeerDirectory prober = WsDiscoveryPeerDirectory.start(WsDiscoveryConfig.builder()
          .interfaces(List.of(here)).ipv4(false).port(port).pccrrPort(8081).build())) {
        DiscoveryKey key = DiscoveryKey.of(DiscoveryKey.Form.V1, keyBytes);
        List<ProbeMatch> matches = prober.probe(List.of(key), Duration.ofMillis(2000), 1).get(20, TimeUnit.SECONDS);
        assertEquals(1, matches.size(), "stats " + prober.stats() + ", child " + lines);
        ProbeMatch m = matches.get(0);
        assertEquals(InetAddress.getByName("fd42:" + tag + "::2"), m.peer().address().getAddress());
        assertEquals(8080, m.peer().address().getPort());
        assertEquals(9, m.blocksHeld().get(key));
        assertEquals(0, prober.stats().offSubnet());
      }
    } finally {
      if (child != null) {
        child.getOutputStream().close();
        if (!child.waitFor(10, TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      }
      quietly("ip", "netns", "del", ns);
      quietly("ip", "link", "del", here);
    }
  }
}
