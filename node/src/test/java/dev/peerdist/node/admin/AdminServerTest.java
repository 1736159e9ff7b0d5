package dev.peerdist.node.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.engine.Downloads;
import dev.peerdist.node.metrics.NodeMeters;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin endpoint and the mirror over real loopback sockets, with a scripted download source. */
class AdminServerTest {
  private static final byte[] CONTENT = new byte[300_000];

  static {
    new Random(7).nextBytes(CONTENT);
  }

  /** Serves CONTENT for any URL whose path ends in /ok, fails others after 100 KB. */
  static final class ScriptedDownloads implements Downloads {
    final List<DownloadRecord> records = new CopyOnWriteArrayList<>();
    final List<URI> asked = new CopyOnWriteArrayList<>();

    @Override
    public Download open(URI url) throws IOException {
      asked.add(url);
      if (url.getPath().endsWith("/missing")) {
        throw new IOException("publisher answered 404 for " + url);
      }
      DownloadRecord r = new DownloadRecord("d" + records.size(), url, Clock.systemUTC());
      records.add(r);
      boolean fail = !url.getPath().endsWith("/ok");
      return new Download() {
        int pos;

        @Override
        public DownloadRecord record() {
          return r;
        }

        @Override
        public long contentLength() {
          return CONTENT.length;
        }

        @Override
        public byte[] next() throws IOException {
          if (fail && pos >= 100_000) {
            throw new IOException("peer and origin both failed");
          }
          if (pos >= CONTENT.length) {
            return null;
          }
          int n = Math.min(65536, CONTENT.length - pos);
          byte[] b = java.util.Arrays.copyOfRange(CONTENT, pos, pos + n);
          pos += n;
          return b;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public List<DownloadRecord> recent() {
      return new ArrayList<>(records);
    }

    @Override
    public Optional<DownloadRecord> find(String id) {
      return records.stream().filter(r -> r.id().equals(id)).findFirst();
    }
  }

  EventLoopGroup group;
  NodeMeters meters;
  AdminServer server;
  ScriptedDownloads downloads;
  volatile boolean ready;
  volatile String storeHealth = "ok";
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    meters = NodeMeters.prometheus();
    downloads = new ScriptedDownloads();
    NodeStatus status = new NodeStatus() {
      @Override
      public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "client");
        m.put("ready", ready);
        m.put("downloads", downloads.recent().stream().map(DownloadRecord::toMap).toList());
        return m;
      }

      @Override
      public boolean ready() {
        return ready;
      }

      @Override
      public String storeHealth() {
        return storeHealth;
      }
    };
    server = AdminServer.start(group, InetAddress.getLoopbackAddress(), 0, 0, meters, status, downloads,
        new MirrorMap(List.of(URI.create("http://publisher.invalid:8080/pub/"),
            URI.create("http://other.invalid/"))),
        new DownloadScope(List.of(URI.create("http://publisher.invalid/"), URI.create("http://p.invalid/")), List.of()),
        2);
  }

  @AfterEach
  void stop() {
    server.close();
    server.close();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    meters.close();
  }

