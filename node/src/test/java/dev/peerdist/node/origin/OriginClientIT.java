package dev.peerdist.node.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentDescription;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link OriginClient} against a real {@link PublishingServer} and a tiny JDK HTTP server. */
@Timeout(60)
class OriginClientIT {
  @TempDir Path tmp;
  byte[] content;
  PublishingServer server;
  HttpServer recorder;
  final List<String> recorded = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(tmp.resolve("root"));
    content = new byte[200_000];
    new Random(7).nextBytes(content);
    Files.write(tmp.resolve("root/pkg.bin"), content);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    if (recorder != null) {
      recorder.stop(0);
    }
  }

  PublisherConfig.Builder config() {
    return PublisherConfig.builder().root(tmp.resolve("root")).stateDir(tmp.resolve("state")).port(0).tlsPort(0);
  }

  URI start(PublisherConfig.Builder b) throws IOException {
    server = PublishingServer.start(b.build());
    return server.httpUri().orElseThrow().resolve("/pkg.bin");
  }

  @Test
  void fetchesDecodedContentInformationAndRanges() throws Exception {
    URI uri = start(config());
    try (OriginClient c = new OriginClient(OriginClientConfig.defaults())) {
      ContentInformationResponse r = c.fetchContentInformation(uri);
      ContentInformationResponse.Encoded pd = assertInstanceOf(ContentInformationResponse.Encoded.class, r);
      assertEquals(ContentVersion.V2, pd.info().version());
      assertEquals(content.length, pd.contentLength());
      assertEquals("1.1", pd.peerDistVersion());
      assertTrue(pd.etag().isPresent());
      assertEquals(content.length, pd.info().contentRange().end());
      // Fetch every segment by MissingDataRequest and check it against its HoD.
      for (SegmentDescription s : pd.info().segments()) {
        byte[] b = c.fetchRange(uri, s.offsetInContent(), s.range().end(), pd.etag().get());
        assertTrue(s.verifyBlock(0, b, 0, b.length), "segment at " + s.offsetInContent());
      }
      ContentInformationResponse.Encoded v1 =
          assertInstanceOf(ContentInformationResponse.Encoded.class, c.fetchContentInformation(uri, false));
      assertEquals(ContentVersion.V1, v1.info().version());
      byte[] last = c.fetchRange(uri, 196_608, 262_144);
      assertArrayEquals(Arrays.copyOfRange(content, 196_608, content.length), last, "short last block");
      assertTrue(v1.info().segment(0).verifyBlock(3, last, 0, last.length));
    }
  }

  @Test
  void plainAnswersAreStreamedAndMakeHashRequestIsReported() throws Exception {
    URI uri = start(config().hashWait(Duration.ZERO));
    try (OriginClient c = new OriginClient(OriginClientConfig.defaults())) {
      try (ContentInformationResponse r = c.fetchContentInformation(uri)) {
        ContentInformationResponse.Plain p = assertInstanceOf(ContentInformationResponse.Plain.class, r);
        assertTrue(p.makeHashRequest());
        assertArrayEquals(content, p.body().readAllBytes());
      }
      URI small = server.httpUri().orElseThrow().resolve("/small.txt");
      Files.writeString(tmp.resolve("root/small.txt"), "tiny");
      try (ContentInformationResponse r = c.fetchContentInformation(small)) {
        ContentInformationResponse.Plain p = assertInstanceOf(ContentInformationResponse.Plain.class, r);
        assertFalse(p.makeHashRequest());
        assertEquals("tiny", new String(p.body().readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void errorsNameStatusAndUrl() throws Exception {
    URI uri = start(config());
    try (OriginClient c = new OriginClient(OriginClientConfig.defaults())) {
      URI missing = uri.resolve("/missing.bin");
      OriginException e = assertThrows(OriginException.class, () -> c.fetchContentInformation(missing));
      assertEquals(404, e.statusCode());
      assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains(missing.toString()), e.getMessage());
      OriginException r = assertThrows(OriginException.class, () -> c.fetchRange(uri, 300_000, 300_100));
      assertEquals(416, r.statusCode());
      OriginException changed = assertThrows(OriginException.class, () -> c.fetchRange(uri, 0, 10, "\"stale\""));
      assertTrue(changed.getMessage().contains("content changed"), changed.getMessage());
      assertThrows(IllegalArgumentException.class, () -> c.fetchRange(uri, 0, (32 << 20) + 1));
      assertThrows(IllegalArgumentException.class, () -> c.fetchRange(uri, 10, 10));
    }
  }

  @Test
  void bearerTokenAndTlsTrustOptions() throws Exception {
    server = PublishingServer.start(config().token("tok").port(-1).tls(new PublisherConfig.TlsSettings(null, null, true)).build());
    URI https = server.httpsUri().orElseThrow().resolve("/pkg.bin");
    try (OriginClient anonymous = new OriginClient(OriginClientConfig.defaults().withTrustAll(true))) {
      assertInstanceOf(ContentInformationResponse.Plain.class, anonymous.fetchContentInformation(https)).close();
    }
    try (OriginClient c = new OriginClient(OriginClientConfig.defaults().withTrustAll(true).withBearerToken("tok"))) {
      assertInstanceOf(ContentInformationResponse.Encoded.class, c.fetchContentInformation(https));
    }
    Path crt = server.state().directory().resolve("tls/self-signed.crt");
    try (OriginClient pinned =
        new OriginClient(OriginClientConfig.defaults().withTrustedCertificate(crt).withBearerToken("tok"))) {
      assertInstanceOf(ContentInformationResponse.Encoded.class, pinned.fetchContentInformation(https));
    }
    try (OriginClient strict = new OriginClient(OriginClientConfig.defaults())) {
      assertThrows(IOException.class, () -> strict.fetchContentInformation(https));
    }
  }

  @Test
  void sendsExactlyTheTv7bHeaders() throws Exception {
    recorder = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    recorder.createContext(
        "/",
        ex -> {
          synchronized (recorded) {
            recorded.add(
                "AE=" + ex.getRequestHeaders().getFirst("Accept-Encoding")
                    + "|PD=" + ex.getRequestHeaders().getFirst("X-P2P-PeerDist")
                    + "|EX=" + ex.getRequestHeaders().getFirst("X-P2P-PeerDistEx")
                    + "|R=" + ex.getRequestHeaders().getFirst("Range"));
          }
          byte[] body = "0123456789".getBytes(StandardCharsets.US_ASCII);
          String range = ex.getRequestHeaders().getFirst("Range");
          if (range != null) {
            ex.getResponseHeaders().set("Content-Range", "bytes 2-5/10");
            ex.sendResponseHeaders(206, 4);
            try (OutputStream o = ex.getResponseBody()) {
              o.write(body, 2, 4);
            }
          } else {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
              o.write(body);
            }
          }
        });
    recorder.start();
    URI uri = URI.create("http://127.0.0.1:" + recorder.getAddress().getPort() + "/f");
    try (OriginClient c = new OriginClient(OriginClientConfig.defaults())) {
      c.fetchContentInformation(uri).close();
      assertArrayEquals("2345".getBytes(StandardCharsets.US_ASCII), c.fetchRange(uri, 2, 6));
    }
    assertEquals(
        List.of(
            "AE=peerdist|PD=Version=1.1|EX=MinContentInformation=1.0, MaxContentInformation=2.0|R=null",
            "AE=null|PD=Version=1.1, MissingDataRequest=true|EX=null|R=bytes=2-5"),
        recorded);
  }
}
