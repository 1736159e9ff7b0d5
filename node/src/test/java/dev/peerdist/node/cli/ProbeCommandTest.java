package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code peerdist probe} argument errors: one line on stderr, exit 2, nothing sent. */
class ProbeCommandTest {
  private String out;
  private String err;

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cl.setOut(new PrintWriter(o, true));
    cl.setErr(new PrintWriter(e, true));
    int code = cl.execute(args);
    out = o.toString();
    err = e.toString();
    return code;
  }

  @Test
  void aMalformedIdIsAUsageError() {
    assertEquals(ExitCodes.USAGE, run("probe", "XYZ", "--interface", "lo"));
    assertTrue(err.startsWith("peerdist: SEGMENT_ID 'XYZ' is not a segment id"), err);
    assertEquals(1, err.strip().lines().count(), err);
    assertEquals("", out);
    assertEquals(ExitCodes.USAGE, run("probe", "ABC", "--interface", "lo"));
    assertTrue(err.contains("SEGMENT_ID 'ABC'"), err);
  }

  @Test
  void badOptionsAreUsageErrors() {
    String id = "491B217DBEE2B5F12CA79B015E06F4BBE64F9745BAD7867AEF17DE59927EDCE9";
    assertEquals(ExitCodes.USAGE, run("probe", id, "--family", "ipx"));
    assertTrue(err.contains("--family"), err);
    assertEquals(ExitCodes.USAGE, run("probe", id, "--timeout", "soon"));
    assertTrue(err.contains("--timeout"), err);
    assertEquals(ExitCodes.USAGE, run("probe", id, "--interface", "no-such-if0"));
    assertTrue(err.contains("no network interface named 'no-such-if0'"), err);
    assertEquals(ExitCodes.USAGE, run("probe", id, "--port", "0", "--interface", "lo"));
    assertTrue(err.contains("--port"), err);
    assertEquals(ExitCodes.USAGE, run("probe"));
  }
}
