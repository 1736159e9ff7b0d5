package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentDescription;
import dev.peerdist.node.origin.TrustAll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The publishing server over real sockets on 127.0.0.1. */
@Timeout(60)
class PublishingServerIT {
  static final int BIG = 300_000; // 5 V1 blocks (last one partial), several V2 segments
  static final String SECRET = "publisher test secret";

  @TempDir Path tmp;
  Path root;
  Path state;
  byte[] big;
  byte[] small;
  CountingSource source;
  PublishingServer server;
  HttpClient http;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(tmp.resolve("root"));
    state = tmp.resolve("state");
    big = random(BIG, 1);
    small = random(1000, 2);
    Files.write(root.resolve("big.bin"), big);
    Files.write(root.resolve("small.txt"), small);
    Files.createDirectories(root.resolve("dir/sub"));
    Files.write(root.resolve("dir/sub/a b.bin"), random(70_000, 3));
    Files.writeString(tmp.resolve("outside.txt"), "secret outside the root");
    source = new CountingSource(new PccrcContentInformationSource());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(TrustAll.sslContext()).build();
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  PublisherConfig.Builder config() {
    return PublisherConfig.builder().root(root).stateDir(state).port(0).tlsPort(0);
  }

  PublishingServer start(PublisherConfig.Builder b) throws IOException {
    server = PublishingServer.start(b.build(), source);
    return server;
  }

  URI url(String path) {
    return server.httpUri().orElseThrow().resolve(path);
  }

  HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    return send(HttpRequest.newBuilder(url(path)), headers);
  }

  HttpResponse<byte[]> send(HttpRequest.Builder b, String... headers) throws Exception {
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static final String[] IPXE = {
    "Accept-Encoding", "peerdist",
    "X-P2P-PeerDist", "Version=1.1",
    "X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=2.0"
  };

  static String[] with(String[] a, String... more) {
    String[] r = Arrays.copyOf(a, a.length + more.length);
    System.arraycopy(more, 0, r, a.length, more.length);
    return r;
  }

  /** Raw request over a socket, for paths an HTTP client would normalise. Returns the status line. */
  String rawStatusLine(String requestLine) throws IOException {
    try (Socket s = new Socket("127.0.0.1", url("/").getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write((requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\r') {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  // ---------------------------------------------------------------- plain HTTP

  @Test
  void getServesTheFileWithValidators() throws Exception {
    start(config());
    HttpResponse<byte[]> r = get("/big.bin");
    assertEquals(200, r.statusCode());
    assertArrayEquals(big, r.body());
    String etag = r.headers().firstValue("ETag").orElseThrow();
    assertTrue(etag.startsWith("\"") && etag.endsWith("\""), etag);
    assertTrue(r.headers().firstValue("Last-Modified").isPresent());
    assertEquals("bytes", r.headers().firstValue("Accept-Ranges").orElseThrow());
    assertEquals(String.valueOf(BIG), r.headers().firstValue("Content-Length").orElseThrow());
    assertTrue(r.headers().firstValue("Content-Encoding").isEmpty());
    HttpResponse<byte[]> sub = get("/dir/sub/a%20b.bin");
    assertEquals(200, sub.statusCode());
    assertEquals(70_000, sub.body().length);
  }

  @Test
  void headHasHeadersAndNoBody() throws Exception {
    start(config());
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(url("/big.bin")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, r.statusCode());
    assertEquals(0, r.body().length);
    assertEquals(String.valueOf(BIG), r.headers().firstValue("Content-Length").orElseThrow());
  }

  @Test
  void singleRangesAnd416AndMultiRangeAsFull() throws Exception {
    start(config());
    HttpResponse<byte[]> r = get("/big.bin", "Range", "bytes=65536-131071");
    assertEquals(206, r.statusCode());
    assertEquals("bytes 65536-131071/" + BIG, r.headers().firstValue("Content-Range").orElseThrow());
    assertArrayEquals(Arrays.copyOfRange(big, 65536, 131072), r.body());
    HttpResponse<byte[]> tail = get("/big.bin", "Range", "bytes=-100");
    assertArrayEquals(Arrays.copyOfRange(big, BIG - 100, BIG), tail.body());
    HttpResponse<byte[]> bad = get("/big.bin", "Range", "bytes=" + BIG + "-");
    assertEquals(416, bad.statusCode());
    assertEquals("bytes */" + BIG, bad.headers().firstValue("Content-Range").orElseThrow());
    HttpResponse<byte[]> multi = get("/big.bin", "Range", "bytes=0-1,5-9");
    assertEquals(200, multi.statusCode());
    assertEquals(BIG, multi.body().length);
  }

  @Test
  void conditionalRequestsGet304AndIfRangeMismatchGetsWholeFile() throws Exception {
    start(config());
    HttpResponse<byte[]> r = get("/big.bin");
    String etag = r.headers().firstValue("ETag").orElseThrow();
    String lm = r.headers().firstValue("Last-Modified").orElseThrow();
    assertEquals(304, get("/big.bin", "If-None-Match", etag).statusCode());
    assertEquals(304, get("/big.bin", "If-Modified-Since", lm).statusCode());
    assertEquals(200, get("/big.bin", "If-None-Match", "\"other\"").statusCode());
    assertEquals(206, get("/big.bin", "Range", "bytes=0-9", "If-Range", etag).statusCode());
    assertEquals(200, get("/big.bin", "Range", "bytes=0-9", "If-Range", "\"old\"").statusCode());
  }

  @Test
  void missingFilesDirectoriesAndTraversalAre404() throws Exception {
    Path link = root.resolve("escape.txt");
    Files.createSymbolicLink(link, tmp.resolve("outside.txt"));
    Files.createSymbolicLink(root.resolve("inside-link.bin"), root.resolve("big.bin"));
    start(config());
    assertEquals(404, get("/nope.bin").statusCode());
    assertEquals(404, get("/dir").statusCode());
    assertEquals(404, get("/escape.txt").statusCode(), "symlink leaving the root");
    assertEquals(200, get("/inside-link.bin").statusCode(), "symlink inside the root");
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /../outside.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /dir/../../outside.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /%2e%2e/outside.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /..%2foutside.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /dir%5c..%5c..%5coutside.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /big.bin%00.txt HTTP/1.1"));
    assertEquals("HTTP/1.1 400 Bad Request", rawStatusLine("GARBAGE"));
    assertEquals("HTTP/1.1 400 Bad Request", rawStatusLine("GET /%zz HTTP/1.1"));
    assertEquals("HTTP/1.1 404 Not Found", rawStatusLine("GET /dir/../big.bin HTTP/1.1"));
    assertEquals("HTTP/1.1 200 OK", rawStatusLine("GET /.//./big.bin?x=1 HTTP/1.1"));
  }

  @Test
  void otherMethodsGet405AndHugeHeadersAreRefused() throws Exception {
    start(config().maxHeaderBytes(1024));
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(url("/big.bin")).method("DELETE", HttpRequest.BodyPublishers.noBody()));
    assertEquals(405, r.statusCode());
    assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElseThrow());
    String huge = "x".repeat(4000);
    int status = get("/big.bin", "X-Junk", huge).statusCode();
    assertTrue(status == 431 || status == 400, "status " + status);
  }

  @Test
  void stateDirectoryInsideTheRootIsRefused() {
    IOException e =
        assertThrows(IOException.class, () -> PublishingServer.start(config().stateDir(root.resolve(".peerdist")).build(), source));
    assertTrue(e.getMessage().contains("inside the served root"), e.getMessage());
  }

  @Test
  void generatedSecretIsOwnerOnlyAndSurvivesRestart() throws Exception {
    start(config());
    Path secret = state.resolve("server-secret");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    byte[] first = Files.readAllBytes(secret);
    assertEquals(PublisherState.GENERATED_SECRET_BYTES, first.length);
    String fp = server.state().secretFingerprint();
    server.close();
    start(config());
    assertArrayEquals(first, Files.readAllBytes(secret));
    assertEquals(fp, server.state().secretFingerprint());
  }

  @Test
  void httpsWithSelfSignedCertificate() throws Exception {
    start(config().tls(new PublisherConfig.TlsSettings(null, null, true)));
    URI https = server.httpsUri().orElseThrow();
    assertEquals("https", https.getScheme());
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(https.resolve("/big.bin")), "Range", "bytes=1000-70999");
    assertEquals(206, r.statusCode());
    assertArrayEquals(Arrays.copyOfRange(big, 1000, 71000), r.body());
    HttpResponse<byte[]> whole = send(HttpRequest.newBuilder(https.resolve("/big.bin")));
    assertArrayEquals(big, whole.body());
    // A client that does not trust the certificate fails the handshake.
    HttpClient strict = HttpClient.newBuilder().build();
    assertThrows(
        IOException.class,
        () -> strict.send(HttpRequest.newBuilder(https.resolve("/big.bin")).build(), HttpResponse.BodyHandlers.discarding()));
    // The pair is kept and reused after a restart.
    Path crt = TlsContexts.selfSignedCertificate(state.resolve("tls"));
    byte[] pem = Files.readAllBytes(crt);
    server.close();
    start(config().tls(new PublisherConfig.TlsSettings(null, null, true)));
    assertArrayEquals(pem, Files.readAllBytes(crt));
  }

  @Test
  void connectionsBeyondTheLimitAreClosed() throws Exception {
    start(config().maxConnections(2));
    int port = url("/").getPort();
    try (Socket a = new Socket("127.0.0.1", port);
        Socket b = new Socket("127.0.0.1", port)) {
      // Make sure both are accepted before the third arrives.
      for (int i = 0; i < 100 && server.openConnections() < 2; i++) {
        Thread.sleep(20);
      }
      assertEquals(2, server.openConnections());
      try (Socket c = new Socket("127.0.0.1", port)) {
        c.setSoTimeout(5_000);
        assertEquals(-1, c.getInputStream().read(), "third connection closed by the server");
      }
      a.getOutputStream().write("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String reply = new String(a.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(reply.startsWith("HTTP/1.1 200 OK"), reply);
    }
  }

  @Test
  void emptyFileIsServedPlainlyEvenWithoutMinSize() throws Exception {
    Files.write(root.resolve("empty.bin"), new byte[0]);
    start(config().minSize(0));
    HttpResponse<byte[]> r = get("/empty.bin", IPXE);
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Encoding").isEmpty());
    assertEquals(0, r.body().length);
    assertEquals(0, source.total());
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    start(config());
    try (Socket s = new Socket("127.0.0.1", url("/").getPort())) {
      s.setSoTimeout(10_000);
      String req =
          "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
              + "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
      byte[] all = s.getInputStream().readAllBytes();
      String text = new String(all, StandardCharsets.ISO_8859_1);
      int a = text.indexOf("HTTP/1.1 200 OK");
      int b = text.indexOf("HTTP/1.1 200 OK", a + 1);
      int c = text.indexOf("HTTP/1.1 404 Not Found");
      assertTrue(a >= 0 && b > a && c > b, text.substring(0, Math.min(400, text.length())));
    }
  }

  // ---------------------------------------------------------------- PeerDist

  ContentInformation peerDist(HttpResponse<byte[]> r, String version) {
    assertEquals(200, r.statusCode(), () -> r.headers().toString());
    assertEquals("peerdist", r.headers().firstValue("Content-Encoding").orElse(null), () -> r.headers().toString());
    assertEquals("Version=" + version + ", ContentLength=" + BIG, r.headers().firstValue("X-P2P-PeerDist").orElseThrow());
    assertEquals(String.valueOf(r.body().length), r.headers().firstValue("Content-Length").orElseThrow());
    return ContentInformationCodec.standard().decode(r.body());
  }

  /** Every V1 block hash and HoD, or every V2 segment HoD, recomputed from the file. */
  static void assertDescribes(ContentInformation ci, byte[] content, byte[] secret) {
    long covered = 0;
    for (SegmentDescription s : ci.segments()) {
      assertEquals(covered, s.offsetInContent());
      byte[] seg = Arrays.copyOfRange(content, (int) s.offsetInContent(), (int) s.offsetInContent() + s.segmentLength());
      if (ci.version() == ContentVersion.V1) {
        assertEquals(s.blockCount(), s.listedBlockHashCount());
        for (int i = 0; i < s.blockCount(); i++) {
          int from = i * SegmentDescription.V1_BLOCK_SIZE;
          byte[] block = Arrays.copyOfRange(seg, from, Math.min(seg.length, from + SegmentDescription.V1_BLOCK_SIZE));
          assertArrayEquals(HashAlgorithm.SHA_256.hash(block), s.blockHash(i), "block " + i);
        }
        assertTrue(s.blockHashesMatchHashOfData());
      } else {
        assertTrue(s.segmentLength() <= SegmentDescription.V2_MAX_SEGMENT_SIZE);
        assertArrayEquals(HashAlgorithm.TRUNCATED_SHA_512.hash(seg), s.hashOfData());
      }
      HashAlgorithm h = ci.hashAlgorithm();
      byte[] ks = PccrcKeys.serverSecret(h, secret);
      assertArrayEquals(PccrcKeys.segmentSecret(h, ks, s.hashOfData()), s.segmentSecret());
      covered += s.segmentLength();
    }
    assertEquals(content.length, covered);
  }

  @Test
  void negotiationMatrixOverTheWire() throws Exception {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    start(config().secretKeyMaterial(secret));
    // iPXE/Windows 8 offer (TV-7b): Min 1.0, Max 2.0 -> V2 (the highest we serve).
    ContentInformation v2 = peerDist(get("/big.bin", IPXE), "1.1");
    assertEquals(ContentVersion.V2, v2.version());
    assertTrue(v2.segmentCount() >= 3, "segments " + v2.segmentCount());
    assertDescribes(v2, big, secret);
    // Version=1.0 without PeerDistEx -> V1, version echoed.
    ContentInformation v1 = peerDist(get("/big.bin", "Accept-Encoding", "gzip, peerdist", "X-P2P-PeerDist", "Version=1.0"), "1.0");
    assertEquals(ContentVersion.V1, v1.version());
    assertEquals(1, v1.segmentCount());
    assertEquals(5, v1.segment(0).blockCount());
    assertDescribes(v1, big, secret);
    // Min 2.0 Max 2.0 -> V2.
    assertEquals(
        ContentVersion.V2,
        peerDist(
                get("/big.bin", "Accept-Encoding", "PeerDist", "X-P2P-PeerDist", "Version=1.1",
                    "X-P2P-PeerDistEx", "MinContentInformation=2.0, MaxContentInformation=2.0"),
                "1.1")
            .version());
    // Min 1.0 Max 1.0 (TV-7a) -> V1 with Version=1.1.
    assertEquals(
        ContentVersion.V1,
        peerDist(
                get("/big.bin", "Accept-Encoding", "peerdist", "X-P2P-PeerDist", "Version=1.1",
                    "X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=1.0"),
                "1.1")
            .version());
    // Invalid range -> plain content.
    HttpResponse<byte[]> invalid =
        get("/big.bin", "Accept-Encoding", "peerdist", "X-P2P-PeerDist", "Version=1.1",
            "X-P2P-PeerDistEx", "MinContentInformation=2.0, MaxContentInformation=1.0");
    assertTrue(invalid.headers().firstValue("Content-Encoding").isEmpty());
    assertArrayEquals(big, invalid.body());
    // q=0 -> plain.
    assertArrayEquals(big, get("/big.bin", "Accept-Encoding", "peerdist;q=0").body());
    // Hashed once per version, whatever the number of requests.
    assertEquals(1, source.count(ContentVersion.V1));
    assertEquals(1, source.count(ContentVersion.V2));
  }

  @Test
  void multiSegmentV1AndARangeAcrossTheSegmentBoundary() throws Exception {
    int size = (32 << 20) + 100_000; // two V1 segments (PROTOCOL.md §2.1)
    byte[] huge = random(size, 5);
    Files.write(root.resolve("huge.bin"), huge);
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    start(config().secretKeyMaterial(secret).hashWait(Duration.ofSeconds(30)));
    HttpResponse<byte[]> r = get("/huge.bin", "Accept-Encoding", "peerdist", "X-P2P-PeerDist", "Version=1.0");
    assertEquals("Version=1.0, ContentLength=" + size, r.headers().firstValue("X-P2P-PeerDist").orElseThrow());
    ContentInformation ci = ContentInformationCodec.standard().decode(r.body());
    assertEquals(2, ci.segmentCount());
    assertEquals(512, ci.segment(0).blockCount());
    assertDescribes(ci, huge, secret);
    long from = (32 << 20) - 70_000;
    long to = (32 << 20) + 70_000;
    HttpResponse<byte[]> part =
        get("/huge.bin", "Accept-Encoding", "peerdist", "X-P2P-PeerDist", "Version=1.0",
            "Range", "bytes=" + from + "-" + (to - 1));
    assertEquals(206, part.statusCode());
    ContentInformation pc = ContentInformationCodec.standard().decode(part.body());
    assertEquals(2, pc.segmentCount());
    assertEquals(from, pc.contentRange().start());
    assertEquals(to, pc.contentRange().end());
    assertEquals(2, pc.segment(1).listedBlockHashCount(), "second segment trimmed after the range end");
    assertEquals(1, source.count(ContentVersion.V1), "the range was cut from the cached whole-file structure");
  }

  @Test
  void serverCappedAtV1AnswersTheV2OfferWithV1() throws Exception {
    start(config().maxContentVersion(ContentVersion.V1));
    assertEquals(ContentVersion.V1, peerDist(get("/big.bin", IPXE), "1.1").version());
  }

  @Test
  void missingDataRequestGetsPlainBytesEvenWithPeerDistOffered() throws Exception {
    start(config());
    HttpResponse<byte[]> r =
        get("/big.bin", "Accept-Encoding", "peerdist", "Range", "bytes=131072-196607",
            "X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true");
    assertEquals(206, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Encoding").isEmpty());
    assertArrayEquals(Arrays.copyOfRange(big, 131072, 196608), r.body());
    assertEquals(0, source.total(), "a MissingDataRequest starts no hashing");
  }

  @Test
  void rangeWithPeerDistDescribesTheIntersectingSegments() throws Exception {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    start(config().secretKeyMaterial(secret));
    HttpResponse<byte[]> r =
        get("/big.bin", with(new String[] {"Range", "bytes=70000-139999", "X-P2P-PeerDist", "Version=1.0"},
            "Accept-Encoding", "peerdist"));
    assertEquals(206, r.statusCode());
    assertEquals("peerdist", r.headers().firstValue("Content-Encoding").orElseThrow());
    assertEquals("bytes 70000-139999/" + BIG, r.headers().firstValue("Content-Range").orElseThrow());
    ContentInformation ci = ContentInformationCodec.standard().decode(r.body());
    assertEquals(ContentVersion.V1, ci.version());
    assertEquals(70000, ci.contentRange().start());
    assertEquals(140000, ci.contentRange().end());
    assertEquals(3, ci.segment(0).listedBlockHashCount(), "blocks 0..2 cover the range end");
    HttpResponse<byte[]> v2 = get("/big.bin", with(IPXE, "Range", "bytes=100000-199999"));
    ContentInformation c2 = ContentInformationCodec.standard().decode(v2.body());
    assertEquals(ContentVersion.V2, c2.version());
    assertEquals(100000, c2.contentRange().start());
    assertEquals(200000, c2.contentRange().end());
    assertTrue(c2.segment(0).offsetInContent() <= 100000);
  }

  @Test
  void smallFilesAndHeadAreServedPlainly() throws Exception {
    start(config());
    HttpResponse<byte[]> r = get("/small.txt", IPXE);
    assertTrue(r.headers().firstValue("Content-Encoding").isEmpty());
    assertArrayEquals(small, r.body());
    HttpResponse<byte[]> head =
        send(HttpRequest.newBuilder(url("/big.bin")).method("HEAD", HttpRequest.BodyPublishers.noBody()), IPXE);
    assertTrue(head.headers().firstValue("Content-Encoding").isEmpty());
    assertEquals(0, source.total());
  }

  @Test
  void hashesNotReadyYieldPlainContentWithMakeHashRequest() throws Exception {
    source.gate = new CountDownLatch(1);
    start(config().hashWait(Duration.ZERO));
    HttpResponse<byte[]> first = get("/big.bin", IPXE);
    assertEquals(200, first.statusCode());
    assertTrue(first.headers().firstValue("Content-Encoding").isEmpty());
    assertEquals("MakeHashRequest=true", first.headers().firstValue("X-P2P-PeerDistEx").orElseThrow());
    assertArrayEquals(big, first.body());
    source.gate.countDown();
    ContentInformation ci = null;
    for (int i = 0; i < 200 && ci == null; i++) {
      HttpResponse<byte[]> r = get("/big.bin", IPXE);
      if (r.headers().firstValue("Content-Encoding").isPresent()) {
        ci = peerDist(r, "1.1");
      } else {
        Thread.sleep(50);
      }
    }
    assertTrue(ci != null, "content information never became ready");
    assertEquals(1, source.count(ContentVersion.V2));
  }

  @Test
  void precomputeAllHashesEveryEligibleFileAhead() throws Exception {
    Files.write(root.resolve(".hidden.bin"), random(100_000, 9));
    start(config().hashWait(Duration.ZERO));
    int visited = server.precomputeAll().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(3, visited, "big.bin, small.txt, dir/sub/a b.bin; not .hidden.bin");
    // big.bin and "a b.bin" are eligible (>= 64 KiB): V1 and V2 each.
    assertEquals(2, source.count(ContentVersion.V1));
    assertEquals(2, source.count(ContentVersion.V2));
    // The very first request gets content information without waiting.
    assertEquals(ContentVersion.V2, peerDist(get("/big.bin", IPXE), "1.1").version());
    server.precompute("/big.bin").get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(2, source.count(ContentVersion.V2), "already cached: not hashed again");
  }

  @Test
  void hashRequestStartsHashing() throws Exception {
    source.gate = new CountDownLatch(0);
    start(config().hashWait(Duration.ZERO));
    HttpResponse<byte[]> r =
        send(
            HttpRequest.newBuilder(url("/big.bin")).method("HEAD", HttpRequest.BodyPublishers.noBody()),
            "X-P2P-PeerDist", "Version=1.1",
            "X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=2.0, HashRequest=true");
    assertEquals(200, r.statusCode());
    for (int i = 0; i < 200 && server.contentInformation().generatedCount() == 0; i++) {
      Thread.sleep(25);
    }
    assertEquals(1, source.count(ContentVersion.V2));
  }

  @Test
  void changedFileGetsNewEtagAndNewContentInformation() throws Exception {
    byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
    start(config().secretKeyMaterial(secret));
    HttpResponse<byte[]> a = get("/big.bin", IPXE);
    ContentInformation before = peerDist(a, "1.1");
    byte[] changed = big.clone();
    changed[150_000] ^= 1;
    Files.write(root.resolve("big.bin"), changed);
    Files.setLastModifiedTime(root.resolve("big.bin"), FileTime.from(Instant.now().plusSeconds(5)));
    HttpResponse<byte[]> b = get("/big.bin", IPXE);
    ContentInformation after = peerDist(b, "1.1");
    assertNotEquals(a.headers().firstValue("ETag").get(), b.headers().firstValue("ETag").get());
    assertFalse(Arrays.equals(a.body(), b.body()));
    assertDescribes(after, changed, secret);
    assertTrue(before.segmentCount() > 0);
    assertEquals(2, source.count(ContentVersion.V2));
    // The old entry is gone from the cache directory.
    try (var files = Files.walk(state.resolve("content-information"))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().endsWith(".ci")).count());
    }
  }

  @Test
  void restartKeepsSecretAndServesCachedContentInformation() throws Exception {
    start(config());
    HttpResponse<byte[]> a = get("/big.bin", IPXE);
    peerDist(a, "1.1");
    assertEquals(1, source.total());
    server.close();
    source = new CountingSource(new PccrcContentInformationSource());
    start(config());
    HttpResponse<byte[]> b = get("/big.bin", IPXE);
    assertArrayEquals(a.body(), peerDistBody(b));
    assertEquals(0, source.total(), "served from the persistent cache");
  }

  @Test
  void damagedCacheEntryIsMadeAgainNotServed() throws Exception {
    start(config());
    byte[] good = peerDistBody(get("/big.bin", IPXE));
    server.close();
    Path entry;
    try (var files = Files.walk(state.resolve("content-information"))) {
      entry = files.filter(p -> p.getFileName().toString().endsWith(".ci")).findFirst().orElseThrow();
    }
    Files.write(entry, Arrays.copyOf(good, good.length - 5));
    source = new CountingSource(new PccrcContentInformationSource());
    start(config());
    assertArrayEquals(good, peerDistBody(get("/big.bin", IPXE)));
    assertEquals(1, source.count(ContentVersion.V2), "hashed again");
  }

  byte[] peerDistBody(HttpResponse<byte[]> r) {
    peerDist(r, "1.1");
    return r.body();
  }

  @Test
  void tokenIsRequiredForContentInformationOnly() throws Exception {
    start(config().token("s3cret"));
    HttpResponse<byte[]> anonymous = get("/big.bin", IPXE);
    assertEquals(200, anonymous.statusCode());
    assertTrue(anonymous.headers().firstValue("Content-Encoding").isEmpty());
    assertArrayEquals(big, anonymous.body());
    HttpResponse<byte[]> wrong = get("/big.bin", with(IPXE, "Authorization", "Bearer nope"));
    assertTrue(wrong.headers().firstValue("Content-Encoding").isEmpty());
    peerDist(get("/big.bin", with(IPXE, "Authorization", "Bearer s3cret")), "1.1");
  }

  @Test
  void peerDistOverHttps() throws Exception {
    start(config().port(-1).tls(new PublisherConfig.TlsSettings(null, null, true)));
    assertTrue(server.httpUri().isEmpty());
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(server.httpsUri().orElseThrow().resolve("/big.bin")), IPXE);
    assertEquals(ContentVersion.V2, peerDist(r, "1.1").version());
    assertNull(r.headers().firstValue("Content-Range").orElse(null));
  }
}
