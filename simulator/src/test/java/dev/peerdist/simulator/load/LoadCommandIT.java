package dev.peerdist.simulator.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.cli.Main;
import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.simulator.live.JsonText;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code peerdist simulate load} against a real cache server on loopback (real RocksDB store, PCCRR
 * over HTTP, PCCRD over UDP): blocks it holds come back, ids it does not hold get the empty answer,
 * and the numbers add up.
 */
@Timeout(180)
class LoadCommandIT {
  @TempDir Path dir;

  private Object load(String... args) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    Path json = dir.resolve("load-" + System.nanoTime() + ".json");
    String[] all = new String[args.length + 3];
    all[0] = "simulate";
    all[1] = "load";
    System.arraycopy(args, 0, all, 2, args.length);
    all[args.length + 2] = "--json=" + json;
    assertEquals(0, cli.execute(all), err.toString());
    System.err.print(out);
    return JsonText.parse(Files.readString(json, StandardCharsets.UTF_8));
  }

  @Test
  void blocksItHoldsAndEmptyAnswersForTheRest() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] data = new byte[3 << 20];
    new Random(7).nextBytes(data);
    Files.write(root.resolve("pkg.bin"), data);
    int discovery = 20_000 + ThreadLocalRandom.current().nextInt(40_000);
    try (LocalSwarm swarm = LocalSwarm.start(dir.resolve("work"), root, discovery)) {
      Node cache = swarm.startNode("cache", b -> b.set(ConfigKey.ROLE, "cache-server"));
      String url = swarm.url("pkg.bin").toString();
      cache.prepopulate(swarm.url("pkg.bin"));
      String target = "127.0.0.1:" + cache.pccrrAddress().getPort();

      Object held = load("--target", target, "--url", url, "--duration", "2s", "--concurrency", "8", "--kind", "mixed",
          "--discovery-port", Integer.toString(discovery), "--multicast", "lo");
      long sent = JsonText.longAt(held, "pccrr.sent", -1);
      long ok = JsonText.longAt(held, "pccrr.ok", -1);
      assertTrue(sent > 0, "no requests sent");
      assertEquals(0, JsonText.longAt(held, "pccrr.errors", -1));
      assertEquals(0, JsonText.longAt(held, "pccrr.timeouts", -1));
      // Every block asked for is held; with 8 in flight and 16 upload slots none is refused as busy.
      assertEquals(sent, ok + JsonText.longAt(held, "pccrr.empty", -1));
      assertTrue(ok > 0 && ok >= sent * 9 / 10, ok + " of " + sent + " answered with a block");
      assertTrue(JsonText.longAt(held, "probe.sent", -1) > 0, "mixed load sends probes");
      assertTrue(JsonText.longAt(held, "probe.ok", -1) > 0, "the node answers probes for segments it holds");
      assertTrue(((Number) JsonText.at(held, "pccrr.latency_p99_ms")).doubleValue() > 0);
      assertTrue(JsonText.longAt(held, "target_rss_max_bytes", -1) > 0, "the target is this JVM: its RSS is found");

      Object unknown = load("--target", target, "--duration", "1s", "--rate", "200", "--kind", "pccrr");
      long s2 = JsonText.longAt(unknown, "pccrr.sent", -1);
      assertTrue(s2 > 0);
      assertEquals(0, JsonText.longAt(unknown, "pccrr.ok", -1), "random segment ids are never held");
      assertEquals(s2, JsonText.longAt(unknown, "pccrr.empty", -1));
    }
  }
}
