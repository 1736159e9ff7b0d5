package dev.peerdist.simulator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process's resident memory and CPU time from {@code /proc} (Linux), for the per-node figures of
 * issue 12 (start to ready, RSS idle and under load, CPU seconds per MiB received). Elsewhere the
 * figures are unknown (-1 / NaN), never an error.
 */
public final class ProcFigures {
  private ProcFigures() {}

  /** A {@code /proc/PID/status} figure in KiB ({@code "VmRSS:"}, {@code "VmHWM:"}), or -1. */
  public static long statusKib(long pid, String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  /** User + system CPU seconds of a process ({@code /proc/PID/stat}, 100 ticks a second), or NaN. */
  public static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * The JVM of {@code p}: {@code p} itself when it is one, else its first descendant running
   * {@code java} (a node started through {@code ip netns exec} or a shell), else {@code p}.
   */
  public static long javaPid(Process p) {
    if (isJava(p.toHandle())) {
      return p.pid();
    }
    Optional<ProcessHandle> child = p.descendants().filter(ProcFigures::isJava).findFirst();
    return child.map(ProcessHandle::pid).orElse(p.pid());
  }

  private static boolean isJava(ProcessHandle h) {
    return h.info().command().map(c -> c.endsWith("/java") || c.equals("java")).orElse(false);
  }
}
