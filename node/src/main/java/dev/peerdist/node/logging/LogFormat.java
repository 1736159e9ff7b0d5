package dev.peerdist.node.logging;

import java.util.Locale;

/** How log lines are written: readable text, or one JSON object per line for log shippers. */
public enum LogFormat {
  TEXT,
  JSON;

  /** Parses {@code text} or {@code json} (any case). */
  public static LogFormat parse(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default -> throw new IllegalArgumentException("'" + s + "' is not text or json");
    };
  }

  /** The config value, {@code text} or {@code json}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
