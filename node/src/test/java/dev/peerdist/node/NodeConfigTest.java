package dev.peerdist.node;

import dev.peerdist.node.units.Durations;
import dev.peerdist.node.units.Size;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  @TempDir Path dir;

  private Path file(String text) throws Exception {
    Path f = dir.resolve("node.conf");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void defaultsAreTypedAndSourced() {
    NodeConfig c = NodeConfig.defaults();
    assertEquals(10L * 1024 * 1024 * 1024, c.cacheSize());
    assertEquals(80, c.pccrrPort());
    assertEquals(Duration.ofMillis(300), c.discoveryWait());
    assertEquals(NodeRole.CLIENT, c.role());
    assertEquals(List.of(), c.publishers());
    assertEquals("127.0.0.1", c.adminBind().getHostAddress());
    assertTrue(c.store().toString().endsWith(".peerdist/store"), c.store().toString());
    assertEquals("default", c.source(ConfigKey.CACHE_SIZE));
  }

  @Test
  void flagBeatsEnvBeatsFileBeatsDefault() throws Exception {
    Path f = file("""
        # a comment
        [node]
        cache-size = 1GiB
        pccrr-port = 8081
        admin-port = 9001   ; trailing comment
        discovery-wait = "150ms"
        """);
    Map<String, String> env = Map.of("PEERDIST_PCCRR_PORT", "8082", "PEERDIST_ADMIN_PORT", "9002");
    NodeConfig c = NodeConfig.load(f, Map.of(ConfigKey.PCCRR_PORT, List.of("8083")), env);
    assertEquals(8083, c.pccrrPort());
    assertEquals("flag --pccrr-port", c.source(ConfigKey.PCCRR_PORT));
    assertEquals(9002, c.adminPort());
    assertEquals("env PEERDIST_ADMIN_PORT", c.source(ConfigKey.ADMIN_PORT));
    assertEquals(1L << 30, c.cacheSize());
    assertEquals("file " + f + ":3", c.source(ConfigKey.CACHE_SIZE));
    assertEquals(Duration.ofMillis(150), c.discoveryWait());
    assertEquals(7781, c.mirrorPort());
  }

  @Test
  void configFileFromEnvironment() throws Exception {
    Path f = file("mirror-port = 1234\n");
    NodeConfig c = NodeConfig.load(null, Map.of(), Map.of("PEERDIST_CONFIG", f.toString()));
    assertEquals(1234, c.mirrorPort());
  }

  @Test
  void listsRepeatCommaOrArray() throws Exception {
    Path f = file("""
        publisher = http://a.example/
        publisher = http://b.example/x, http://c.example/
        peer = ["10.0.0.1:80", "10.0.0.2:8080"]
        """);
    NodeConfig c = NodeConfig.load(f, Map.of(), Map.of());
    assertEquals(List.of(URI.create("http://a.example/"), URI.create("http://b.example/x"),
        URI.create("http://c.example/")), c.publishers());
    assertEquals(List.of("10.0.0.1:80", "10.0.0.2:8080"), c.peers());
    NodeConfig flagged = NodeConfig.load(f,
        Map.of(ConfigKey.PUBLISHER, List.of("http://d.example/", "http://e.example/")), Map.of());
    assertEquals(2, flagged.publishers().size(), "a flag list replaces the file's list");
  }

  @Test
  void sizesAndDurations() {
    // One parser (issue 13): sizes count in 1024s whatever the spelling, so "1GB" and "2k" are
    // binary now (they were 10^9 and 2000 here while 'cache capacity' read them as 2^30 and 2048).
    assertEquals(512L * 1024 * 1024, Size.parse("512MiB").bytes());
    assertEquals(1L << 30, Size.parse("1GB").bytes());
    assertEquals(4096, Size.parse("4096").bytes());
    assertEquals(2048, Size.parse("2k").bytes());
    assertEquals(Duration.ofSeconds(2), Durations.parse("PT2S"));
    assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
    assertEquals(1L << 30, NodeConfig.builder().set(ConfigKey.CACHE_SIZE, "1GB").build().cacheSize());
  }

  @Test
  void badFlagNamesKeyAndSource() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeConfig.load(null, Map.of(ConfigKey.CACHE_SIZE, List.of("ten")), Map.of()));
    assertEquals("cache-size", e.key());
    assertEquals("flag --cache-size", e.source());
    assertTrue(e.getMessage().contains("'ten' is not a size"), e.getMessage());
  }

  @Test
  void badEnvNamesVariable() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeConfig.load(null, Map.of(), Map.of("PEERDIST_PCCRR_PORT", "70000")));
    assertEquals("env PEERDIST_PCCRR_PORT", e.source());
    assertTrue(e.getMessage().contains("not a port"), e.getMessage());
  }

  @Test
  void badFileValueNamesLine() throws Exception {
    Path f = file("cache-size = 1GiB\n\nrole = router\n");
    ConfigException e = assertThrows(ConfigException.class, () -> NodeConfig.load(f, Map.of(), Map.of()));
    assertEquals("role", e.key());
    assertEquals("file " + f + ":3", e.source());
  }

  /** Issue 11: a duplicate key is an error naming the key and both lines. */
  @Test
  void duplicateKeyInAFileNamesBothLines() throws Exception {
    Path f = file("cache-size = 1GiB\npublisher = http://a/\n# later\ncache-size = 2GiB\npublisher = http://b/\n");
    ConfigException e = assertThrows(ConfigException.class, () -> NodeConfig.load(f, Map.of(), Map.of()));
    assertEquals("cache-size", e.key());
    assertEquals("file " + f + ":4", e.source());
    assertTrue(e.getMessage().contains("set twice, on lines 1 and 4"), e.getMessage());
  }

  /** Issue 11: --peer is checked when the configuration loads, before anything binds a socket. */
  @Test
  void badPeerIsRefusedAtLoad() {
    for (String bad : new String[] {"x:y", "host", ":80", "host:0", "host:70000", "a b:80", "::1:80", "[::1:80"}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> NodeConfig.load(null, Map.of(ConfigKey.PEER, List.of(bad)), Map.of()), bad);
      assertEquals("peer", e.key(), bad);
      assertEquals("flag --peer", e.source(), bad);
    }
    NodeConfig ok = NodeConfig.load(null, Map.of(ConfigKey.PEER, List.of("10.1.0.5:80", "cache.example:8080",
        "[fe80::1]:80")), Map.of());
    assertEquals(3, ok.peers().size());
  }

  @Test
  void downloadAllowEntriesMustBeUrlPrefixesOrStar() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeConfig.load(null, Map.of(ConfigKey.DOWNLOAD_ALLOW, List.of("ftp://x/")), Map.of()));
    assertEquals("download-allow", e.key());
    assertEquals(List.of("*"), NodeConfig.load(null, Map.of(ConfigKey.DOWNLOAD_ALLOW, List.of("*")), Map.of())
        .downloadAllow());
  }

  @Test
  void unknownFileKeyAndMalformedLine() throws Exception {
    Path f = file("cache-sise = 1GiB\n");
    ConfigException e = assertThrows(ConfigException.class, () -> NodeConfig.load(f, Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
    Path g = file("just words\n");
    assertThrows(ConfigException.class, () -> NodeConfig.load(g, Map.of(), Map.of()));
  }

  @Test
  void missingConfigFileIsAnError() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeConfig.load(dir.resolve("nope.conf"), Map.of(), Map.of()));
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void addressesMustBeLiterals() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> NodeConfig.builder().set(ConfigKey.BIND, "localhost"));
    assertTrue(e.getMessage().contains("address literal"), e.getMessage());
    assertEquals("::1", NodeConfig.builder().set(ConfigKey.BIND, "::1").build().bind().getHostAddress()
        .replace("0:0:0:0:0:0:0:1", "::1"));
  }

  @Test
  void prepopulateNeedsCacheServerRole() {
    assertThrows(ConfigException.class,
        () -> NodeConfig.builder().set(ConfigKey.PREPOPULATE, "http://a.example/x").build());
    NodeConfig c = NodeConfig.builder().set(ConfigKey.ROLE, "cache-server")
        .set(ConfigKey.PREPOPULATE, "http://a.example/x").build();
    assertEquals(List.of("http://a.example/x"), c.prepopulate());
  }

  @Test
  void documentationListsEveryKey() throws Exception {
    Path doc = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/CONFIGURATION.md");
    String text = Files.readString(doc);
    for (ConfigKey k : ConfigKey.values()) {
      assertTrue(text.contains("`" + k.flag() + "`"), "CONFIGURATION.md lacks " + k.flag());
      assertTrue(text.contains("`" + k.env() + "`"), "CONFIGURATION.md lacks " + k.env());
    }
  }
}
