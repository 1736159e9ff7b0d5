package dev.peerdist.node.admin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real headless Chromium (Debian's {@code /usr/bin/chromium}) against real
 * nodes that did real downloads over real sockets: node a fetched a package from the publisher,
 * node b then from a. Chromium runs the page's script (polling {@code /status} several times in
 * virtual time) and dumps the rendered DOM; what it shows is compared with b's {@code /status},
 * and the browser's console must report no error.
 */
@Timeout(180)
class StatusPageIT {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final int SIZE = 2 * 1024 * 1024 + 777;

  @TempDir Path dir;
  LocalSwarm swarm;
  byte[] content;

  @BeforeEach
  void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
        "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)");
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(7).nextBytes(content);
    Files.write(root.resolve("app.msi"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, 20000 + ThreadLocalRandom.current().nextInt(40000));
  }

  @AfterEach
  void stop() {
    if (swarm != null) {
      swarm.close();
    }
  }

  private static byte[] download(HttpClient http, Node n, URI url) throws Exception {
    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(n.adminUri().resolve("download?url="
        + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  /** Runs Chromium on {@code page}; returns the dumped DOM and Chromium's log (stderr). */
  private String[] chromium(URI page) throws Exception {
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    // Flags that work on this kind of machine (no sandbox as root, no network beyond loopback).
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile,
        "--enable-logging=stderr", "--v=0",
        // 7 s of virtual time: the page polls /status several times (rates need two samples).
        "--virtual-time-budget=7000", "--dump-dom", page.toString()));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 120 s");
    }
    return new String[] {new String(out.get(), StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8)};
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (java.io.IOException e) {
      return new byte[0];
    }
  }

  private static String attr(String html, String elementPattern, String attribute) {
    Matcher m = Pattern.compile("<[^>]*" + elementPattern + "[^>]*>").matcher(html);
    assertTrue(m.find(), "no element matching " + elementPattern);
    Matcher a = Pattern.compile(attribute + "=\"([^\"]*)\"").matcher(m.group());
    assertTrue(a.find(), "no " + attribute + " on " + m.group());
    return a.group(1);
  }

  private static String row(String html, String downloadId) {
    Matcher m = Pattern.compile("<tr data-download=\"" + Pattern.quote(downloadId) + "\">(.*?)</tr>",
        Pattern.DOTALL).matcher(html);
    assertTrue(m.find(), "no row for download " + downloadId + " in\n" + html);
    return m.group(1);
  }

  @Test
  @SuppressWarnings("unchecked")
  void showsTheNodesRealStateWithoutScriptErrors() throws Exception {
    URI url = swarm.url("app.msi");
    HttpClient http = HttpClient.newHttpClient();
    Node a = swarm.startNode("a");
    assertArrayEquals(content, download(http, a, url));
    Node b = swarm.startNode("b");
    assertArrayEquals(content, download(http, b, url));

    HttpResponse<String> plain = http.send(HttpRequest.newBuilder(b.adminUri()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, plain.statusCode());
    assertTrue(plain.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(plain.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
    assertFalse(plain.body().matches("(?s).*(src|href)=\"https?:.*"), "the page loads nothing from elsewhere");

    String[] run = chromium(b.adminUri());
    String dom = run[0];
    String log = run[1];
    Map<String, Object> status = b.status();

    // The script ran, refreshed more than once, and reported no error.
    int refreshes = Integer.parseInt(attr(dom, "data-refreshes=\"\\d+\"", "data-refreshes"));
    assertTrue(refreshes >= 2, "the page polled /status " + refreshes + " times");
    assertTrue(dom.contains("<pre id=\"script-errors\" hidden=\"\"></pre>"), "script errors shown on the page:\n" + dom);
    for (String line : log.split("\n")) {
      assertFalse(line.contains("CONSOLE") || line.contains("Uncaught"), "browser console: " + line);
    }
    assertTrue(dom.contains("<div id=\"banner\" role=\"alert\" style=\"display: none;\"></div>"),
        "no error banner: " + dom);

    // Store use, as /status has it.
    Map<String, Object> store = (Map<String, Object>) status.get("store");
    assertEquals(String.valueOf(store.get("used_bytes")), attr(dom, "id=\"store-used\"", "data-bytes"));
    assertEquals(String.valueOf(store.get("capacity_bytes")), attr(dom, "id=\"store-capacity\"", "data-bytes"));
    assertEquals(String.valueOf(store.get("segments")), attr(dom, "id=\"store-segments\"", "data-value"));
    assertTrue(((Number) store.get("used_bytes")).longValue() >= SIZE, "b stored the package");

    // Traffic totals and a rate (two samples seen; nothing moves now, so 0).
    Map<String, Object> totals = (Map<String, Object>) status.get("totals");
    assertEquals(String.valueOf(totals.get("peer")), attr(dom, "id=\"total-peer\"", "data-bytes"));
    assertEquals(String.valueOf(SIZE), attr(dom, "id=\"total-peer\"", "data-bytes"));
    assertEquals(String.valueOf(totals.get("origin")), attr(dom, "id=\"total-origin\"", "data-bytes"));
    assertEquals("0", attr(dom, "id=\"rate-peer\"", "data-bytes-per-second"));

    // Peers seen: a, found by PCCRD.
    List<Map<String, Object>> peers = (List<Map<String, Object>>) status.get("peers");
    assertFalse(peers.isEmpty(), "b saw a");
    assertEquals(String.valueOf(peers.size()), attr(dom, "id=\"peer-count\"", "data-value"));
    for (Map<String, Object> p : peers) {
      assertTrue(dom.contains("data-peer=\"" + p.get("peer") + "\""), "peer " + p.get("peer") + " listed");
    }

    // The download: where its bytes came from, as the record has them.
    List<Map<String, Object>> downloads = (List<Map<String, Object>>) status.get("downloads");
    assertEquals(1, downloads.size());
    Map<String, Object> d = downloads.get(0);
    String r = row(dom, (String) d.get("id"));
    assertTrue(r.contains(url.toString()), r);
    assertTrue(r.contains("data-state=\"done\""), r);
    Map<String, Object> bytes = (Map<String, Object>) d.get("bytes");
    for (String source : List.of("peer", "origin", "local")) {
      assertTrue(r.contains("data-source=\"" + source + "\" data-bytes=\"" + bytes.get(source) + "\""),
          source + " bytes " + bytes.get(source) + " in " + r);
    }
    assertTrue(r.contains("2.0 MiB"), "human-readable size shown: " + r);

    // a's page: its download went to the origin because no peer had it; the reason is shown.
    String[] runA = chromium(a.adminUri());
    Map<String, Object> da = ((List<Map<String, Object>>) a.status().get("downloads")).get(0);
    String ra = row(runA[0], (String) da.get("id"));
    Map<String, Object> reasons = (Map<String, Object>) da.get("origin_reasons");
    assertFalse(reasons.isEmpty());
    assertTrue(ra.contains("data-reasons=\"" + String.join(",", reasons.keySet()) + "\""), ra);
    for (Map.Entry<String, Object> e : reasons.entrySet()) {
      assertTrue(ra.contains(e.getKey() + " " + StatusText.bytes(((Number) e.getValue()).longValue())), ra);
    }
    assertTrue(Long.parseLong(attr(runA[0], "id=\"total-served\"", "data-bytes")) >= SIZE, "a served b");
  }
}
