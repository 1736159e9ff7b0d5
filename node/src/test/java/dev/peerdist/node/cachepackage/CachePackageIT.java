package dev.peerdist.node.cachepackage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.cli.NodeCommandsIT;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offline cache packages end to end: {@code peerdist publish --export-package} (the CLI, with the
 * publisher's secret), {@code peerdist cache import} into a RocksDB store of a stopped node, then that
 * node, started as a cache server with no publisher configured, serves a client every block over PCCRR;
 * the client takes only the content information from the publisher (the same bytes the package
 * carries, so the same segment ids).
 */
@Timeout(120)
class CachePackageIT {
  static final String SECRET_HEX = "00112233445566778899aabbccddeeff";

  @TempDir Path dir;

  static NodeCommandsIT.Run cli(String... args) {
    return NodeCommandsIT.run(args);
  }

  @Test
  void exportImportServeWithoutWanTraffic() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    Assumptions.assumeTrue(lo != null && lo.isUp(), "needs an up loopback interface named lo");
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[1_500_000];
    new Random(5).nextBytes(content);
    Files.createDirectories(root.resolve("os"));
    Files.write(root.resolve("os/image.wim"), content);
    Path pkg = dir.resolve("branch.pdcache");

    NodeCommandsIT.Run export = cli("publish", "--root", root.toString(), "--state", dir.resolve("state").toString(),
        "--secret-hex", SECRET_HEX, "--export-package", pkg.toString(), "os");
    assertEquals(0, export.code(), export.err());
    assertTrue(export.out().contains("exported 1/1 os/image.wim"), export.out());

    // A store that exists (a node ran once), stopped.
    Path store = dir.resolve("cache-store");
    RocksChunkStore.at(store).open().close();
    NodeCommandsIT.Run imported = cli("cache", "import", "--store", store.toString(), pkg.toString());
    assertEquals(0, imported.code(), imported.err());
    assertTrue(imported.out().contains("imported 1/1 os/image.wim"), imported.out());
    assertTrue(imported.out().contains(content.length + " bytes stored, pinned"), imported.out());

    // A damaged package changes nothing and says why.
    byte[] bytes = Files.readAllBytes(pkg);
    bytes[bytes.length / 2] ^= 0x10;
    Path bad = dir.resolve("bad.pdcache");
    Files.write(bad, bytes);
    Path other = dir.resolve("other-store");
    RocksChunkStore.at(other).open().close();
    NodeCommandsIT.Run refused = cli("cache", "import", "--store", other.toString(), bad.toString());
    assertNotEquals(0, refused.code());
    assertTrue(refused.err().contains("cannot import"), refused.err());
    try (RocksChunkStore s = RocksChunkStore.at(other).open()) {
      assertEquals(0, s.segments().size());
    }

    byte[] secret = HexFormat.of().parseHex(SECRET_HEX);
    try (PublishingServer publisher = PublishingServer.start(PublisherConfig.builder().root(root)
        .stateDir(dir.resolve("state")).bind(InetAddress.getLoopbackAddress()).port(0).secretKeyMaterial(secret)
        .hashWait(Duration.ofSeconds(30)).build())) {
      int discovery = 20000 + ThreadLocalRandom.current().nextInt(30000);
      Node cache = Node.start(base(store, discovery).set(ConfigKey.ROLE, "cache-server").build(),
          NodeDirectories::multicast, Clock.systemUTC());
      try (cache) {
        assertTrue(cache.store().stats().pinnedBytes() >= content.length, "the imported content is pinned");
        NodeConfig clientConfig = base(dir.resolve("client"), discovery)
            .set(ConfigKey.PUBLISHER, publisher.httpUri().orElseThrow().toString())
            .set(ConfigKey.PEER, "127.0.0.1:" + cache.pccrrAddress().getPort()).build();
        try (Node client = Node.start(clientConfig, NodeDirectories::multicast, Clock.systemUTC());
            Download d = client.engine().open(publisher.httpUri().orElseThrow().resolve("os/image.wim"))) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          byte[] b;
          while ((b = d.next()) != null) {
            out.write(b);
          }
          assertArrayEquals(content, out.toByteArray());
          DownloadRecord r = d.record();
          assertEquals(content.length, r.bytes(ByteSource.PEER), "every block from the imported cache");
          assertEquals(0, r.bytes(ByteSource.ORIGIN));
        }
      }
    }
  }

  static NodeConfig.Builder base(Path store, int discovery) {
    return NodeConfig.builder()
        .set(ConfigKey.STORE, store.toString())
        .set(ConfigKey.BIND, "127.0.0.1").set(ConfigKey.PCCRR_PORT, "0").set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0").set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(discovery))
        .set(ConfigKey.DNSSD, "false").set(ConfigKey.CACHE_SIZE, "256MiB");
  }
}
