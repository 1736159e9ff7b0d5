package dev.peerdist.node.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.publish.MetricsEndpoint;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
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
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Prometheus alert rules and Grafana dashboard ({@code ops/}): promtool accepts the
 * rules and their unit tests pass, every dashboard query parses as PromQL, and every metric name
 * either file uses is really exported by a running node's and publisher's {@code /metrics}
 * (scraped over HTTP after real downloads).
 */
@Timeout(180)
class OpsFilesIT {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  static final Path OPS = Path.of(System.getProperty("user.dir")).getParent().resolve("ops");
  static final Path RULES = OPS.resolve("prometheus/peerdist-alerts.yml");
  static final Path RULE_TESTS = OPS.resolve("prometheus/peerdist-alerts.test.yml");
  static final Path DASHBOARD = OPS.resolve("grafana/peerdist-dashboard.json");
  static final Pattern METRIC = Pattern.compile("\\b((?:peerdist|jvm|process|system|netty)_[a-z0-9_]+)\\b");

  @TempDir Path dir;

  private static String promtool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PROMTOOL.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "promtool " + String.join(" ", args) + ":\n" + text);
    return text;
  }

  /** The "expr" strings of the dashboard, with Grafana's variables replaced by PromQL values. */
  static List<String> dashboardQueries(String json) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"expr\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    while (m.find()) {
      String e = m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
      out.add(e.replace("$__rate_interval", "5m").replace("$publisher_job", ".*").replace("$instance", ".*")
          .replace("$job", ".*"));
    }
    return out;
  }

  @Test
  void rulesPassPromtoolAndTheirTests() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMTOOL),
        "needs promtool (Debian package prometheus; .ci/run installs it)");
    assertTrue(promtool("check", "rules", RULES.toString()).contains("SUCCESS"));
    assertTrue(promtool("test", "rules", RULE_TESTS.toString()).contains("SUCCESS"));
  }

  @Test
  void everyDashboardQueryIsValidPromql() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMTOOL),
        "needs promtool (Debian package prometheus; .ci/run installs it)");
    List<String> queries = dashboardQueries(Files.readString(DASHBOARD));
    assertTrue(queries.size() >= 15, "dashboard queries found: " + queries.size());
    // promtool has no expression checker; recording rules are checked expressions.
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < queries.size(); i++) {
      rules.append("      - record: dashboard:q").append(i).append("\n        expr: '")
          .append(queries.get(i).replace("'", "''")).append("'\n");
    }
    Path f = dir.resolve("dashboard-queries.yml");
    Files.writeString(f, rules);
    assertTrue(promtool("check", "rules", f.toString()).contains("SUCCESS: " + queries.size() + " rules"));
  }

  @Test
  void everyMetricNameUsedIsExportedByARealNodeAndPublisher() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Set<String> used = new TreeSet<>();
    for (Path p : List.of(RULES, DASHBOARD)) {
      Matcher m = METRIC.matcher(Files.readString(p));
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    assertTrue(used.contains("peerdist_store_errors_total") && used.contains("peerdist_publisher_hash_backlog"), "" + used);

    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[1024 * 1024 + 5];
    new Random(11).nextBytes(content);
    Files.write(root.resolve("f.bin"), content);
    try (LocalSwarm swarm = LocalSwarm.start(dir.resolve("work"), root,
        20000 + ThreadLocalRandom.current().nextInt(40000));
        MetricsEndpoint pm = MetricsEndpoint.start(InetAddress.getLoopbackAddress(), 0, swarm.publisher().meters())) {
      HttpClient http = HttpClient.newHttpClient();
      URI url = swarm.url("f.bin");
      Node a = swarm.startNode("a");
      Node b = swarm.startNode("b");
      for (Node n : List.of(a, b)) {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(n.adminUri().resolve("download?url="
            + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(content, r.body());
      }
      String exported = http.send(HttpRequest.newBuilder(b.adminUri().resolve("metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body()
          + http.send(HttpRequest.newBuilder(pm.uri()).build(), HttpResponse.BodyHandlers.ofString()).body();
      Set<String> names = new TreeSet<>();
      for (String line : exported.split("\n")) {
        if (!line.isEmpty() && !line.startsWith("#")) {
          names.add(line.split("[{ ]", 2)[0]);
        }
      }
      List<String> missing = used.stream().filter(n -> !names.contains(n)).toList();
      assertTrue(missing.isEmpty(), "used in ops/ but not exported: " + missing + "\nexported: " + names);
      assertFalse(exported.contains("peerdist_publisher_requests_total{kind=\"content_information\",status=\"200\"} 0"),
          "the publisher counted the content-information answers");
    }
  }
}
