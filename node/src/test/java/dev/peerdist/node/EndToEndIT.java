package dev.peerdist.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * End to end over real sockets on 127.0.0.1 and real PCCRD multicast on {@code lo}: a publishing
 * server, nodes with RocksDB stores, PCCRR between them, the admin endpoint and the mirror.
 */
@Timeout(120)
class EndToEndIT {
  static final int SIZE = 3 * 1024 * 1024 + 12345;

  @TempDir Path dir;
  Path root;
  byte[] content;
  LocalSwarm swarm;

  @BeforeEach
  void start() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(42).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, 20000 + ThreadLocalRandom.current().nextInt(20000));
  }

  @AfterEach
  void stop() {
    if (swarm != null) {
      swarm.close();
    }
  }

  record Result(byte[] bytes, DownloadRecord record, List<SegmentId> segments) {}

  static Result fetch(Node n, URI url) throws IOException {
    try (Download d = n.engine().open(url)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b;
      while ((b = d.next()) != null) {
        out.write(b);
      }
      return new Result(out.toByteArray(), d.record(), d.segmentIds());
    }
  }

  @Test
  void firstFromOriginThenFromPeersWithNoOriginBlockBytes() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node a = swarm.startNode("a");
    Result ra = fetch(a, url);
    assertArrayEquals(content, ra.bytes());
    assertTrue(ra.record().peerdist(), "the publisher served content information");
    assertEquals(SIZE, ra.record().bytes(ByteSource.ORIGIN));
    assertEquals(SIZE, ra.record().originBytes(FallbackReason.NO_PEER));

    Node b = swarm.startNode("b");
    Result rb = fetch(b, url);
    assertArrayEquals(content, rb.bytes());
    assertEquals(SIZE, rb.record().bytes(ByteSource.PEER));
    assertEquals(0, rb.record().bytes(ByteSource.ORIGIN));

    Node c = swarm.startNode("c");
    Result rc = fetch(c, url);
    assertArrayEquals(content, rc.bytes());
    assertEquals(SIZE, rc.record().bytes(ByteSource.PEER));
    assertEquals(0, rc.record().bytes(ByteSource.ORIGIN));
    String metrics = c.meters().scrape();
    assertTrue(metrics.contains("peerdist_download_bytes_total{source=\"peer\"} " + SIZE + ".0"), metrics);
    String served = a.meters().scrape();
    assertTrue(served.matches("(?s).*peerdist_served_bytes_total [1-9].*"), served);
    // Content information: the publisher described the segment to b and c (one byte of it), the
    // block-hash list came from a subnet-mate that had it (docs/DOWNLOAD.md), checked against HoD.
    assertTrue(metrics.matches("(?s).*peerdist_peer_requests_total\\{message_type=\"block_hashes\",result=\"ok\"} [1-9].*"),
        metrics);
    assertFalse(a.meters().scrape().contains("message_type=\"block_hashes\",result=\"ok\""),
        "the first node had nobody to ask");
  }

  @Test
  void adminDownloadMirrorAndStatusOverHttp() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node a = swarm.startNode("a");
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(a.adminUri().resolve("download?url="
        + java.net.URLEncoder.encode(url.toString(), java.nio.charset.StandardCharsets.UTF_8))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertArrayEquals(content, r.body());
    assertEquals("peerdist", r.headers().firstValue("X-Peerdist-Mode").orElse(""));
    Node b = swarm.startNode("b");
    HttpResponse<byte[]> m = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + b.mirrorPort() + "/pkg.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, m.statusCode());
    assertArrayEquals(content, m.body());
    String status = http.send(HttpRequest.newBuilder(b.adminUri().resolve("status")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(status.contains("\"peer\":" + SIZE), status);
    assertTrue(status.contains("\"via\":\"pccrd\""), status);
  }

  @Test
  void prepopulatedCacheServerServes() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node cache = swarm.startNode("cache", c -> c.set(ConfigKey.ROLE, "cache-server")
        .set(ConfigKey.PREPOPULATE, url.toString()));
    DownloadRecord pre = cache.prepopulate(url);
    assertEquals(SIZE, pre.deliveredBytes());
    assertTrue(cache.store().stats().pinnedBytes() > 0, "prepopulated content is pinned");
    Node client = swarm.startNode("client");
    Result r = fetch(client, url);
    assertArrayEquals(content, r.bytes());
    assertEquals(SIZE, r.record().bytes(ByteSource.PEER));
  }

  @Test
  void clientFindsCacheServerByDnsSdWithoutPccrd() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node cache = swarm.startNode("cache", c -> c.set(ConfigKey.ROLE, "cache-server").set(ConfigKey.DNSSD, "true"));
    cache.prepopulate(url);
    // Another PCCRD port: the client's probes never reach the cache server, only DNS-SD can.
    int otherPort = 20000 + ThreadLocalRandom.current().nextInt(20000);
    Node client = swarm.startNode("client", c -> c.set(ConfigKey.DNSSD, "true")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(otherPort)));
    String expected = "127.0.0.1:" + cache.pccrrAddress().getPort();
    long deadline = System.nanoTime() + 40_000_000_000L;
    boolean seen = false;
    while (!seen && System.nanoTime() < deadline) {
      seen = client.engine() != null && client.status().toString().contains("peer=" + expected + ", via=dnssd");
      if (!seen) {
        Thread.sleep(200);
      }
    }
    Assumptions.assumeTrue(seen, "mDNS (jmdns) found nothing on this host's loopback within 40 s");
    Result r = fetch(client, url);
    assertArrayEquals(content, r.bytes());
    assertEquals(SIZE, r.record().bytes(ByteSource.PEER));
  }

  @Test
  void restartedNodeKeepsItsCacheAndServesIt() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node a = swarm.startNode("a");
    fetch(a, url);
    a.close();
    Node again = swarm.startNode("a");
    Result local = fetch(again, url);
    assertEquals(SIZE, local.record().bytes(ByteSource.LOCAL), "the restarted node reads its own store");
    Node b = swarm.startNode("b");
    Result rb = fetch(b, url);
    assertArrayEquals(content, rb.bytes());
    assertEquals(SIZE, rb.record().bytes(ByteSource.PEER));
  }

  @Test
  void changedFileYieldsNewContentInformation() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node a = swarm.startNode("a");
    Result first = fetch(a, url);
    byte[] changed = content.clone();
    changed[SIZE / 2] ^= 0x5a;
    Path f = root.resolve("pkg.bin");
    Files.write(f, changed);
    Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    Result second = fetch(a, url);
    assertArrayEquals(changed, second.bytes());
    assertNotEquals(first.segments(), second.segments(), "new content, new segment ids");
    assertTrue(second.record().bytes(ByteSource.ORIGIN) > 0, "the changed segment came from the origin");
  }

  @Test
  void vanishedPeerCostsOnlyAFallbackToTheOrigin() throws Exception {
    URI url = swarm.url("pkg.bin");
    Node a = swarm.startNode("a");
    fetch(a, url);
    String deadPeer = "127.0.0.1:" + a.pccrrAddress().getPort();
    a.close();
    // b still believes in a (a configured peer, as a cache server found earlier would be).
    Node b = swarm.startNode("b", c -> c.set(ConfigKey.PEER, deadPeer));
    Result rb = fetch(b, url);
    assertArrayEquals(content, rb.bytes());
    assertEquals(SIZE, rb.record().bytes(ByteSource.ORIGIN));
    assertEquals(SIZE, rb.record().originBytes(FallbackReason.PEER_ERROR)
        + rb.record().originBytes(FallbackReason.TIMEOUT));
  }

  @Test
  void corruptBlockFromAPeerIsNeverStoredOrPassedOn() throws Exception {
    URI url = swarm.url("pkg.bin");
    InMemoryChunkStore[] evil = new InMemoryChunkStore[1];
    Node a = swarm.startNode("a", c -> { }, cfg -> evil[0] = new InMemoryChunkStore(1L << 30));
    Result ra = fetch(a, url);
    SegmentId seg = ra.segments().get(0);
    byte[] junk = new byte[65536 + 16 + 16];
    new Random(1).nextBytes(junk);
    assertTrue(evil[0].damageStoredBlock(seg, 3, junk), "damaged block 3 at rest");
    Node b = swarm.startNode("b");
    Result rb = fetch(b, url);
    assertArrayEquals(content, rb.bytes(), "the caller got only verified bytes");
    // The peer that sent a bad block is dropped for the segment: the rest comes from the origin,
    // and every origin byte says why.
    long bad = rb.record().originBytes(FallbackReason.HASH_MISMATCH);
    assertTrue(bad >= 65536, "hash_mismatch bytes: " + bad);
    assertEquals(SIZE, rb.record().bytes(ByteSource.PEER) + bad);
    byte[] stored = b.store().readBlock(seg, 3).orElseThrow();
    assertArrayEquals(java.util.Arrays.copyOfRange(content, 3 * 65536, 4 * 65536), stored);
    assertTrue(b.meters().scrape().contains("peerdist_corrupt_blocks_total 1.0"), b.meters().scrape());
    assertFalse(b.meters().scrape().contains("peerdist_corrupt_blocks_total 0.0"));
  }
}
