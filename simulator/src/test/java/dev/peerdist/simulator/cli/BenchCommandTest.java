package dev.peerdist.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code peerdist bench} is registered and rejects bad input with one line and exit code 2. */
class BenchCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void isRegisteredWithHelp() {
    assertEquals(0, run("bench", "--help"));
    assertTrue(out.toString().contains("--only=hashing|store|serving"), out.toString());
  }

  @Test
  void badPartIsAUsageError() {
    assertEquals(2, run("bench", "--only", "disk"));
    assertTrue(err.toString().contains("--only"), err.toString());
  }

  @Test
  void missingDirectoryIsAUsageError() {
    assertEquals(2, run("bench", "--only", "serving", "--dir", "/nonexistent/peerdist-bench"));
    assertTrue(err.toString().contains("--dir: not a directory"), err.toString());
  }

  @Test
  void badConnectionCountIsAUsageError() {
    assertEquals(2, run("bench", "--only", "serving", "--connections", "-3"));
    assertTrue(err.toString().contains("--connections"), err.toString());
  }
}
