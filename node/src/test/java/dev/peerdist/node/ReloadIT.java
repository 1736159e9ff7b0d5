package dev.peerdist.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.demo.LocalSwarm;
import dev.peerdist.node.logging.LogFormat;
import dev.peerdist.node.logging.LogSettings;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a reload (SIGHUP) changes in a running node, what it only reports, and what it refuses. */
@Timeout(60)
class ReloadIT {
  @TempDir Path dir;
  LocalSwarm swarm;

  @AfterEach
  void stop() {
    LogSettings.format(LogFormat.TEXT);
    if (swarm != null) {
      swarm.close();
    }
  }

  @Test
  void appliesRuntimeKeysReportsTheRestAndRefusesBadValues() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo for multicast");
    swarm = LocalSwarm.start(dir.resolve("work"), Files.createDirectories(dir.resolve("root")),
        20000 + ThreadLocalRandom.current().nextInt(40000));
    Node n = swarm.startNode("a");
    int port = n.pccrrAddress().getPort();

    NodeConfig fresh = n.config().toBuilder().set(ConfigKey.CACHE_SIZE, "2GiB").set(ConfigKey.PEER, "127.0.0.1:9")
        .set(ConfigKey.LOG_FORMAT, "json").set(ConfigKey.PCCRR_PORT, "1234").build();
    List<String> report = n.reconfigure(fresh);
    assertEquals(2L << 30, n.store().stats().capacityBytes(), "cache-size applied to the store");
    assertEquals(LogFormat.JSON, LogSettings.format(), "log-format applied");
    assertTrue(report.contains("peer [] -> [127.0.0.1:9]: applied"), "" + report);
    assertTrue(report.contains("pccrr-port " + n.config().pccrrPort() + " -> 1234: needs a restart (running value kept)"),
        "" + report);
    assertEquals(port, n.pccrrAddress().getPort(), "the PCCRR server kept its port");
    assertEquals(4, report.size(), "" + report);

    // The same file again: nothing new is applied; the restart-only key is reported again.
    assertEquals(List.of("pccrr-port " + n.config().pccrrPort() + " -> 1234: needs a restart (running value kept)"),
        n.reconfigure(fresh));

    // A bad value in the new file: refused (when the file is read, before anything is applied),
    // nothing changes.
    assertThrows(ConfigException.class, () -> n.reconfigure(
        fresh.toBuilder().set(ConfigKey.CACHE_SIZE, "3GiB").set(ConfigKey.PEER, "no-port-here").build()));
    assertEquals(2L << 30, n.store().stats().capacityBytes(), "nothing applied from a refused reload");

    // cache-size back at its default (the line removed from the file): by the rule for persisted
    // values (docs/CONFIGURATION.md) a default never overrides the capacity the store keeps.
    List<String> back = n.reconfigure(fresh.toBuilder().copy(ConfigKey.CACHE_SIZE, NodeConfig.defaults()).build());
    assertEquals(2L << 30, n.store().stats().capacityBytes(), "a default never overrides the store's capacity");
    assertTrue(back.contains("cache-size 2GiB -> 10GiB (default): not applied, the store keeps its capacity of "
        + (2L << 30) + " bytes"), "" + back);
  }
}
