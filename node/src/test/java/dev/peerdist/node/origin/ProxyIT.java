package dev.peerdist.node.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node reaching its publisher through a real HTTP proxy (Debian's {@code tinyproxy}, started on
 * loopback by the test; {@code .ci/run} installs it): absolute-form requests with Basic proxy
 * authentication for http, a CONNECT tunnel for https, and a proxy that strips the PeerDist headers
 * (tinyproxy's {@code Anonymous} mode passes only the listed headers), through which the node
 * degrades to a plain download recorded as {@code not_peerdist}.
 */
@Timeout(120)
class ProxyIT {
  static final int SIZE = 1024 * 1024 + 777;

  @TempDir Path dir;
  byte[] content;
  PublishingServer publisher;
  final List<Process> proxies = new ArrayList<>();
  final List<Node> nodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tinyproxy")),
        "needs Debian's tinyproxy (.ci/run installs it)");
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(11).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    byte[] secret = new byte[32];
    new Random(12).nextBytes(secret);
    publisher = PublishingServer.start(PublisherConfig.builder().root(root).stateDir(dir.resolve("publisher"))
        .bind(InetAddress.getLoopbackAddress()).port(0).tlsPort(0)
        .tls(new PublisherConfig.TlsSettings(null, null, true))
        .secretKeyMaterial(secret).hashWait(Duration.ofSeconds(30)).build());
  }

  @AfterEach
  void stop() throws Exception {
    for (Node n : nodes) {
      n.close();
    }
    for (Process p : proxies) {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    if (publisher != null) {
      publisher.close();
    }
  }

  /** Starts tinyproxy on a free loopback port with {@code extra} config lines; returns its port. */
  int tinyproxy(String name, String... extra) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path conf = dir.resolve(name + ".conf");
    Path log = dir.resolve(name + ".log");
    List<String> lines = new ArrayList<>(List.of("Port " + port, "Listen 127.0.0.1", "Timeout 30", "MaxClients 20",
        "Allow 127.0.0.1", "LogLevel Connect", "DisableViaHeader Yes"));
    lines.addAll(List.of(extra));
    Files.write(conf, lines, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("/usr/bin/tinyproxy", "-d", "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    proxies.add(p);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return port;
      } catch (IOException e) {
        assertTrue(p.isAlive(), () -> "tinyproxy exited: " + read(log));
        Thread.sleep(50);
      }
    }
    throw new AssertionError("tinyproxy did not listen: " + read(log));
  }

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return e.toString();
    }
  }

  Node node(String name, URI publisherUri, String proxy) throws IOException {
    NodeConfig c = NodeConfig.builder()
        .set(ConfigKey.STORE, dir.resolve(name).toString())
        .set(ConfigKey.PUBLISHER, publisherUri.toString())
        .set(ConfigKey.BIND, "127.0.0.1").set(ConfigKey.PCCRR_PORT, "0").set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0").set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(20000 + ThreadLocalRandom.current().nextInt(30000)))
        .set(ConfigKey.DNSSD, "false").set(ConfigKey.CACHE_SIZE, "256MiB").set(ConfigKey.TLS_INSECURE, "true")
        .set(ConfigKey.PROXY, proxy)
        .build();
    Node n = Node.start(c, NodeDirectories::multicast, Clock.systemUTC());
    nodes.add(n);
    return n;
  }

  DownloadRecord fetch(Node n, URI url) throws IOException {
    try (Download d = n.engine().open(url)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b;
      while ((b = d.next()) != null) {
        out.write(b);
      }
      assertArrayEquals(content, out.toByteArray());
      return d.record();
    }
  }

  @Test
  void httpThroughAProxyWithBasicAuthentication() throws Exception {
    int port = tinyproxy("auth", "BasicAuth peer dist-secret");
    URI base = publisher.httpUri().orElseThrow();
    Node n = node("n", base, "http://peer:dist-secret@127.0.0.1:" + port);
    DownloadRecord r = fetch(n, base.resolve("pkg.bin"));
    assertTrue(r.peerdist(), "content information came through the proxy");
    assertEquals(SIZE, r.bytes(ByteSource.ORIGIN));
    String log = read(dir.resolve("auth.log"));
    assertTrue(log.contains("GET " + base.resolve("pkg.bin")), "the proxy carried the requests: " + log);

    // Wrong password: the proxy refuses (407) and the download fails instead of going direct.
    Node wrong = node("wrong", base, "http://peer:nope@127.0.0.1:" + port);
    assertThrows(IOException.class, () -> fetch(wrong, base.resolve("pkg.bin")));
  }

  @Test
  void httpsThroughAConnectTunnel() throws Exception {
    int port = tinyproxy("tunnel");
    URI base = publisher.httpsUri().orElseThrow();
    Node n = node("n", base, "http://127.0.0.1:" + port);
    DownloadRecord r = fetch(n, base.resolve("pkg.bin"));
    assertTrue(r.peerdist());
    assertEquals(SIZE, r.bytes(ByteSource.ORIGIN));
    String log = read(dir.resolve("tunnel.log"));
    assertTrue(log.contains("CONNECT 127.0.0.1:" + base.getPort()), "tunnelled: " + log);
  }

  @Test
  void aProxyStrippingThePeerDistHeadersGivesAPlainDownloadWithTheReason() throws Exception {
    // Anonymous mode: only these request headers pass; Accept-Encoding and X-P2P-PeerDist are dropped.
    int port = tinyproxy("strip", "Anonymous \"Host\"", "Anonymous \"Range\"", "Anonymous \"If-Range\"",
        "Anonymous \"User-Agent\"");
    URI base = publisher.httpUri().orElseThrow();
    Node n = node("n", base, "http://127.0.0.1:" + port);
    DownloadRecord r = fetch(n, base.resolve("pkg.bin"));
    assertFalse(r.peerdist(), "no content information through this proxy");
    assertEquals(SIZE, r.originBytes(FallbackReason.NOT_PEERDIST));
    assertTrue(read(dir.resolve("strip.log")).contains("GET " + base.resolve("pkg.bin")));
  }

  @Test
  void noProxyAndNoneGoDirect() {
    ProxySettings s = ProxySettings.resolve("", Map.of("HTTPS_PROXY", "http://u:p@proxy.example:3128",
        "HTTP_PROXY", "proxy.example:8080", "NO_PROXY", "localhost,.corp.example,10.1.2.3"));
    assertEquals(java.net.Proxy.Type.HTTP, s.proxyFor(URI.create("https://cdn.example/x")).type());
    assertEquals(8080, ((java.net.InetSocketAddress) s.proxyFor(URI.create("http://cdn.example/x")).address()).getPort());
    assertEquals(java.net.Proxy.NO_PROXY, s.proxyFor(URI.create("https://pkg.corp.example/x")));
    assertEquals(java.net.Proxy.NO_PROXY, s.proxyFor(URI.create("http://10.1.2.3/x")));
    assertEquals(java.net.Proxy.NO_PROXY, s.proxyFor(URI.create("http://localhost:80/x")));
    assertEquals("u", s.user());
    assertTrue(ProxySettings.resolve("none", Map.of("HTTP_PROXY", "proxy.example:8080")).none());
    assertTrue(ProxySettings.problem("ftp://proxy:21") != null);
    assertTrue(ProxySettings.problem("http://proxy:3128/path") != null);
    assertEquals("http://u:***@h:1", ProxySettings.hideCredentials("http://u:secret@h:1"));
  }
}
