package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code peerdist run} as a real process: it serves, and SIGTERM shuts it down cleanly. */
@Timeout(120)
class RunCommandIT {
  @TempDir Path dir;

  @Test
  void runServesAndStopsCleanlyOnSigterm() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    Path store = dir.resolve("store");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "dev.peerdist.node.cli.Main", "run", "--store", store.toString(), "--pccrr-port", "0",
        "--admin-port", "0", "--mirror-port", "0", "--bind", "127.0.0.1", "--interface", "lo",
        "--discovery-port", Integer.toString(20000 + ThreadLocalRandom.current().nextInt(20000)),
        "--dnssd", "false"))
        .redirectErrorStream(true)
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String admin = null;
      Pattern ready = Pattern.compile("peerdist node running: .* admin (http://\\S+/),");
      for (String line; admin == null && (line = out.readLine()) != null; ) {
        Matcher m = ready.matcher(line);
        if (m.find()) {
          admin = m.group(1);
        }
      }
      assertNotNull(admin, "the node printed its admin URL");
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin + "readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the node exits after SIGTERM");
      // A clean shutdown released the RocksDB lock: the store opens again.
      try (RocksChunkStore reopened = RocksChunkStore.at(store).open()) {
        assertEquals(0, reopened.stats().segments());
      }
    } finally {
      p.destroyForcibly();
    }
  }
}
