package dev.peerdist.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.cli.Main;
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
    assertTrue(text.matches("(?s).*WAN bytes ÷ package size\\s+1\\.00.*"), text);
  }

  @Test
  void tooManyNodesIsAUsageError() {
    assertEquals(2, run("simulate", "--subnets", "10", "--nodes-per-subnet", "501"));
    assertTrue(err.toString().contains("at most 5000 nodes"), err.toString());
  }

  @Test
  void badSizeIsAUsageError() {
    assertEquals(2, run("simulate", "--size", "lots"));
    assertTrue(err.toString().contains("--size"), err.toString());
  }

  @Test
  void unitsParse() {
    assertEquals(256L << 20, SimulateCommand.parseSize("256MiB"));
    assertEquals(20_000_000L, SimulateCommand.parseRate("--wan", "20Mbit"));
    assertEquals(1_500_000_000L, SimulateCommand.parseRate("--lan", "1.5Gbit/s"));
    assertEquals(Duration.ofSeconds(60), SimulateCommand.parseTime("--rollout-window", "60s"));
    assertEquals(Duration.ofMillis(40), SimulateCommand.parseTime("--wan-rtt", "40ms"));
  }
}
