package dev.peerdist.simulator.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scenario files: every section and key, strict errors naming key and line, overrides, shipped ones. */
class ScenarioFileTest {
  private static final List<String> FULL = List.of(
      "# a comment",
      "[site]",
      "name = branch-7",
      "description = \"two floors; one cache\"   # trailing comment",
      "seed = 42",
      "wan-rate = 50Mbit",
      "wan-rtt = 30ms",
      "wan-budget = 10MiB/s",
      "lan-rate = 1Gbit",
      "time-limit = 2h",
      "",
      "[publisher]",
      "content-version = 2",
      "upload-rate = 40Mbit/s",
      "",
      "[subnet.ground]",
      "clients = 40",
      "cache-servers = 1",
      "cache-prepopulated = false",
      "",
      "[subnet.first]",
      "clients = 25",
      "lan-rate = 100Mbit",
      "seeded-clients = 2",
      "",
      "[package.os]",
      "size = 2GiB",
      "",
      "[package.tools]",
      "size = 300MiB",
      "subnets = [\"first\"]",
      "fraction = 0.5",
      "start = 90s",
      "",
      "[arrival]",
      "pattern = poisson",
      "rate = 2.5/s",
      "",
      "[faults]",
      "leave-fraction = 0.1",
      "leave-after = 25%",
      "corrupt-fraction = 0.05",
      "stall-every = 5s",
      "stall-max = 1500ms");

  private static Scenario parse(List<String> lines) {
    return ScenarioFile.parse(lines, "t.scenario", "t", List.of());
  }

  private static String error(List<String> lines) {
    return assertThrows(ScenarioException.class, () -> parse(lines)).getMessage();
  }

  private static List<String> with(List<String> base, int index, String line) {
    List<String> copy = new java.util.ArrayList<>(base);
    copy.set(index, line);
    return copy;
  }

  @Test
  void everySectionAndKeyIsRead() {
    Scenario s = parse(FULL);
    assertEquals("branch-7", s.name());
    assertEquals("two floors; one cache", s.description());
    assertEquals(42, s.seed());
    assertEquals(50_000_000L, s.wanBitsPerSecond());
    assertEquals(Duration.ofMillis(30), s.wanRtt());
    assertEquals(10L * 1024 * 1024 * 8, s.wanBudgetBitsPerSecond());
    assertEquals(Duration.ofHours(2), s.timeLimit());
    assertEquals(new Scenario.Publisher(2, 40_000_000L), s.publisher());
    assertEquals(new Scenario.Subnet("ground", 40, 1_000_000_000L, 1, false, 0), s.subnets().get(0));
    assertEquals(new Scenario.Subnet("first", 25, 100_000_000L, 0, true, 2), s.subnets().get(1));
    assertEquals(new Scenario.PackageSpec("os", 2L << 30, List.of(), 1.0, Duration.ZERO), s.packages().get(0));
    assertEquals(new Scenario.PackageSpec("tools", 300L << 20, List.of("first"), 0.5, Duration.ofSeconds(90)),
        s.packages().get(1));
    assertEquals(new Scenario.Arrival(Scenario.Pattern.POISSON, Duration.ZERO, 0, 2.5), s.arrival());
    assertEquals(0.1, s.faults().leaveFraction());
    assertEquals(Scenario.LeaveAfter.Kind.OF_IDEAL, s.faults().leaveAfter().kind());
    assertEquals(0.25, s.faults().leaveAfter().ofIdeal());
    assertEquals(0.05, s.faults().corruptFraction());
    assertEquals(Duration.ofSeconds(5), s.faults().stallEvery());
    assertEquals(Duration.ofMillis(1500), s.faults().stallMax());
    assertEquals(66, s.nodes());
    assertEquals(65, s.clients());
  }

  @Test
  void unknownKeyNamesKeyAndLine() {
    String m = error(with(FULL, 16, "clinets = 40"));
    assertTrue(m.contains("t.scenario:17") && m.contains("unknown key 'clinets'") && m.contains("[subnet.ground]"), m);
  }

  @Test
  void badValueNamesKeyAndLine() {
    String m = error(with(FULL, 5, "wan-rate = 50Mbps"));
    assertTrue(m.contains("t.scenario:6") && m.contains("'wan-rate'") && m.contains("50Mbps"), m);
    m = error(with(FULL, 26, "size = huge"));
    assertTrue(m.contains("t.scenario:27") && m.contains("'size'"), m);
    m = error(with(FULL, 39, "leave-fraction = 1.5"));
    assertTrue(m.contains("t.scenario:40") && m.contains("'leave-fraction'") && m.contains("0..1"), m);
    m = error(with(FULL, 43, "stall-max = 0s"));
    assertTrue(m.contains("t.scenario:43") && m.contains("stall-every") && m.contains("go together"), m);
    m = error(with(FULL, 18, "cache-prepopulated = maybe"));
    assertTrue(m.contains("t.scenario:19") && m.contains("true or false"), m);
    m = error(with(FULL, 35, "pattern = trickle"));
    assertTrue(m.contains("t.scenario:36") && m.contains("'pattern'") && m.contains("trickle"), m);
  }

