package dev.peerdist.node.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.engine.Download;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 11: the fault-injection matrix with real processes. A real publisher and an honest node
 * holding the content run here; a misbehaving peer ({@link FaultyPeerMain}, its own JVM) stands
 * in front of the honest one; a real node ({@code peerdist run}, its own JVM) knows only the
 * misbehaving peer ({@code --peer}) and downloads through its admin endpoint. Every download
 * must complete with the right bytes (SHA-256) within a bounded time, and the reason the node
 * records in {@code /downloads/ID} (CONTRACTS.md vocabulary) must name the fault.
 *
 * <p>An answer for another segment or block index is the peer's error ({@code peer_error}), not
 * bad block data: the download loop counts it against the peer without banning it.
 */
@Timeout(300)
class FaultMatrixIT {
  static final int SIZE = 1024 * 1024 + 4321;
  @TempDir static Path dir;
  static LocalSwarm swarm;
  static Node honest;
  static byte[] content;
  static URI url;

  @BeforeAll
  static void start() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs the loopback interface lo");
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(11).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, 20000 + ThreadLocalRandom.current().nextInt(30000));
    url = swarm.url("pkg.bin");
    honest = swarm.startNode("honest");
    try (Download d = honest.engine().open(url)) {
      while (d.next() != null) {
        // The honest node now holds every block.
      }
    }
  }

  @AfterAll
  static void stop() {
    if (swarm != null) {
      swarm.close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Process java(Path log, String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectError(log.toFile()).start();
  }

  @ParameterizedTest(name = "{0} at rate {1} -> {2}")
  @CsvSource({
      "corrupt,       1.0, hash_mismatch",
      "truncate,      1.0, peer_error",
      "stall,         1.0, timeout",
      "reset,         1.0, peer_error",
      "lacks,         1.0, block_not_held",
      "corrupt,       0.3, hash_mismatch",
  })
  void downloadCompletesWithTheRightBytesAndTheReasonNamesTheFault(String fault, double rate, String reason)
      throws Exception {
    run(fault, rate, reason);
  }

  @ParameterizedTest(name = "{0} at rate {1} -> {2}")
  @CsvSource({
      "wrong-segment, 1.0, peer_error",
      "wrong-index,   1.0, peer_error",
  })
  void answersForAnotherBlockAreAPeerError(String fault, double rate, String reason) throws Exception {
    run(fault, rate, reason);
  }

  private void run(String fault, double rate, String reason) throws Exception {
    Path work = Files.createDirectories(dir.resolve(fault + "-" + rate));
    Process peer = java(work.resolve("peer.err"), FaultyPeerMain.class.getName(),
        Integer.toString(honest.pccrrAddress().getPort()), fault, Double.toString(rate), "42");
    Process node = null;
    try {
      String first = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
      assertTrue(first != null && first.startsWith("port "), "faulty peer did not start: " + first);
      int peerPort = Integer.parseInt(first.substring(5).trim());
      int admin = freePort();
      node = java(work.resolve("node.err"), "dev.peerdist.node.cli.Main", "run",
          "--store", work.resolve("store").toString(),
          "--publisher", swarm.publisherUri().toString(),
          "--peer", "127.0.0.1:" + peerPort,
          "--bind", "127.0.0.1", "--pccrr-port", "0", "--admin-port", Integer.toString(admin), "--mirror-port", "0",
          "--interface", "lo", "--discovery-port", Integer.toString(20000 + ThreadLocalRandom.current().nextInt(30000)),
          "--discovery-wait", "100ms", "--dnssd", "false", "--peer-timeout", "1s", "--cache-size", "1GiB");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      URI base = URI.create("http://127.0.0.1:" + admin + "/");
      waitReady(http, base, node, work);

      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve("download?url="
          + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(120)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      double secs = (System.nanoTime() - t0) / 1e9;
      assertEquals(200, r.statusCode());
      assertEquals(sha256(content), sha256(r.body()), fault + ": the downloaded bytes are the content");
      assertArrayEquals(content, r.body());
      String id = r.headers().firstValue("X-Peerdist-Download").orElseThrow();
      String rec = http.send(HttpRequest.newBuilder(base.resolve("downloads/" + id)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      System.out.printf("fault %s rate %.1f: %.1f s, %s%n", fault, rate, secs, rec);
      long because = number(rec, reason);
      assertTrue(because > 0, "fault '" + fault + "' at rate " + rate + ": the node must record origin bytes"
          + " with reason '" + reason + "' (CONTRACTS.md vocabulary); it recorded " + rec);
      if (rate < 1.0) {
        assertTrue(number(rec, "peer") > 0, "with faults at rate " + rate + " some blocks still come from the peer: "
            + rec);
      }
    } finally {
      if (node != null) {
        node.destroy();
        node.waitFor(10, TimeUnit.SECONDS);
        node.destroyForcibly();
      }
      peer.getOutputStream().close();
      peer.destroyForcibly();
      peer.waitFor(10, TimeUnit.SECONDS);
    }
  }

  static void waitReady(HttpClient http, URI base, Process node, Path work) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      assertTrue(node.isAlive(), "the node exited: " + Files.readString(work.resolve("node.err")));
      try {
        if (http.send(HttpRequest.newBuilder(base.resolve("readyz")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the node did not become ready: " + Files.readString(work.resolve("node.err")));
  }

  static long number(String json, String field) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(\\d+)").matcher(json);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
