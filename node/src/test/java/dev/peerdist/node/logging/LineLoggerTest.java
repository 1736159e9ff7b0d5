package dev.peerdist.node.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** peerdist's SLF4J backend through the real SLF4J API: formats, levels, stack-trace policy. */
class LineLoggerTest {
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private final Logger log = LoggerFactory.getLogger("dev.peerdist.test.LoggerUnderTest");

  @BeforeEach
  void capture() {
    LogSettings.output(new PrintStream(buf, true, StandardCharsets.UTF_8));
    LogSettings.defaultLevel(Level.INFO);
    LogSettings.level("dev.peerdist.test", Level.INFO);
    LogSettings.format(LogFormat.TEXT);
  }

  @AfterEach
  void restore() {
    LogSettings.output(System.err);
    LogSettings.format(LogFormat.TEXT);
    LogSettings.level("dev.peerdist.test", Level.INFO);
  }

  private String out() {
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theSlf4jProviderIsOurs() {
    assertTrue(log.getClass().getName().endsWith("LineLogger"), log.getClass().getName());
  }

  @Test
  void textLineHasLevelLoggerAndFormattedMessage() {
    log.info("hello {} of {}", "world", 3);
    log.debug("not shown at INFO");
    String s = out();
    assertEquals(1, s.lines().count(), s);
    assertTrue(s.contains(" INFO  [") && s.contains("LoggerUnderTest - hello world of 3"), s);
  }

  @Test
  void jsonIsOneObjectPerLineWithKeyValueFields() {
    LogSettings.format(LogFormat.JSON);
    log.atInfo().addKeyValue("bytes_peer", 42L).addKeyValue("url", "http://x/\"q\"").log("download {}", "d1");
    log.warn("line\nbreak");
    String[] lines = out().split("\n");
    assertEquals(2, lines.length, out());
    assertTrue(lines[0].startsWith("{\"ts\":\"") && lines[0].endsWith("}"), lines[0]);
    assertTrue(lines[0].contains("\"level\":\"INFO\""), lines[0]);
    assertTrue(lines[0].contains("\"msg\":\"download d1\""), lines[0]);
    assertTrue(lines[0].contains("\"bytes_peer\":42"), lines[0]);
    assertTrue(lines[0].contains("\"url\":\"http://x/\\\"q\\\"\""), lines[0]);
    assertTrue(lines[1].contains("\"msg\":\"line\\nbreak\""), "newlines escaped, one line per event: " + lines[1]);
  }

  @Test
  void expectedErrorsGetOneLineWithoutStackTrace() {
    log.warn("cannot reach peer", new CompletionException(new ConnectException("Connection refused")));
    String s = out();
    assertEquals(1, s.lines().count(), s);
    assertTrue(s.contains("ConnectException: Connection refused"), s);
    assertFalse(s.contains("\tat "), s);
  }

  @Test
  void bugsGetTheirStackTrace() {
    log.error("unexpected", new IllegalStateException("broken invariant"));
    String s = out();
    assertTrue(s.contains("IllegalStateException: broken invariant"), s);
    assertTrue(s.contains("\tat "), "a bug's trace is printed: " + s);
  }

  @Test
  void debugLevelPrintsTracesOfExpectedErrorsToo() {
    LogSettings.level("dev.peerdist.test", Level.DEBUG);
    log.debug("detail", new java.io.IOException("disk"));
    assertTrue(out().contains("\tat "), out());
  }

  @Test
  void jsonCarriesErrorAndOnlyBugsCarryStack() {
    LogSettings.format(LogFormat.JSON);
    log.warn("io", new java.io.IOException("reset"));
    log.error("bug", new NullPointerException("npe"));
    String[] lines = out().split("\n");
    assertEquals(2, lines.length, out());
    assertTrue(lines[0].contains("\"error\":\"IOException: reset\"") && !lines[0].contains("\"stack\""), lines[0]);
    assertTrue(lines[1].contains("\"stack\":\"java.lang.NullPointerException: npe\\n\\tat "), lines[1]);
  }

  @Test
  void longestPrefixWins() {
    LogSettings.level("dev.peerdist", Level.ERROR);
    LogSettings.level("dev.peerdist.test", Level.DEBUG);
    assertEquals(Level.DEBUG, LogSettings.levelOf("dev.peerdist.test.X"));
    assertEquals(Level.ERROR, LogSettings.levelOf("dev.peerdist.node.Y"));
    assertEquals(Level.ERROR, LogSettings.levelOf("dev.peerdist"));
    LogSettings.level("dev.peerdist", Level.INFO);
  }

  @Test
  void aLevelChangedAfterTheLoggerWasAskedTakesEffectAtOnce() {
    // Names of their own: prefixes cannot be removed, and the other tests use dev.peerdist.test.
    Logger probe = LoggerFactory.getLogger("dev.peerdist.leveltest.Probe");
    LogSettings.level("dev.peerdist.leveltest", Level.INFO);
    assertFalse(probe.isDebugEnabled());
    LogSettings.level("dev.peerdist.leveltest", Level.DEBUG);
    assertTrue(probe.isDebugEnabled());
    LogSettings.level("dev.peerdist.leveltest.Probe", Level.WARN);
    assertFalse(probe.isInfoEnabled());
    assertTrue(probe.isWarnEnabled());
    LogSettings.level("dev.peerdist.leveltest.Probe", Level.TRACE);
    assertTrue(probe.isTraceEnabled());
    // A prefix is a whole name part: "dev.peerdist.leveltest.Pro" does not name this logger.
    LogSettings.level("dev.peerdist.leveltest.Probe", Level.INFO);
    LogSettings.level("dev.peerdist.leveltest.Pro", Level.ERROR);
    assertTrue(probe.isInfoEnabled());
    LogSettings.defaultLevel(Level.ERROR);
    assertTrue(probe.isInfoEnabled(), "the logger's own prefix still wins over the default");
    LogSettings.defaultLevel(Level.INFO);
    LogSettings.level("dev.peerdist.leveltest.Probe", Level.ERROR);
    assertFalse(probe.isWarnEnabled());
  }
}
