package dev.peerdist.node.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.Node;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.metrics.ByteSource;
import java.io.ByteArrayOutputStream;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 end to end: a real publishing server and a real node, both with default settings
 * (only the served directory, the secret, ports, the store directory and the loopback interface
 * chosen by the test, and DNS-SD off so nothing is announced beyond the test), over real sockets
 * and real PCCRD multicast on {@code lo}. The node is pre-filled by downloading a 40 MB package
 * through it (it fetches V1, as by default, and bridges V2; while the publisher is still hashing,
 * its answers are plain, PROTOCOL.md §5.2 step 3, and the download is repeated). Then an
 * iPXE-like and a Windows-like client each fetch the package as V2 content and as V1 content:
 * every block must come from the node, none from the origin, and every probe must be answered.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealClientsIT {
  static final int SIZE = 40_000_000;
  @TempDir static Path dir;
  static byte[] content;
  static PublishingServer publisher;
  static Node node;
  static URI url;
  static int discoveryPort;
  static NetworkInterface lo;

  @BeforeAll
  static void prefill() throws Exception {
    lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(10).nextBytes(content);
    Files.write(root.resolve("boot.wim"), content);
    discoveryPort = 20_000 + ThreadLocalRandom.current().nextInt(20_000);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    publisher = PublishingServer.start(PublisherConfig.builder().root(root).stateDir(dir.resolve("publisher"))
        .bind(InetAddress.getLoopbackAddress()).port(0).secretKeyMaterial(secret).build());
    url = publisher.httpUri().orElseThrow().resolve("boot.wim");
    node = Node.start(NodeConfig.builder()
        .set(ConfigKey.STORE, dir.resolve("node").toString())
        .set(ConfigKey.PUBLISHER, publisher.httpUri().orElseThrow().toString())
        .set(ConfigKey.BIND, "127.0.0.1")
        .set(ConfigKey.PCCRR_PORT, "0")
        .set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0")
        .set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(discoveryPort))
        .set(ConfigKey.DNSSD, "false")
        .build(), NodeDirectories::multicast, Clock.systemUTC());
    boolean peerdist = false;
    for (int attempt = 0; attempt < 30 && !peerdist; attempt++) {
      try (Download d = node.engine().open(url)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b = d.next(); b != null; b = d.next()) {
          out.write(b);
        }
        assertArrayEquals(content, out.toByteArray(), "the pre-fill download");
        peerdist = d.record().peerdist();
      }
      if (!peerdist) {
        Thread.sleep(1000); // The publisher answered plainly while hashing; ask again.
      }
    }
    assertTrue(peerdist, "the publisher never served content information");
    // The bridge learns the V2 map in the background, right after the node got the V1 one.
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (node.bridge().stats().registered() < 1 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(1, node.bridge().stats().registered(), "the node bridged the package's V2 segments");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (publisher != null) {
      publisher.close();
    }
  }

  private static MulticastProber prober() throws Exception {
    return new MulticastProber(lo, discoveryPort);
  }

  @Test
  @Order(1)
  void anIpxeLikeClientGetsEveryV2SegmentFromTheNode() throws Exception {
    PeerDistOrigin origin = new PeerDistOrigin();
    try (MulticastProber p = prober()) {
      IpxeLikeClient.Result r = new IpxeLikeClient(origin, p, true).download(url);
      assertEquals(ContentVersion.V2, r.info().version(), "the publisher offers V2 to a 1.0-2.0 client");
      assertArrayEquals(content, r.content());
      assertEquals(0, r.originBytes(), "bytes from the origin; peer failures: " + first(r.failures()));
      assertEquals(r.blocks(), r.blocksFromPeers());
      assertEquals(r.info().segmentCount(), r.probes().size(), "one probe per V2 segment");
      assertEquals(0, r.unanswered().size(), r.unanswered().size() + " of " + r.probes().size()
          + " probes unanswered within 2 s (" + r.answeredLate() + " answered later; slowest first answer "
          + r.slowestFirstAnswerMillis() + " ms); node " + node.meters().scrape().lines()
          .filter(l -> l.startsWith("peerdist_pccrd")).toList());
    }
    assertTrue(node.bridge().stats().served() >= 1, "V2 segments were assembled from V1 blocks");
  }

  @Test
  @Order(2)
  void anIpxeLikeClientGetsEveryV1BlockFromTheNode() throws Exception {
    PeerDistOrigin origin = new PeerDistOrigin();
    try (MulticastProber p = prober()) {
      IpxeLikeClient.Result r = new IpxeLikeClient(origin, p, false).download(url);
      assertEquals(ContentVersion.V1, r.info().version());
      assertArrayEquals(content, r.content());
      assertEquals(0, r.originBytes(), "peer failures: " + first(r.failures()));
      assertEquals(r.blocks(), r.blocksFromPeers());
      assertEquals(0, r.unanswered().size(), "probes unanswered: " + r.unanswered());
    }
  }

  @Test
  @Order(3)
  void aWindowsLikeClientGetsEveryV2SegmentFromTheNode() throws Exception {
    PeerDistOrigin origin = new PeerDistOrigin();
    try (MulticastProber p = prober()) {
      WindowsLikeClient.Result r = new WindowsLikeClient(origin, p, true).download(url);
      assertEquals(ContentVersion.V2, r.info().version());
      assertArrayEquals(content, r.content());
      assertEquals(java.util.List.of(), r.segmentsNobodyHad());
      assertEquals(0, r.originBytes(), "peer failures: " + first(r.failures()));
      assertEquals(r.blocks(), r.blocksFromPeers());
      assertEquals(r.info().segmentCount(), r.blockListRequests(), "MSG_GETBLKLIST first for every segment");
    }
  }

  @Test
  @Order(4)
  void aWindowsLikeClientGetsEveryV1BlockFromTheNode() throws Exception {
    PeerDistOrigin origin = new PeerDistOrigin();
    try (MulticastProber p = prober()) {
      WindowsLikeClient.Result r = new WindowsLikeClient(origin, p, false).download(url);
      assertEquals(ContentVersion.V1, r.info().version());
      assertArrayEquals(content, r.content());
      assertEquals(java.util.List.of(), r.segmentsNobodyHad());
      assertEquals(0, r.originBytes(), "peer failures: " + first(r.failures()));
      assertEquals(r.blocks(), r.blocksFromPeers());
    }
  }

  @Test
  @Order(5)
  void theNodeServedEveryBlockWithoutBusyAnswersAndExportsItsCounters() throws Exception {
    String metrics = node.meters().scrape();
    assertTrue(metrics.contains("peerdist_pccrr_server_dropped_total{reason=\"busy\"} 0.0"), metrics);
    assertTrue(metrics.contains("peerdist_pccrd_probes_dropped_total{reason=\"off_subnet\"} 0.0"), metrics);
    assertEquals(0, node.meters().downloadedBytes(ByteSource.PEER), "the node itself only fetched from the origin");
  }

  private static String first(java.util.List<String> failures) {
    return failures.isEmpty() ? "none" : failures.size() + ", first: " + failures.get(0);
  }
}