  private HttpResponse<byte[]> get(int port, String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void healthReadinessMetricsStatus() throws Exception {
    int port = server.adminPort();
    assertEquals(200, get(port, "/healthz").statusCode());
    assertEquals(503, get(port, "/readyz").statusCode());
    ready = true;
    assertEquals(200, get(port, "/readyz").statusCode());
    HttpResponse<byte[]> m = get(port, "/metrics");
    assertEquals(200, m.statusCode());
    assertTrue(text(m).contains("peerdist_download_bytes_total{source=\"peer\"}"), text(m));
    HttpResponse<byte[]> s = get(port, "/status");
    assertEquals("application/json", s.headers().firstValue("content-type").orElse(""));
    assertTrue(text(s).startsWith("{\"role\":\"client\",\"ready\":true"), text(s));
    assertTrue(text(get(port, "/status?format=text")).startsWith("peerdist node  role client"));
    assertEquals(404, get(port, "/nope").statusCode());
    HttpResponse<byte[]> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(405, post.statusCode());
  }

  /** Issue 11: /healthz and /readyz tell the truth about the store. */
  @Test
  void healthAndReadinessSayWhatTheStoreSays() throws Exception {
    int port = server.adminPort();
    ready = true;
    storeHealth = "degraded: 1 damaged file quarantined in /s/quarantine, 3 blocks lost";
    HttpResponse<byte[]> h = get(port, "/healthz");
    assertEquals(200, h.statusCode(), "a degraded store still serves");
    assertTrue(text(h).contains("store degraded: 1 damaged file quarantined"), text(h));
    assertTrue(text(get(port, "/readyz")).contains("store degraded"), "readiness names it too");
    storeHealth = "failed: repair after damage failed: disk gone";
    HttpResponse<byte[]> f = get(port, "/healthz");
    assertEquals(503, f.statusCode());
    assertTrue(text(f).startsWith("unhealthy; store failed: repair after damage failed"), text(f));
  }

  @Test
  void downloadStreamsBytesInOrderAndRecordIsQueryable() throws Exception {
    String url = URLEncoder.encode("http://publisher.invalid/a/ok", StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = get(server.adminPort(), "/download?url=" + url);
    assertEquals(200, r.statusCode());
    assertArrayEquals(CONTENT, r.body());
    String id = r.headers().firstValue("X-Peerdist-Download").orElseThrow();
    HttpResponse<byte[]> rec = get(server.adminPort(), "/downloads/" + id);
    assertTrue(text(rec).contains("\"url\":\"http://publisher.invalid/a/ok\""), text(rec));
  }

  @Test
  void keepAliveRequestRightAfterADownloadIsAnswered() throws Exception {
    // Regression: the next request on the same connection used to race the download's final
    // LastHttpContent and hang.
    String url = URLEncoder.encode("http://publisher.invalid/a/ok", StandardCharsets.UTF_8);
    for (int i = 0; i < 30; i++) {
      HttpResponse<byte[]> r = get(server.adminPort(), "/download?url=" + url);
      assertArrayEquals(CONTENT, r.body());
      String id = r.headers().firstValue("X-Peerdist-Download").orElseThrow();
      assertEquals(200, get(server.adminPort(), "/downloads/" + id).statusCode());
    }
  }

  @Test
  void badDownloadRequests() throws Exception {
    assertEquals(400, get(server.adminPort(), "/download").statusCode());
    assertEquals(400, get(server.adminPort(), "/download?url=ftp://x/y").statusCode());
    assertTrue(meters.scrape().contains("peerdist_malformed_inputs_total{source=\"admin\"} 2.0"));
    HttpResponse<byte[]> missing = get(server.adminPort(),
        "/download?url=" + URLEncoder.encode("http://p.invalid/missing", StandardCharsets.UTF_8));
    assertEquals(502, missing.statusCode());
    assertTrue(text(missing).contains("404"), text(missing));
  }

  @Test
  void failureMidStreamIsNeverAShortSuccess() {
    String url = URLEncoder.encode("http://publisher.invalid/a/broken", StandardCharsets.UTF_8);
    // The connection closes before Content-Length bytes arrived: the client must see an error.
    org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
        () -> get(server.adminPort(), "/download?url=" + url));
  }

  @Test
  void mirrorMapsPathsToPublishers() throws Exception {
    HttpResponse<byte[]> r = get(server.mirrorPort(), "/pub/dists/x/ok");
    assertEquals(200, r.statusCode());
    assertArrayEquals(CONTENT, r.body());
    assertEquals(URI.create("http://publisher.invalid:8080/pub/dists/x/ok"), downloads.asked.get(0));
    get(server.mirrorPort(), "/else/ok?v=1");
    assertEquals(URI.create("http://other.invalid/else/ok?v=1"), downloads.asked.get(1));
    assertEquals(404, new MirrorMap(List.of(URI.create("http://p.invalid/pub/")))
        .resolve("/other").map(u -> 200).orElse(404));
    assertTrue(new MirrorMap(List.of(URI.create("http://p.invalid/"))).resolve("/a/../../etc").isEmpty());
  }
}
