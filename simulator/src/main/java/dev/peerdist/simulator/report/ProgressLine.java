package dev.peerdist.simulator.report;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/** Prints a run's progress to a stream (stderr), at most once per {@code interval} of wall time. */
public final class ProgressLine implements RunOptions.Progress {
  private final PrintWriter out;
  private final String prefix;
  private final LongSupplier nanoTime;
  private final long intervalNanos;
  private long last;
  private long lastEvents;

  /**
   * @param out where lines go
   * @param prefix e.g. {@code simulate}
   * @param nanoTime the wall clock ({@code System::nanoTime})
   * @param intervalNanos the least time between two lines
   */
  public ProgressLine(PrintWriter out, String prefix, LongSupplier nanoTime, long intervalNanos) {
    this.out = out;
    this.prefix = prefix;
    this.nanoTime = nanoTime;
    this.intervalNanos = intervalNanos;
    this.last = nanoTime.getAsLong();
  }

  /** One line a second on {@code out}. */
  public static ProgressLine everySecond(PrintWriter out, String prefix) {
    return new ProgressLine(out, prefix, System::nanoTime, 1_000_000_000L);
  }

  @Override
  public void update(double seconds, int downloadsDone, int downloads, long events, long wanBytes) {
    long now = nanoTime.getAsLong();
    if (now - last < intervalNanos) {
      return;
    }
    double wall = (now - last) / 1e9;
    String rate = events > 0 ? String.format(Locale.ROOT, ", %d events (%.0f/s)", events,
        (events - lastEvents) / wall) : "";
    last = now;
    lastEvents = events;
    out.printf(Locale.ROOT, "%s: %.1f s, %d of %d downloads done, WAN %.1f MiB%s%n", prefix, seconds, downloadsDone,
        downloads, wanBytes / 1048576.0, rate);
    out.flush();
  }
}
