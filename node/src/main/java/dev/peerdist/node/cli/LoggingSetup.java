package dev.peerdist.node.cli;

/**
 * Configures slf4j-simple before the first logger exists: WARN by default so that commands print
 * only their own output, INFO for {@code run}/{@code publish}, DEBUG with {@code --verbose}.
 */
public final class LoggingSetup {
  private static volatile boolean verbose;

  private LoggingSetup() {}

  /** Reads {@code -v}/{@code --verbose} and the command name from the raw arguments. */
  public static void beforeFirstLogger(String[] args) {
    String level = "warn";
    for (String a : args) {
      if (a.equals("-v") || a.equals("--verbose")) {
        verbose = true;
      }
    }
    if (args.length > 0 && (args[0].equals("run") || args[0].equals("publish"))) {
      level = "info";
    }
    if (verbose) {
      level = "debug";
    }
    if (args.length > 0 && args[0].equals("demo") && !verbose) {
      // The demo prints a table; components shutting down must not interleave warnings with it.
      setIfAbsent("org.slf4j.simpleLogger.log.io.netty", "error");
    }
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level);
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.log.io.netty", verbose ? "info" : "warn");
    setIfAbsent("org.slf4j.simpleLogger.log.javax.jmdns", "error");
  }

  /** True when the command line asked for stack traces and debug logs. */
  public static boolean verbose() {
    return verbose;
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
