package dev.peerdist.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.cli.Main;
import dev.peerdist.simulator.scenario.Scenario;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code peerdist simulate} runs a small site, prints the table, and rejects bad input in one line. */
class SimulateCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void smallSitePrintsTheTable() {
    assertEquals(0, run("simulate", "--subnets", "1", "--nodes-per-subnet", "1", "--size", "1MiB", "--wan", "10Mbit"),
        err.toString());
    String text = out.toString();
    assertTrue(text.contains("WAN bytes ÷ package size"), text);
    // One node: the package once, plus its content information (614 bytes of 1 MiB).
    assertTrue(text.matches("(?s).*WAN bytes ÷ package size\\s+1\\.00.*"), text);
  }

  @Test
  void tooManyNodesIsAUsageError() {
    assertEquals(2, run("simulate", "--subnets", "2", "--nodes-per-subnet", "60000"));
    assertTrue(err.toString().contains("100000"), err.toString());
  }

  @Test
  void badSizeIsAUsageError() {
    assertEquals(2, run("simulate", "--size", "lots"));
    assertTrue(err.toString().contains("--size"), err.toString());
  }

  @Test
  void legacyFlagsBecomeAScenarioWithTheNodesParsers() {
    SimulateCommand c = new SimulateCommand();
    new CommandLine(c).parseArgs("--subnets", "3", "--nodes-per-subnet", "7", "--size", "256MiB", "--wan", "20Mbit",
        "--lan", "1.5Gbit/s", "--wan-rtt", "40ms", "--rollout-window", "5min", "--waves", "5", "--vanish", "0.1");
    Scenario s = c.legacyScenario();
    assertEquals(3, s.subnets().size());
    assertEquals(21, s.clients());
    assertEquals(256L << 20, s.packages().get(0).sizeBytes());
    assertEquals(20_000_000L, s.wanBitsPerSecond());
    assertEquals(1_500_000_000L, s.subnets().get(2).lanBitsPerSecond());
    assertEquals(Duration.ofMillis(40), s.wanRtt());
    assertEquals(Duration.ofMinutes(5), s.arrival().window());
    assertEquals(Scenario.Pattern.WAVES, s.arrival().pattern());
    assertEquals(5, s.arrival().waves());
    assertEquals(0.1, s.faults().leaveFraction());
    new CommandLine(c).parseArgs("--rollout-window", "0");
    assertEquals(Duration.ZERO, c.legacyScenario().arrival().window());
    assertEquals(Scenario.Pattern.ALL_AT_ONCE, c.legacyScenario().arrival().pattern());
  }

  @Test
  void legacyFormSaysItIsDeprecated() {
    assertEquals(0, run("simulate", "--subnets", "1", "--nodes-per-subnet", "2", "--size", "1MiB"), err.toString());
    assertTrue(err.toString().contains("deprecated") && err.toString().contains("simulate model --scenario"),
        err.toString());
  }

  @Test
  void aRunStoppedByTheEventCapNamesMaxEvents() {
    assertEquals(1, run("simulate", "model", "--scenario", "live-smoke", "-q", "--max-events", "1000"));
    assertTrue(err.toString().contains("event cap (--max-events 1000)")
        && err.toString().contains("downloads unfinished"), err.toString());
  }

  @Test
  void theDefaultEventCapComesFromTheScenario() {
    assertEquals(0, run("simulate", "model", "--help"));
    assertTrue(out.toString().contains("Default: from the scenario"), out.toString());
  }
}
