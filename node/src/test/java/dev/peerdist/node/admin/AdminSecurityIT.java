package dev.peerdist.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, SEVERE 1, with a real node and real HTTP requests written byte by byte: the admin
 * port refuses foreign Host headers (DNS rebinding) and cross-site Origins (CSRF), {@code
 * /download} fetches only what configuration allows, and the bearer token reaches the configured
 * publisher and nothing else.
 */
@Timeout(60)
class AdminSecurityIT {
  static final String TOKEN = "s3cret-token-XYZ";
  @TempDir Path dir;
  HttpServer publisher;
  HttpServer allowed;
  HttpServer foreign;
  final List<String> publisherAuth = new CopyOnWriteArrayList<>();
  final List<String> allowedAuth = new CopyOnWriteArrayList<>();
  final List<String> foreignRequests = new CopyOnWriteArrayList<>();
  Node node;

  /** A plain origin (no PeerDist) that records the Authorization header of every request. */
  static HttpServer origin(List<String> auth) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    s.createContext("/", ex -> {
      auth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      byte[] body = "hello from the origin\n".getBytes(StandardCharsets.US_ASCII);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    });
    s.start();
    return s;
  }

  static String base(HttpServer s) {
    return "http://127.0.0.1:" + s.getAddress().getPort() + "/";
  }

  @BeforeEach
  void start() throws Exception {
    publisher = origin(publisherAuth);
    allowed = origin(allowedAuth);
    foreign = origin(foreignRequests);
    NodeConfig c = NodeConfig.builder()
        .set(ConfigKey.STORE, dir.resolve("store").toString())
        .set(ConfigKey.PUBLISHER, base(publisher) + "pub/")
        .set(ConfigKey.TOKEN, TOKEN)
        .set(ConfigKey.DOWNLOAD_ALLOW, base(allowed) + "files/")
        .set(ConfigKey.BIND, "127.0.0.1")
        .set(ConfigKey.PCCRR_PORT, "0")
        .set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0")
        .set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(20000 + ThreadLocalRandom.current().nextInt(30000)))
        .set(ConfigKey.DNSSD, "false")
        .set(ConfigKey.DISCOVERY_WAIT, "50ms")
        .build();
    node = Node.start(c, NodeDirectories::multicast, Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    publisher.stop(0);
    allowed.stop(0);
    foreign.stop(0);
  }

  /** One HTTP/1.1 request with exactly the given header lines; returns the status line and body. */
  String raw(int port, String target, String... headers) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(20_000);
      StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\n");
      for (String h : headers) {
        req.append(h).append("\r\n");
      }
      req.append("Connection: close\r\n\r\n");
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      int blank = all.indexOf("\r\n\r\n");
      return all.substring(0, all.indexOf("\r\n")) + " | " + (blank < 0 ? "" : all.substring(blank + 4));
    }
  }

  String download(String url, String... headers) throws IOException {
    return raw(node.adminPort(), "/download?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8), headers);
  }

  @Test
  void foreignHostIsRefused() throws IOException {
    int port = node.adminPort();
    String ok = raw(port, "/status", "Host: 127.0.0.1:" + port);
    assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
    assertTrue(raw(port, "/status", "Host: localhost:" + port).startsWith("HTTP/1.1 200"));
    String rebound = raw(port, "/status", "Host: attacker.example:" + port);
    assertTrue(rebound.startsWith("HTTP/1.1 403"), rebound);
    assertTrue(rebound.contains("not this node"), rebound);
    String dl = download(base(publisher) + "pub/a.bin", "Host: evil.example");
    assertTrue(dl.startsWith("HTTP/1.1 403"), dl);
    assertTrue(publisherAuth.isEmpty(), "a refused request fetches nothing");
    String mirror = raw(node.mirrorPort(), "/pub/a.bin", "Host: evil.example:" + node.mirrorPort());
    assertTrue(mirror.startsWith("HTTP/1.1 403"), mirror);
  }

  @Test
  void crossSiteOriginIsRefused() throws IOException {
    int port = node.adminPort();
    String host = "Host: 127.0.0.1:" + port;
    String csrf = download(base(publisher) + "pub/a.bin", host, "Origin: https://evil.example");
    assertTrue(csrf.startsWith("HTTP/1.1 403"), csrf);
    assertTrue(download(base(publisher) + "pub/a.bin", host, "Origin: null").startsWith("HTTP/1.1 403"));
    assertTrue(download(base(publisher) + "pub/a.bin", host, "Sec-Fetch-Site: cross-site")
        .startsWith("HTTP/1.1 403"));
    assertTrue(publisherAuth.isEmpty(), "no cross-site request reached the publisher");
    String same = raw(port, "/healthz", host, "Origin: http://127.0.0.1:" + port, "Sec-Fetch-Site: same-origin");
    assertTrue(same.startsWith("HTTP/1.1 200"), same);
  }

  @Test
  void downloadFetchesOnlyConfiguredUrlsAndTheTokenGoesToThePublisherOnly() throws IOException {
    String host = "Host: 127.0.0.1:" + node.adminPort();
    String refused = download(base(foreign) + "pub/a.bin", host);
    assertTrue(refused.startsWith("HTTP/1.1 403"), refused);
    assertTrue(refused.contains("not under a configured publisher"), refused);
    assertTrue(foreignRequests.isEmpty(), "the foreign host was never contacted");
    // Tricks that only look like the publisher.
    for (String trick : List.of(base(publisher) + "pub/../secret", base(publisher) + "public/x",
        "http://x@127.0.0.1:" + foreign.getAddress().getPort() + "/pub/a", base(publisher) + "pub/%2e%2e/x")) {
      assertTrue(download(trick, host).startsWith("HTTP/1.1 403"), trick);
    }

    String fromPublisher = download(base(publisher) + "pub/a.bin", host);
    assertTrue(fromPublisher.startsWith("HTTP/1.1 200") && fromPublisher.endsWith("hello from the origin\n"),
        fromPublisher);
    // Every request to the publisher (the node first asks for one byte of content information,
    // then for the content) carries the token.
    assertTrue(!publisherAuth.isEmpty() && publisherAuth.stream().allMatch(("Bearer " + TOKEN)::equals),
        "the publisher gets the token: " + publisherAuth);

    String fromAllowed = download(base(allowed) + "files/b.bin", host);
    assertTrue(fromAllowed.startsWith("HTTP/1.1 200"), fromAllowed);
    assertTrue(!allowedAuth.isEmpty() && allowedAuth.stream().allMatch("null"::equals),
        "an allowed non-publisher URL is fetched without the token: " + allowedAuth);
    assertTrue(download(base(allowed) + "other/b.bin", host).startsWith("HTTP/1.1 403"));
    assertTrue(foreignRequests.isEmpty());
  }
}
