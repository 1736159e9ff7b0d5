package dev.peerdist.node.cli;

import dev.peerdist.node.logging.LogFormat;
import dev.peerdist.node.logging.LogSettings;
import java.util.Map;
import org.slf4j.event.Level;

/**
 * Configures peerdist's logger ({@link LogSettings}) before the first line is logged: WARN by
 * default so that commands print only their own output, INFO for {@code run}/{@code publish},
 * DEBUG with {@code --verbose}; text or JSON lines from {@code --log-format} or
 * {@code PEERDIST_LOG_FORMAT} ({@code run} also reads {@code log-format} from its config file
 * once loaded, and again on reload).
 */
public final class LoggingSetup {
  private static volatile boolean verbose;

  private LoggingSetup() {}

  /** Reads {@code -v}/{@code --verbose}, {@code --log-format} and the command name from the raw arguments. */
  public static void beforeFirstLogger(String[] args) {
    beforeFirstLogger(args, System.getenv());
  }

  static void beforeFirstLogger(String[] args, Map<String, String> env) {
    Level level = Level.WARN;
    String format = env.get("PEERDIST_LOG_FORMAT");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-v") || a.equals("--verbose")) {
        verbose = true;
      } else if (a.equals("--log-format") && i + 1 < args.length) {
        format = args[i + 1];
      } else if (a.startsWith("--log-format=")) {
        format = a.substring("--log-format=".length());
      }
    }
    if (args.length > 0 && (args[0].equals("run") || args[0].equals("publish"))) {
      level = Level.INFO;
    }
    if (verbose) {
      level = Level.DEBUG;
    }
    if (args.length > 0 && args[0].equals("demo") && !verbose) {
      // The demo prints a table; components shutting down must not interleave warnings with it.
      LogSettings.level("io.netty", Level.ERROR);
    } else {
      LogSettings.level("io.netty", verbose ? Level.INFO : Level.WARN);
    }
    LogSettings.defaultLevel(level);
    LogSettings.level("javax.jmdns", Level.ERROR);
    levels(env.get("PEERDIST_LOG_LEVELS"));
    if (format != null) {
      try {
        LogSettings.format(LogFormat.parse(format));
      } catch (IllegalArgumentException e) {
        // The command's own option parsing or the config loader rejects it with a clear message.
      }
    }
  }

  /**
   * Per-logger levels from {@code PEERDIST_LOG_LEVELS}, e.g. {@code
   * dev.peerdist.node.engine.LoopDriver.actions=debug,io.netty=warn} (a logger-name prefix each). An
   * entry that does not parse is ignored: logging set-up must not stop a command.
   */
  static void levels(String spec) {
    if (spec == null || spec.isBlank()) {
      return;
    }
    for (String entry : spec.split(",")) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      try {
        LogSettings.level(entry.substring(0, eq).trim(), LogSettings.parseLevel(entry.substring(eq + 1)));
      } catch (IllegalArgumentException e) {
        // not a level name
      }
    }
  }

  /** True when the command line asked for stack traces and debug logs. */
  public static boolean verbose() {
    return verbose;
  }
}
