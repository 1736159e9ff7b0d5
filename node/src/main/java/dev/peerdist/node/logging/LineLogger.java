package dev.peerdist.node.logging;

import dev.peerdist.node.admin.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.LoggingEventAware;

/**
 * One log event, one line: text ({@code time LEVEL [thread] logger - message}) or a JSON object
 * ({@code ts, level, logger, thread, msg}, the event's key-value pairs as fields, {@code error}).
 *
 * <p>Stack traces: an expected failure (I/O and network errors, timeouts, malformed input) is
 * written as one line naming the exception, its message and its causes' messages; the full trace
 * is written only when the logger is at DEBUG or finer, or when the exception looks like a bug
 * (any other runtime exception or error). This holds for every library that logs through SLF4J.
 */
final class LineLogger extends LegacyAbstractLogger implements LoggingEventAware {
  private static final long serialVersionUID = 1L;

  /** The effective level as of a generation of the settings. */
  private record Threshold(int generation, int level) {}

  /** The last effective level looked up; null before the first. */
  private transient volatile Threshold cached;

  LineLogger(String name) {
    this.name = name;
  }

  private boolean enabled(Level level) {
    return level.toInt() >= threshold();
  }

  /** The effective level as an int, cached until the settings change (their generation moves). */
  private int threshold() {
    Threshold c = cached;
    int generation = LogSettings.levelGeneration();
    if (c == null || c.generation() != generation) {
      c = new Threshold(generation, LogSettings.levelOf(name).toInt());
      cached = c;
    }
    return c.level();
  }

  @Override
  public boolean isTraceEnabled() {
    return enabled(Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override
  public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override
  public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
      Throwable t) {
    write(level, MessageFormatter.basicArrayFormat(pattern, args), List.of(), t);
  }

  /** The fluent API ({@code LOG.atInfo().addKeyValue(...).log(...)}) arrives here with its pairs. */
  @Override
  public void log(LoggingEvent e) {
    if (!enabled(e.getLevel())) {
      return;
    }
    Object[] args = e.getArgumentArray();
    String msg = args == null ? e.getMessage() : MessageFormatter.basicArrayFormat(e.getMessage(), args);
    List<KeyValuePair> kv = e.getKeyValuePairs() == null ? List.of() : e.getKeyValuePairs();
    write(e.getLevel(), msg, kv, e.getThrowable());
  }

  private void write(Level level, String msg, List<KeyValuePair> pairs, Throwable t) {
    boolean trace = t != null && (enabled(Level.DEBUG) || isBug(t));
    String line = LogSettings.format() == LogFormat.JSON
        ? json(level, msg, pairs, t, trace)
        : text(level, msg, pairs, t, trace);
    PrintStream out = LogSettings.output();
    // One print call per event: lines from concurrent threads never interleave within a line.
    out.print(line);
    out.flush();
  }

  private String text(Level level, String msg, List<KeyValuePair> pairs, Throwable t, boolean trace) {
    StringBuilder sb = new StringBuilder(128);
    sb.append(Instant.now()).append(' ').append(String.format("%-5s", level)).append(" [")
        .append(Thread.currentThread().getName()).append("] ").append(shortName()).append(" - ").append(msg);
    // Key-value pairs are fields of the JSON form only: the message carries the readable form.
    if (t != null && !trace) {
      sb.append(" (").append(summary(t)).append(')');
    }
    sb.append(System.lineSeparator());
    if (trace) {
      sb.append(stackTrace(t));
    }
    return sb.toString();
  }

  private String json(Level level, String msg, List<KeyValuePair> pairs, Throwable t, boolean trace) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ts", Instant.now().toString());
    m.put("level", level.toString());
    m.put("logger", name);
    m.put("thread", Thread.currentThread().getName());
    m.put("msg", msg);
    for (KeyValuePair p : pairs) {
      Object v = p.value;
      m.put(p.key, v == null || v instanceof Number || v instanceof Boolean || v instanceof Map
          || v instanceof List ? v : String.valueOf(v));
    }
    if (t != null) {
      m.put("error", summary(t));
      if (trace) {
        m.put("stack", stackTrace(t));
      }
    }
    return Json.write(m) + "\n";
  }

  /** {@code a.b.C} → {@code C}, as slf4j-simple's short log names. */
  private String shortName() {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(dot + 1);
  }

  /** {@code SocketException: Connection reset; caused by ...}: the type and every message. */
  static String summary(Throwable t) {
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (Throwable c = t; c != null && depth < 5; c = c.getCause(), depth++) {
      if (depth > 0) {
        sb.append("; caused by ");
      }
      sb.append(c.getClass().getSimpleName());
      if (c.getMessage() != null) {
        sb.append(": ").append(c.getMessage());
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return sb.toString();
  }

  /**
   * True for exceptions that point at a defect rather than at the network, the disk or the input:
   * the trace is what a developer needs. Wrappers are judged by what they wrap.
   */
  static boolean isBug(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof IOException || c instanceof UncheckedIOException || c instanceof TimeoutException
        || c instanceof CancellationException || c instanceof InterruptedException
        // A full or shut-down pool: load or shutdown, not a defect.
        || c instanceof RejectedExecutionException) {
      return false;
    }
    String type = c.getClass().getSimpleName();
    // Malformed input: our codecs' DecodeException/FormatException, Netty's DecoderException.
    if (type.endsWith("DecodeException") || type.endsWith("DecoderException") || type.endsWith("FormatException")) {
      return false;
    }
    return c instanceof RuntimeException || c instanceof Error;
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}
