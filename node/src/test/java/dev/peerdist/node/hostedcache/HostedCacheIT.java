package dev.peerdist.node.hostedcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.pchc.PchcCodec;
import dev.peerdist.node.pchc.PchcMessage;
import dev.peerdist.node.pchc.ResponseCode;
import java.io.ByteArrayOutputStream;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hosted cache (PROTOCOL.md §6) between three "subnets" (three PCCRD ports on loopback, so no
 * probe crosses): client A downloads from the origin and offers what it finished over HTTPS (v1.0);
 * the hosted cache pulls it from A by PCCRR, verifying every block; client B in another subnet then
 * gets every byte from the hosted cache, none from the origin. Real sockets, RocksDB stores, TLS.
 */
@Timeout(120)
class HostedCacheIT {
  static final int SIZE = 2 * 1024 * 1024 + 4321;

  @TempDir Path dir;
  byte[] content;
  LocalSwarm swarm;

  @BeforeEach
  void start() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(7).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, port());
  }

  @AfterEach
  void stop() {
    if (swarm != null) {
      swarm.close();
    }
  }

  static int port() {
    return 20000 + ThreadLocalRandom.current().nextInt(30000);
  }

  static DownloadRecord fetch(Node n, URI url, byte[] expected) throws Exception {
    try (Download d = n.engine().open(url)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b;
      while ((b = d.next()) != null) {
        out.write(b);
      }
      assertArrayEquals(expected, out.toByteArray());
      return d.record();
    }
  }

  Node hostedCache() throws Exception {
    return swarm.startNode("hc", c -> c.set(ConfigKey.ROLE, "hosted-cache")
        .set(ConfigKey.PCHC_PORT, "0").set(ConfigKey.PCHC_HTTP_PORT, "0")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(port())));
  }

  static boolean holdsAll(Node n, List<SegmentId> ids) {
    for (SegmentId id : ids) {
      var r = n.store().segment(id);
      if (r.isEmpty() || n.store().presentBlocks(id).cardinality() != r.get().blockCount()) {
        return false;
      }
    }
    return true;
  }

  @Test
  void offeredSegmentsArePulledAndServedToAnotherSubnet() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node hc = hostedCache();
    HostedCache listeners = hc.hostedCache().orElseThrow();
    int pccrr = hc.pccrrAddress().getPort();
    String v1 = "https://127.0.0.1:" + listeners.tlsAddress().getPort() + "/?pccrr=" + pccrr;
    Node a = swarm.startNode("a", c -> c.set(ConfigKey.HOSTED_CACHE, v1)
        .set(ConfigKey.HOSTED_CACHE_CERT, listeners.certificate().toString()));
    DownloadRecord ra = fetch(a, url, content);
    assertEquals(SIZE, ra.bytes(ByteSource.ORIGIN), "nobody had it: the hosted cache was asked and had nothing");
    List<SegmentId> ids;
    try (Download d = a.engine().open(url)) {
      while (d.next() != null) {
        // drain (all local now)
      }
      ids = d.segmentIds();
    }
    assertEquals(1, ids.size());
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!holdsAll(hc, ids) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(holdsAll(hc, ids), "the hosted cache pulled every offered block from A");
    String hcMetrics = hc.meters().scrape();
    assertTrue(hcMetrics.contains("peerdist_pchc_offers_total{message_type=\"initial_offer\",result=\"interested\"}"),
        hcMetrics);
    assertTrue(hcMetrics.matches("(?s).*peerdist_pchc_pulled_bytes_total [1-9].*"), hcMetrics);
    assertTrue(a.meters().scrape().contains("peerdist_pchc_offers_sent_total{message_type=\"segment_info\",result=\"ok\"}"));
    assertEquals(0, hc.store().stats().pinnedBytes(), "pulled segments are cached, not pinned (docs/SITES.md)");

    // B: another subnet, configured with the v2.0 (HTTP) URL; the hosted cache serves it by PCCRR.
    String v2 = "http://127.0.0.1:" + listeners.httpAddress().getPort() + "/?pccrr=" + pccrr;
    Node b = swarm.startNode("b", c -> c.set(ConfigKey.HOSTED_CACHE, v2)
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(port())));
    DownloadRecord rb = fetch(b, url, content);
    assertEquals(SIZE, rb.bytes(ByteSource.PEER));
    assertEquals(0, rb.bytes(ByteSource.ORIGIN));
    // B's own offer (a v2.0 batch of a segment the hosted cache already holds) was answered OK.
    long until = System.nanoTime() + 20_000_000_000L;
    while (!b.meters().scrape().contains("message_type=\"batched_offer\",result=\"ok\"") && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertTrue(b.meters().scrape().contains("peerdist_pchc_offers_sent_total{message_type=\"batched_offer\",result=\"ok\"}"));
  }

  /**
   * A loopback port free for UDP and TCP alike: dnsmasq listens on both, and a port that was free
   * for UDP but taken for TCP (by another test's server) made it fail with "Address already in use".
   */
  private static int freeUdpAndTcpPort() throws java.io.IOException {
    java.net.InetAddress lo = java.net.InetAddress.getLoopbackAddress();
    for (int attempt = 0; attempt < 50; attempt++) {
      try (java.net.DatagramSocket u = new java.net.DatagramSocket(0, lo);
          java.net.ServerSocket t = new java.net.ServerSocket(u.getLocalPort(), 1, lo)) {
        return u.getLocalPort();
      } catch (java.net.BindException taken) {
        // the TCP side is taken: try another port
      }
    }
    throw new java.io.IOException("no loopback port free for both UDP and TCP in 50 tries");
  }

  @Test
  void aClientFindsTheHostedCacheByUnicastDnsSd() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")), "needs Debian's dnsmasq (.ci/run installs it)");
    URI url = swarm.url("pkg.bin");
    Node hc = hostedCache();
    HostedCache listeners = hc.hostedCache().orElseThrow();
    int dnsPort = freeUdpAndTcpPort();
    Process dns = new ProcessBuilder("/usr/sbin/dnsmasq", "-d", "-k", "--port=" + dnsPort,
        "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
        "--user=" + System.getProperty("user.name"),
        "--ptr-record=_peerdist._tcp.branch.test,hc1._peerdist._tcp.branch.test",
        "--srv-host=hc1._peerdist._tcp.branch.test,hc.branch.test," + hc.pccrrAddress().getPort(),
        "--txt-record=hc1._peerdist._tcp.branch.test,pchc-tls=" + listeners.tlsAddress().getPort() + ",role=cache-server",
        "--host-record=hc.branch.test,127.0.0.1")
        .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
    try {
      List<HostedCacheTarget> found = List.of();
      for (int i = 0; i < 50 && found.isEmpty(); i++) {
        try {
          found = UnicastDnsSd.browse("branch.test@127.0.0.1:" + dnsPort);
        } catch (javax.naming.NamingException e) {
          Thread.sleep(100); // dnsmasq still starting
        }
      }
      assertEquals(List.of(HostedCacheTarget.of(java.net.InetAddress.getLoopbackAddress(), true,
          listeners.tlsAddress().getPort(), hc.pccrrAddress().getPort())), found,
          () -> "dnsmasq: " + readQuietly(dir.resolve("dnsmasq.log")));
      Node a = swarm.startNode("a", c -> c.set(ConfigKey.HOSTED_CACHE_DOMAIN, "branch.test@127.0.0.1:" + dnsPort)
          .set(ConfigKey.HOSTED_CACHE_CERT, listeners.certificate().toString()));
      // The browse runs on its own thread; segments finished before it found the hosted cache are not offered.
      String expected = "peer=127.0.0.1:" + hc.pccrrAddress().getPort() + ", via=hosted-cache-dns-sd";
      long found2 = System.nanoTime() + 30_000_000_000L;
      while (!a.status().toString().contains(expected) && System.nanoTime() < found2) {
        Thread.sleep(100);
      }
      assertTrue(a.status().toString().contains(expected), () -> a.status().toString());
      fetch(a, url, content);
      // The finished segment is offered to the hosted cache DNS-SD found (the pull itself is
      // offeredSegmentsArePulledAndServedToAnotherSubnet's subject).
      long offered = System.nanoTime() + 30_000_000_000L;
      while (!a.meters().scrape().contains("peerdist_pchc_offers_sent_total{message_type=\"initial_offer\"")
          && System.nanoTime() < offered) {
        Thread.sleep(100);
      }
      assertTrue(a.meters().scrape().contains("peerdist_pchc_offers_sent_total{message_type=\"initial_offer\""),
          "the hosted cache found by unicast DNS-SD was offered the finished segment");
    } finally {
      dns.destroy();
      dns.waitFor();
    }
  }

  static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  @Test
  void listenersAnswerOnlyTheirVersionAndRefuseGarbage() throws Exception {
    Node hc = hostedCache();
    HostedCache listeners = hc.hostedCache().orElseThrow();
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    URI v2 = URI.create("http://127.0.0.1:" + listeners.httpAddress().getPort() + PchcCodec.V2_PATH);
    byte[] id = new byte[32];
    new Random(3).nextBytes(id);
    // A v2.0 batch naming a segment nobody described: OK (§6.3), nothing pulled (unverifiable).
    PchcMessage batch = new PchcMessage.BatchedOffer(1234, List.of(new PchcMessage.SegmentDescriptor(65536,
        SegmentRecord.V1_SEGMENT_SIZE, dev.peerdist.node.pchc.ContentTag.PEERDIST,
        PchcMessage.SegmentDescriptor.SHA_256, SegmentId.of(id))));
    HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(v2)
        .POST(HttpRequest.BodyPublishers.ofByteArray(PchcCodec.encode(batch))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, ok.statusCode());
    assertEquals(ResponseCode.OK, PchcCodec.decodeResponse(ByteBuffer.wrap(ok.body())));
    assertEquals(0, listeners.pendingPulls());
    // Garbage, a v1.0 message on the HTTP listener, a GET, a wrong path: refused and counted.
    byte[] v1Offer = PchcCodec.encode(new PchcMessage.InitialOffer(1234, SegmentId.of(id)));
    int[] statuses = {
        http.send(HttpRequest.newBuilder(v2).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3})).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode(),
        http.send(HttpRequest.newBuilder(v2).POST(HttpRequest.BodyPublishers.ofByteArray(v1Offer)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode(),
        http.send(HttpRequest.newBuilder(v2).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode(),
        http.send(HttpRequest.newBuilder(v2.resolve("/elsewhere")).POST(HttpRequest.BodyPublishers.ofByteArray(
            v1Offer)).build(), HttpResponse.BodyHandlers.discarding()).statusCode()};
    assertArrayEquals(new int[] {400, 400, 405, 404}, statuses);
    String m = hc.meters().scrape();
    assertTrue(m.contains("peerdist_malformed_inputs_total{source=\"pchc\"} 4.0"), m);
    assertTrue(m.contains("peerdist_pchc_offers_total{message_type=\"batched_offer\",result=\"unverifiable\"} 1.0"), m);
  }
}
