package dev.peerdist.node.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.event.Level;

/**
 * Real downloads through real nodes (publisher and PCCRR on loopback) each log exactly one line
 * with their bytes by source and origin reasons, as text and as JSON.
 */
@Timeout(120)
class DownloadLogIT {
  static final int SIZE = 1024 * 1024 + 99;
  @TempDir Path dir;
  LocalSwarm swarm;
  final ByteArrayOutputStream buf = new ByteArrayOutputStream();

  @BeforeEach
  void start() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[SIZE];
    new Random(3).nextBytes(content);
    Files.write(root.resolve("p.bin"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, 20000 + ThreadLocalRandom.current().nextInt(40000));
    LogSettings.output(new PrintStream(buf, true, StandardCharsets.UTF_8));
    LogSettings.level("dev.peerdist.node.download", Level.INFO);
  }

  @AfterEach
  void stop() {
    LogSettings.output(System.err);
    LogSettings.format(LogFormat.TEXT);
    if (swarm != null) {
      swarm.close();
    }
  }

  private static DownloadRecord fetch(Node n, URI url) throws Exception {
    try (Download d = n.engine().open(url)) {
      while (d.next() != null) {
        // Drain.
      }
      return d.record();
    }
  }

  private List<String> lines(String id) {
    return buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("download " + id + " ")).toList();
  }

  @Test
  void oneLinePerDownloadWithSourcesAndReasons() throws Exception {
    URI url = swarm.url("p.bin");
    Node a = swarm.startNode("a");
    DownloadRecord ra = fetch(a, url);
    List<String> la = lines(ra.id());
    assertEquals(1, la.size(), buf.toString(StandardCharsets.UTF_8));
    String line = la.get(0);
    assertTrue(line.contains(" INFO ") && line.contains("download " + ra.id() + " done: " + url), line);
    assertTrue(line.contains("origin 1.0 MiB (no_peer 1.0 MiB)"), line);

    LogSettings.format(LogFormat.JSON);
    Node b = swarm.startNode("b");
    DownloadRecord rb = fetch(b, url);
    List<String> lb = lines(rb.id());
    assertEquals(1, lb.size(), buf.toString(StandardCharsets.UTF_8));
    String json = lb.get(0);
    assertTrue(json.startsWith("{") && json.endsWith("}"), json);
    assertTrue(json.contains("\"download_id\":\"" + rb.id() + "\""), json);
    assertTrue(json.contains("\"state\":\"done\""), json);
    assertTrue(json.contains("\"bytes_peer\":" + SIZE), json);
    assertTrue(json.contains("\"bytes_origin\":0"), json);
    assertTrue(json.contains("\"origin_reasons\":{}"), json);
  }
}
