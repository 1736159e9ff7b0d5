package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code peerdist cache ...} through picocli's {@code execute()} against a real RocksDB store. */
class CacheCommandTest {
  @TempDir Path temp;
  private Path dir;
  private Segment a;
  private Segment b;
  private Segment c;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void fill() {
    dir = temp.resolve("store");
    SplittableRandom r = new SplittableRandom(9);
    a = TestSegments.v1(r, 2);
    b = TestSegments.v2(r, 3000);
    c = TestSegments.v1(r, 1);
    Clock clock = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);
    try (RocksChunkStore s = RocksChunkStore.at(dir).capacityBytes(64L << 20).clock(clock).open()) {
      for (Segment seg : List.of(a, b, c)) {
        s.putSegment(seg.record());
        s.putBlock(seg.record().id(), 0, seg.block(0));
      }
      s.pin(b.record().id());
    }
  }

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  private RocksChunkStore open() {
    return RocksChunkStore.at(dir).createIfMissing(false).open();
  }

  @Test
  void statsPrintsTheAccounting() {
    assertEquals(0, run("cache", "stats", "--store", dir.toString()), err.toString());
    String s = out.toString();
    long used = TestSegments.footprint(a, 0) + TestSegments.footprint(b, 0) + TestSegments.footprint(c, 0);
    assertTrue(s.contains("used:       " + used + " ("), s);
    assertTrue(s.contains("capacity:   67108864 (64.0 MiB)"), s);
    assertTrue(s.contains("pinned:     " + TestSegments.footprint(b, 0) + " "), s);
    assertTrue(s.contains("segments:   3"), s);
    assertTrue(s.contains("blocks:     3"), s);
  }

  @Test
  void listPrintsOneLinePerSegmentLeastRecentFirst() {
    assertEquals(0, run("cache", "list", "--store", dir.toString()), err.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals(3, lines.size(), out.toString());
    assertEquals(a.record().id().toHex() + "  V1  1/2  " + TestSegments.footprint(a, 0)
        + "  -  2026-11-25T12:00:00Z", lines.get(0));
    assertTrue(lines.get(1).startsWith(b.record().id().toHex() + "  V2  1/1  "), lines.get(1));
    assertTrue(lines.get(1).contains("  pinned  "), lines.get(1));
    assertTrue(lines.get(2).startsWith(c.record().id().toHex()), lines.get(2));
  }

  @Test
  void pinAndUnpinPersist() {
    assertEquals(0, run("cache", "pin", "--store", dir.toString(), a.record().id().toHex().toLowerCase()));
    assertEquals(0, run("cache", "unpin", "--store", dir.toString(), b.record().id().toHex()));
    try (RocksChunkStore s = open()) {
      assertTrue(s.isPinned(a.record().id()));
      assertFalse(s.isPinned(b.record().id()));
    }
  }

  @Test
  void evictNamedSegmentsRefusesPinnedWithoutForce() {
    assertEquals(1, run("cache", "evict", "--store", dir.toString(), b.record().id().toHex()));
    assertEquals("peerdist: segment " + b.record().id().toHex() + " is pinned; unpin it or add --force\n",
        err.toString());
    assertEquals(0, run("cache", "evict", "--store", dir.toString(), a.record().id().toHex()), err.toString());
    assertEquals(0, run("cache", "evict", "--store", dir.toString(), "--force", b.record().id().toHex()));
    try (RocksChunkStore s = open()) {
      assertEquals(List.of(c.record().id()), s.segments());
    }
  }

  @Test
  void evictToASizeRemovesLeastRecentUnpinned() {
    long keep = TestSegments.footprint(b, 0) + TestSegments.footprint(c, 0);
    assertEquals(0, run("cache", "evict", "--store", dir.toString(), "--to", Long.toString(keep)), err.toString());
    assertTrue(out.toString().startsWith("evicted 1 segment(s)"), out.toString());
    try (RocksChunkStore s = open()) {
      assertTrue(s.segment(a.record().id()).isEmpty());
      assertEquals(keep, s.stats().usedBytes());
    }
  }

  @Test
  void capacityIsShownAndSet() {
    assertEquals(0, run("cache", "capacity", "--store", dir.toString(), "1.5G"), err.toString());
    try (RocksChunkStore s = open()) {
      assertEquals(3L << 29, s.stats().capacityBytes());
    }
    assertEquals(2, run("cache", "capacity", "--store", dir.toString(), "lots"));
    assertTrue(err.toString().contains("'lots' is not a size"), err.toString());
  }

  /**
   * Issue 13's bug: {@code peerdist run} always handed the store the default cache size, so a
   * capacity set with {@code peerdist cache capacity} while the node was stopped was undone (with
   * eviction when the default was smaller) on the next start. The rule now (docs/CONFIGURATION.md,
   * "Persisted and configured values"): a {@code cache-size} left at its default never overrides the
   * capacity the store persisted.
   */
  @Test
  void capacitySetWhileStoppedSurvivesTheNextStartAtTheDefault() throws Exception {
    assertEquals(0, run("cache", "capacity", "--store", dir.toString(), "48MiB"), err.toString());
    dev.peerdist.node.NodeConfig defaults = dev.peerdist.node.NodeConfig.builder()
        .set(dev.peerdist.node.ConfigKey.STORE, dir.toString()).build();
    try (dev.peerdist.chunkstore.ChunkStore s = dev.peerdist.node.Node.rocksStore(defaults)) {
      assertEquals(48L << 20, s.stats().capacityBytes(), "the default cache-size undid the capacity set");
      assertEquals(3, s.segments().size(), "nothing was evicted");
    }
    try (RocksChunkStore s = open()) {
      assertEquals(48L << 20, s.stats().capacityBytes(), "the persisted capacity is still the one set");
    }
  }

  /** The other half of the rule: a configured {@code cache-size} (flag, env, file) is applied and persisted. */
  @Test
  void configuredCacheSizeWinsAndIsPersisted() throws Exception {
    assertEquals(0, run("cache", "capacity", "--store", dir.toString(), "48MiB"), err.toString());
    dev.peerdist.node.NodeConfig configured = dev.peerdist.node.NodeConfig.load(null, java.util.Map.of(
        dev.peerdist.node.ConfigKey.STORE, List.of(dir.toString()),
        dev.peerdist.node.ConfigKey.CACHE_SIZE, List.of("32MiB")), java.util.Map.of());
    try (dev.peerdist.chunkstore.ChunkStore s = dev.peerdist.node.Node.rocksStore(configured)) {
      assertEquals(32L << 20, s.stats().capacityBytes());
    }
    try (RocksChunkStore s = open()) {
      assertEquals(32L << 20, s.stats().capacityBytes());
    }
  }

  @Test
  void errorsAreOneLineWithAnExitCode() {
    Path missing = temp.resolve("missing");
    assertEquals(1, run("cache", "stats", "--store", missing.toString()));
    assertEquals("peerdist: no chunk store in " + missing.toAbsolutePath() + "\n", err.toString());

    err.getBuffer().setLength(0);
    assertEquals(2, run("cache", "pin", "--store", dir.toString(), "XYZ"));
    assertTrue(err.toString().startsWith("peerdist: not a segment id: 'XYZ'"), err.toString());
    assertEquals(1, err.toString().lines().count());

    err.getBuffer().setLength(0);
    String unknown = TestSegments.v1(new SplittableRandom(99), 1).record().id().toHex();
    assertEquals(1, run("cache", "pin", "--store", dir.toString(), unknown));
    assertTrue(err.toString().contains("it is not in chunk store " + dir.toAbsolutePath()), err.toString());

    err.getBuffer().setLength(0);
    assertEquals(2, run("cache", "evict", "--store", dir.toString()));
    assertTrue(err.toString().contains("give either --to SIZE or segment ids"), err.toString());

    err.getBuffer().setLength(0);
    assertEquals(2, run("cache", "list"));
    assertTrue(err.toString().contains("--store"), err.toString());
  }

  @Test
  void sizesParse() {
    // The command reads sizes with the one parser (dev.peerdist.node.units.Size).
    assertEquals(1048576, dev.peerdist.node.units.Size.parse("1048576").bytes());
    assertEquals(512L << 20, dev.peerdist.node.units.Size.parse("512M").bytes());
    assertEquals(10L << 30, dev.peerdist.node.units.Size.parse("10GiB").bytes());
    assertEquals(2048, dev.peerdist.node.units.Size.parse("2 kb").bytes());
  }
}
