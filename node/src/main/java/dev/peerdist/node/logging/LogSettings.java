package dev.peerdist.node.logging;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.event.Level;

/**
 * What peerdist's logger writes and where: the level per logger-name prefix, the format, the
 * stream. Process-wide and changeable at any time (the CLI sets it before the first log line; a
 * config reload may switch the format), so every field is read on each event.
 */
public final class LogSettings {
  private static volatile Level defaultLevel = Level.WARN;
  private static final Map<String, Level> PREFIX_LEVELS = new ConcurrentHashMap<>();
  private static volatile LogFormat format = LogFormat.TEXT;
  private static volatile PrintStream out = System.err;
  /**
   * Bumped by every level change, so that a logger may keep its effective level until the next
   * change: {@code isDebugEnabled()} runs on hot paths (Netty asks it per read), and matching the
   * prefixes each time cost the download loop 9 % of its samples on the live site.
   */
  private static final AtomicInteger LEVEL_GENERATION = new AtomicInteger();

  private LogSettings() {}

  /** The level of loggers without a more specific prefix setting. */
  public static void defaultLevel(Level level) {
    defaultLevel = level;
    LEVEL_GENERATION.incrementAndGet();
  }

  /** Sets the level of every logger whose name starts with {@code prefix} (e.g. {@code io.netty}). */
  public static void level(String prefix, Level level) {
    PREFIX_LEVELS.put(prefix, level);
    LEVEL_GENERATION.incrementAndGet();
  }

  /** Changes with every call of {@link #defaultLevel} or {@link #level}. */
  static int levelGeneration() {
    return LEVEL_GENERATION.get();
  }

  public static void format(LogFormat f) {
    format = f;
  }

  public static LogFormat format() {
    return format;
  }

  /** Where lines go (stderr unless tests redirect it). */
  public static void output(PrintStream stream) {
    out = stream;
  }

  static PrintStream output() {
    return out;
  }

  /** The effective level of logger {@code name}: its longest matching prefix, else the default. */
  static Level levelOf(String name) {
    Level best = defaultLevel;
    int bestLength = -1;
    for (Map.Entry<String, Level> e : PREFIX_LEVELS.entrySet()) {
      String p = e.getKey();
      if (p.length() > bestLength && name.startsWith(p)
          && (name.length() == p.length() || name.charAt(p.length()) == '.')) {
        best = e.getValue();
        bestLength = p.length();
      }
    }
    return best;
  }

  /** Parses {@code error|warn|info|debug|trace}. */
  public static Level parseLevel(String s) {
    return Level.valueOf(s.trim().toUpperCase(Locale.ROOT));
  }
}