  @Test
  void structuralErrorsAreNamed() {
    assertTrue(error(with(FULL, 15, "[subnets.ground]")).contains("unknown section [subnets.ground]"));
    assertTrue(error(with(FULL, 15, "[subnet]")).contains("unknown section [subnet]"));
    String m = error(with(FULL, 17, "clients = 41"));
    assertTrue(m.contains("t.scenario:18") && m.contains("repeated") && m.contains("t.scenario:17"), m);
    m = error(with(FULL, 5, "# no wan-rate"));
    assertTrue(m.contains("'wan-rate'") && m.contains("required"), m);
    m = error(with(FULL, 30, "subnets = attic"));
    assertTrue(m.contains("no subnet named attic"), m);
    m = error(List.of("seed = 1"));
    assertTrue(m.contains("t.scenario:1") && m.contains("before the first [section]"), m);
    m = error(with(FULL, 16, "clients 40"));
    assertTrue(m.contains("t.scenario:17") && m.contains("key = value"), m);
  }

  @Test
  void overridesGoThroughTheSameChecks() {
    Scenario s = ScenarioFile.parse(FULL, "t.scenario", "t", List.of(
        new ScenarioFile.Override("site.seed", "7", "flag --seed"),
        new ScenarioFile.Override("subnet.*.clients", "10", "flag --nodes"),
        new ScenarioFile.Override("arrival.pattern", "uniform", "flag --pattern"),
        new ScenarioFile.Override("arrival.window", "5s", "flag --window")));
    assertEquals(7, s.seed());
    assertEquals(20, s.clients());
    assertEquals(new Scenario.Arrival(Scenario.Pattern.UNIFORM, Duration.ofSeconds(5), 0, 2.5), s.arrival());
    String m = assertThrows(ScenarioException.class, () -> ScenarioFile.parse(FULL, "t.scenario", "t",
        List.of(new ScenarioFile.Override("site.wan-rtt", "soon", "flag --wan-rtt")))).getMessage();
    assertTrue(m.contains("flag --wan-rtt") && m.contains("'wan-rtt'"), m);
    m = assertThrows(ScenarioException.class, () -> ScenarioFile.parse(FULL, "t.scenario", "t",
        List.of(new ScenarioFile.Override("subnet.attic.clients", "3", "flag --set")))).getMessage();
    assertTrue(m.contains("no [subnet.attic]"), m);
    m = assertThrows(ScenarioException.class, () -> ScenarioFile.parse(FULL, "t.scenario", "t",
        List.of(new ScenarioFile.Override("site.colour", "blue", "flag --set")))).getMessage();
    assertTrue(m.contains("unknown key 'colour'"), m);
  }

  @Test
  void zeroDurationsAndDefaults() {
    Scenario s = parse(List.of("[site]", "wan-rate = 1Gbit", "[subnet.a]", "clients = 3", "[package.p]", "size = 1MiB"));
    assertEquals("t", s.name());
    assertEquals(Duration.ZERO, s.wanRtt());
    assertEquals(1_000_000_000L, s.subnets().get(0).lanBitsPerSecond());
    assertEquals(Scenario.Pattern.ALL_AT_ONCE, s.arrival().pattern());
    assertEquals(Duration.ZERO, s.arrival().window());
    assertEquals(Scenario.Faults.NONE, s.faults());
    assertEquals(Duration.ofHours(1), s.timeLimit());
    assertTrue(error(List.of("[site]", "wan-rate = 1Gbit", "[subnet.a]", "clients = 3", "[package.p]", "size = 1MiB",
        "[arrival]", "pattern = uniform")).contains("uniform needs a window"));
  }

  @Test
  void readsAFileAndNamesIt(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("Branch Office.scenario");
    Files.write(f, List.of("[site]", "wan-rate = 10Mbit", "[subnet.a]", "clients = 2", "[package.p]", "size = 1MiB",
        "[faults]", "leave-after = 3s"));
    Scenario s = ScenarioFile.read(f, List.of());
    assertEquals("branch-office", s.name());
    assertEquals(Duration.ofSeconds(3), s.faults().leaveAfter().after());
    assertTrue(assertThrows(ScenarioException.class, () -> ScenarioFile.read(dir.resolve("nope.scenario"), List.of()))
        .getMessage().contains("no such scenario file"));
  }

  @Test
  void shippedScenariosParseAndFlashCrowdIsIssue8s() {
    for (String name : Scenarios.SHIPPED) {
      Scenario s = Scenarios.shipped(name, List.of());
      assertEquals(name, s.name());
      assertFalse(s.description().isEmpty(), name);
    }
    Scenario f = Scenarios.load("flash-crowd-1000", List.of());
    assertEquals(1000, f.clients());
    assertEquals(1, f.subnets().size());
    assertEquals(1L << 30, f.packages().get(0).sizeBytes());
    assertEquals(100_000_000L, f.wanBitsPerSecond());
    assertEquals(1_000_000_000L, f.subnets().get(0).lanBitsPerSecond());
    assertEquals(new Scenario.Arrival(Scenario.Pattern.ALL_AT_ONCE, Duration.ofSeconds(1), 0, 0), f.arrival());
    Scenario live = Scenarios.load("live-16", List.of());
    assertEquals(16, live.clients());
    assertEquals(100L << 20, live.packages().get(0).sizeBytes());
    assertEquals(Duration.ofMillis(20), live.wanRtt());
    assertEquals(Duration.ZERO, live.arrival().window());
    Scenario spread = Scenarios.load("live-16-spread", List.of());
    assertEquals(new Scenario.Arrival(Scenario.Pattern.UNIFORM, Duration.ofSeconds(30), 0, 0), spread.arrival());
    assertTrue(assertThrows(ScenarioException.class, () -> Scenarios.load("no-such-one", List.of())).getMessage()
        .contains("no shipped scenario named 'no-such-one'"));
  }
}
