package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.logging.LogSettings;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class LoggingSetupTest {
  @AfterEach
  void reset() {
    LogSettings.level("test.peerdist.levels", Level.WARN);
    LogSettings.level("test.peerdist.other", Level.WARN);
  }

  @Test
  void perLoggerLevelsComeFromTheEnvironmentAndBadEntriesAreIgnored() {
    LoggingSetup.beforeFirstLogger(new String[] {"run"},
        Map.of("PEERDIST_LOG_LEVELS", "test.peerdist.levels=debug, nonsense ,test.peerdist.other=loud"));
    assertTrue(LoggerFactory.getLogger("test.peerdist.levels.Sub").isDebugEnabled());
    assertFalse(LoggerFactory.getLogger("test.peerdist.levelsX").isDebugEnabled(), "a prefix is a whole name part");
    assertFalse(LoggerFactory.getLogger("test.peerdist.other").isDebugEnabled(), "an unknown level changes nothing");
  }
}
