package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Upstream mode: fronting a tiny JDK HTTP server and a second publishing server, on 127.0.0.1. */
@Timeout(60)
class UpstreamMirrorIT {
  static final byte[] SECRET = "upstream test".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;
  HttpServer origin;
  volatile byte[] originBody = PublishingServerIT.random(150_000, 11);
  volatile String originEtag = "\"v1\"";
  final AtomicInteger fullGets = new AtomicInteger();
  final AtomicInteger notModified = new AtomicInteger();
  PublishingServer front;
  PublishingServer back;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void startOrigin() throws IOException {
    origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    origin.createContext(
        "/pkgs/",
        ex -> {
          try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/pkgs/fail.bin")) {
              ex.sendResponseHeaders(500, -1);
              return;
            }
            if (!path.equals("/pkgs/file.bin")) {
              ex.sendResponseHeaders(404, -1);
              return;
            }
            if (originEtag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
              notModified.incrementAndGet();
              ex.getResponseHeaders().set("ETag", originEtag);
              ex.sendResponseHeaders(304, -1);
              return;
            }
            fullGets.incrementAndGet();
            byte[] body = originBody;
            ex.getResponseHeaders().set("ETag", originEtag);
            ex.getResponseHeaders().set("Last-Modified", "Fri, 01 Aug 2008 01:02:03 GMT");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
              o.write(body);
            }
          }
        });
    origin.start();
  }

  @AfterEach
  void stop() {
    if (front != null) {
      front.close();
    }
    if (back != null) {
      back.close();
    }
    origin.stop(0);
  }

  URI originUrl() {
    return URI.create("http://127.0.0.1:" + origin.getAddress().getPort() + "/pkgs");
  }

  PublishingServer startFront(URI upstream, Duration revalidate) throws IOException {
    front =
        PublishingServer.start(
            PublisherConfig.builder()
                .upstream(upstream)
                .stateDir(tmp.resolve("front-state"))
                .port(0)
                .secretKeyMaterial(SECRET)
                .upstreamRevalidate(revalidate)
                .build());
    return front;
  }

  HttpResponse<byte[]> get(URI base, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void frontsAPlainOriginAddingPeerDist() throws Exception {
    URI base = startFront(originUrl(), Duration.ofMinutes(5)).httpUri().orElseThrow();
    HttpResponse<byte[]> plain = get(base, "/file.bin");
    assertEquals(200, plain.statusCode());
    assertArrayEquals(originBody, plain.body());
    assertEquals("Fri, 01 Aug 2008 01:02:03 GMT", plain.headers().firstValue("Last-Modified").orElseThrow());
    HttpResponse<byte[]> range = get(base, "/file.bin", "Range", "bytes=100-199");
    assertArrayEquals(Arrays.copyOfRange(originBody, 100, 200), range.body());
    HttpResponse<byte[]> pd = get(base, "/file.bin", PublishingServerIT.IPXE);
    assertEquals("peerdist", pd.headers().firstValue("Content-Encoding").orElseThrow());
    ContentInformation ci = ContentInformationCodec.standard().decode(pd.body());
    assertEquals(ContentVersion.V2, ci.version());
    PublishingServerIT.assertDescribes(ci, originBody, SECRET);
    assertEquals(1, fullGets.get(), "the upstream object is fetched once");
    assertEquals(404, get(base, "/missing.bin").statusCode());
    assertEquals(502, get(base, "/fail.bin").statusCode());
  }

  @Test
  void revalidatesAndPicksUpUpstreamChanges() throws Exception {
    URI base = startFront(originUrl(), Duration.ZERO).httpUri().orElseThrow();
    HttpResponse<byte[]> a = get(base, "/file.bin", PublishingServerIT.IPXE);
    HttpResponse<byte[]> b = get(base, "/file.bin", PublishingServerIT.IPXE);
    assertArrayEquals(a.body(), b.body());
    assertEquals(1, fullGets.get());
    assertTrue(notModified.get() >= 1, "a conditional GET answered 304");
    byte[] next = originBody.clone();
    next[42] ^= 1;
    originBody = next;
    originEtag = "\"v2\"";
    HttpResponse<byte[]> c = get(base, "/file.bin", PublishingServerIT.IPXE);
    assertEquals(2, fullGets.get());
    assertNotEquals(a.headers().firstValue("ETag").get(), c.headers().firstValue("ETag").get());
    PublishingServerIT.assertDescribes(ContentInformationCodec.standard().decode(c.body()), next, SECRET);
  }

  @Test
  void frontsASecondPublishingServer() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("back-root"));
    byte[] content = PublishingServerIT.random(120_000, 12);
    Files.write(root.resolve("x.bin"), content);
    back =
        PublishingServer.start(
            PublisherConfig.builder().root(root).stateDir(tmp.resolve("back-state")).port(0).build());
    URI base = startFront(back.httpUri().orElseThrow().resolve("/"), Duration.ofMinutes(5)).httpUri().orElseThrow();
    HttpResponse<byte[]> pd = get(base, "/x.bin", PublishingServerIT.IPXE);
    assertEquals("peerdist", pd.headers().firstValue("Content-Encoding").orElseThrow());
    PublishingServerIT.assertDescribes(ContentInformationCodec.standard().decode(pd.body()), content, SECRET);
    assertArrayEquals(content, get(base, "/x.bin").body());
    assertEquals(0, back.contentInformation().generatedCount(), "the front asked the back for plain bytes only");
  }
}
