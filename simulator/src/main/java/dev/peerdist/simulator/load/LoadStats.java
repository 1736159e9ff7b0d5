package dev.peerdist.simulator.load;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts and latencies of one kind of request ({@code probe} or {@code pccrr}) in a load run.
 * Thread-safe (synchronized: the load is bounded, the lock is never the bottleneck of a network
 * test). At most {@value #MAX_SAMPLES} latencies are kept; beyond that every k-th is kept, so the
 * percentiles stay representative and memory bounded.
 */
public final class LoadStats {
  static final int MAX_SAMPLES = 1 << 20;

  private final String kind;
  private long sent;
  private long ok;
  private long empty;
  private long errors;
  private long timeouts;
  private long bytes;
  private long[] latencies = new long[1024];
  private int samples;
  private long seen;
  private int stride = 1;

  LoadStats(String kind) {
    this.kind = kind;
  }

  synchronized void sent() {
    sent++;
  }

  /** An answer with content (a block, a ProbeMatch) after {@code nanos}. */
  synchronized void ok(long nanos, long payloadBytes) {
    ok++;
    bytes += payloadBytes;
    latency(nanos);
  }

  /** The empty answer (MSG_BLK without a block: busy or not held, PROTOCOL.md §4.6; no ProbeMatch). */
  synchronized void empty(long nanos) {
    empty++;
    if (nanos >= 0) {
      latency(nanos);
    }
  }

  synchronized void error() {
    errors++;
  }

  synchronized void timeout() {
    timeouts++;
  }

  private void latency(long nanos) {
    if (seen++ % stride != 0) {
      return;
    }
    if (samples == latencies.length) {
      if (samples >= MAX_SAMPLES) {
        // Keep every other sample and halve the rate from now on.
        for (int i = 0; i < samples / 2; i++) {
          latencies[i] = latencies[2 * i];
        }
        samples /= 2;
        stride *= 2;
      } else {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
      }
    }
    latencies[samples++] = nanos;
  }

  /** The numbers of a run of {@code seconds}. */
  synchronized Map<String, Object> toMap(double seconds) {
    long[] sorted = Arrays.copyOf(latencies, samples);
    Arrays.sort(sorted);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind);
    m.put("sent", sent);
    m.put("ok", ok);
    m.put("empty", empty);
    m.put("timeouts", timeouts);
    m.put("errors", errors);
    m.put("answers_per_second", seconds > 0 ? (ok + empty) / seconds : 0.0);
    m.put("payload_bytes_per_second", seconds > 0 ? bytes / seconds : 0.0);
    m.put("latency_p50_ms", pct(sorted, 0.50));
    m.put("latency_p90_ms", pct(sorted, 0.90));
    m.put("latency_p99_ms", pct(sorted, 0.99));
    m.put("latency_max_ms", pct(sorted, 1.0));
    return m;
  }

  private static Double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return null;
    }
    int at = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, at))] / 1e6;
  }

  synchronized long sentCount() {
    return sent;
  }

  synchronized long answered() {
    return ok + empty + errors + timeouts;
  }

  /** One line of the summary table. */
  String line(double seconds) {
    Map<String, Object> m = toMap(seconds);
    return String.format(Locale.ROOT, "%-6s %9d %9d %9d %8d %7d %10.0f %9.1f %8s %8s %8s %8s", kind, m.get("sent"),
        m.get("ok"), m.get("empty"), m.get("timeouts"), m.get("errors"), m.get("answers_per_second"),
        (Double) m.get("payload_bytes_per_second") / 1048576.0, ms(m.get("latency_p50_ms")),
        ms(m.get("latency_p90_ms")), ms(m.get("latency_p99_ms")), ms(m.get("latency_max_ms")));
  }

  static String header() {
    return String.format(Locale.ROOT, "%-6s %9s %9s %9s %8s %7s %10s %9s %8s %8s %8s %8s", "kind", "sent", "ok",
        "empty", "timeout", "errors", "answers/s", "MiB/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
  }

  private static String ms(Object v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.2f", (Double) v);
  }
}
