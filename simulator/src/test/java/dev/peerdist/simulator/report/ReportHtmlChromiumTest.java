package dev.peerdist.simulator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.simulator.model.LoopSiteModel;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html opened in a real headless Chromium (Debian's package; .ci/run installs it): every
 * chart is an SVG with drawn paths, the page says it rendered, and the console shows nothing.
 * A page fed a broken report must show its error, so the check can fail.
 */
class ReportHtmlChromiumTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final List<String> CHARTS = List.of("chart-cdf", "chart-wan", "chart-upload", "chart-reasons");

  @TempDir Path dir;

  @BeforeAll
  static void needsChromium() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
        "needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it)");
  }

  /** {dom, console lines of the page}. */
  private String[] open(Path html) throws IOException, InterruptedException {
    Path profile = Files.createDirectory(dir.resolve("profile-" + System.nanoTime()));
    List<String> cmd = List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--dump-dom", html.toUri().toString());
    Path out = dir.resolve("dom.html");
    Path err = dir.resolve("chromium.log");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s");
    }
    String log = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), log);
    List<String> console = new ArrayList<>();
    for (String line : log.split("\n")) {
      if (line.contains(":CONSOLE")) {
        console.add(line);
      }
    }
    return new String[] {Files.readString(out, StandardCharsets.UTF_8), String.join("\n", console)};
  }

  private SiteReport report() {
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 20Mbit", "wan-rtt = 20ms", "[subnet.a]",
        "clients = 6", "[subnet.b]", "clients = 6", "[package.p]", "size = 8MiB", "[arrival]", "pattern = uniform",
        "window = 5s", "[faults]", "corrupt-fraction = 0.2"), "t", "chromium-test", List.of());
    return SiteRun.run(new LoopSiteModel(), s, RunOptions.defaults());
  }

  @Test
  void chartsRenderWithoutScriptErrors() throws Exception {
    Path[] files = ReportWriter.write(report(), dir.resolve("report"));
    String[] page = open(files[1]);
    String dom = page[0];
    assertTrue(page[1].isEmpty(), "console output: " + page[1]);
    assertTrue(body(dom).contains("data-rendered=\"ok\""), "the page did not finish rendering:\n" + head(dom));
    assertFalse(body(dom).contains("data-errors"), head(dom));
    for (String chart : CHARTS) {
      String part = chartSection(dom, chart);
      assertTrue(part.contains("<svg"), chart + " has no svg: " + part);
      Matcher m = Pattern.compile("<path[^>]*class=\"series\"[^>]*>").matcher(part);
      int series = 0;
      while (m.find()) {
        Matcher d = Pattern.compile(" d=\"(M[^\"]+)\"").matcher(m.group());
        assertTrue(d.find() && d.group(1).length() > 5, chart + ": empty path " + m.group());
        series++;
      }
      assertTrue(series >= 1, chart + " drew no series: " + part);
    }
    // Two subnets: the CDF has the site line and one per subnet.
    assertEquals(3, count(chartSection(dom, "chart-cdf"), "class=\"series\""));
    assertTrue(dom.contains("<td>a</td>") && dom.contains("<td>b</td>"), "per-subnet table");
  }

  @Test
  void aLiveReportWithTheWanCountedForTheSiteOnlyRenders() throws Exception {
    // As the live harness records it: the router's WAN count has no subnet (-1).
    Scenario s = ScenarioFile.parse(List.of("[site]", "wan-rate = 80Mbit", "[subnet.a]", "clients = 2", "[subnet.b]",
        "clients = 2", "[package.p]", "size = 10000000"), "t", "live-like", List.of());
    long sec = 1_000_000_000L;
    SiteRecorder r = new SiteRecorder(dev.peerdist.simulator.scenario.SitePlan.of(s), "live-netns",
        RunOptions.Progress.NONE);
    r.wanBytes(0, 1 * sec, -1, 20_400_000);
    for (int node = 0; node < 4; node += 2) {
      r.originFetch(node, "coordinated", 10_000_000);
      r.received(node, dev.peerdist.node.metrics.ByteSource.ORIGIN, 10_000_000);
      r.received(node + 1, dev.peerdist.node.metrics.ByteSource.PEER, 10_000_000);
      r.uploaded(node, 10_000_000);
      r.nodeDone(node, node / 2, 0, 1 * sec);
      r.nodeDone(node + 1, node / 2, 0, 2 * sec);
    }
    Path[] files = ReportWriter.write(r.finish(2 * sec), dir.resolve("live-report"));
    String[] page = open(files[1]);
    String dom = page[0];
    assertTrue(page[1].isEmpty(), "console output: " + page[1]);
    assertTrue(body(dom).contains("data-rendered=\"ok\""), "the page did not finish rendering:\n" + head(dom));
    // The WAN chart has the site's line only; the table shows each subnet's origin bytes instead.
    assertEquals(1, count(chartSection(dom, "chart-wan"), "class=\"series\""));
    assertEquals(2, count(dom, "<td class=\"n\">origin 9.54</td>"), "per-subnet origin bytes");
  }

  @Test
  void aBrokenReportShowsItsError() throws Exception {
    Path html = dir.resolve("broken.html");
    Files.writeString(html, ReportHtml.render("broken", "{\"seed\": 1}"), StandardCharsets.UTF_8);
    String dom = open(html)[0];
    assertFalse(body(dom).contains("data-rendered"), head(dom));
    assertTrue(body(dom).contains("data-errors=\"1\"") && dom.contains("render failed"), head(dom));
  }

  /** The body's opening tag (where the page sets its attributes). */
  private static String body(String dom) {
    Matcher m = Pattern.compile("<body[^>]*>").matcher(dom);
    assertTrue(m.find(), "no body");
    return m.group();
  }

  private static String chartSection(String dom, String id) {
    int at = dom.indexOf("id=\"" + id + "\"");
    assertTrue(at >= 0, "no #" + id);
    int end = dom.indexOf("<div class=\"chart\">", at);
    return dom.substring(at, end < 0 ? Math.min(dom.length(), at + 200_000) : end);
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static String head(String dom) {
    return dom.substring(0, Math.min(3000, dom.length()));
  }
}
