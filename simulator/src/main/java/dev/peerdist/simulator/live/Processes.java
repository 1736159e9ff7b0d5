package dev.peerdist.simulator.live;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Every process the live harness starts, so that all of them are stopped at the end, on failure
 * and on Ctrl-C (and their children: a {@code bash -c 'curl | openssl dgst'} pipeline). Java
 * processes carry {@code -Dpeerdist.live=RUN} so that {@code simulate live --cleanup} can find
 * leftovers of a harness that was killed.
 */
final class Processes implements AutoCloseable {
  /** The system property that marks a JVM started by a live run. */
  static final String MARKER = "peerdist.live";

  /** Reads the output of short commands (daemon threads: never keep the JVM alive). */
  private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "live-command-output");
    t.setDaemon(true);
    return t;
  });

  private final String runId;
  private final List<Process> started = new ArrayList<>();
  private boolean closed;

  Processes(String runId) {
    this.runId = runId;
  }

  /**
   * The installed launcher of the distribution this JVM runs from ({@code HOME/lib/*.jar} on the
   * class path and an executable {@code HOME/bin/peerdist}), or empty (a build's class path, as in
   * the tests).
   */
  static java.util.Optional<Path> launcher() {
    for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
      Path jar = Path.of(entry).toAbsolutePath();
      Path lib = jar.getParent();
      if (entry.endsWith(".jar") && lib != null && lib.getFileName() != null
          && lib.getFileName().toString().equals("lib") && lib.getParent() != null) {
        Path bin = lib.getParent().resolve("bin").resolve("peerdist");
        if (Files.isExecutable(bin)) {
          return java.util.Optional.of(bin);
        }
      }
    }
    return java.util.Optional.empty();
  }

  /** The launcher {@link #daemon} starts daemons through with {@code jvmOptions}, or empty (java). */
  static java.util.Optional<Path> daemonLauncher(List<String> jvmOptions) {
    return jvmOptions.equals(LiveSite.DAEMON_JVM_OPTIONS) ? launcher() : java.util.Optional.empty();
  }

  /**
   * The command that runs the daemon, {@code peerdist run ARGS}: through the installed launcher
   * when the harness runs from a distribution and {@code jvmOptions} are the launcher's own (so a
   * live figure is what an installed node does: its memory budget, JIT settings and start-up
   * archive), else as {@link #peerdist}. The run marker travels in {@code PEERDIST_JAVA_OPTS},
   * after {@code PEERDIST_LIVE_JAVA_OPTS} of the harness's environment: JVM options for the
   * daemons only, to look into them with (e.g. {@code -Xlog:safepoint}), while the harness's own
   * {@code PEERDIST_JAVA_OPTS} (its heap) stays the harness's.
   */
  List<String> daemon(List<String> jvmOptions, List<String> args) {
    java.util.Optional<Path> launcher = daemonLauncher(jvmOptions);
    if (launcher.isEmpty()) {
      return peerdist(jvmOptions, args);
    }
    String inherited = System.getenv().getOrDefault("PEERDIST_LIVE_JAVA_OPTS", "").strip();
    List<String> cmd = new ArrayList<>(List.of("env",
        "PEERDIST_JAVA_OPTS=" + (inherited.isEmpty() ? "" : inherited + " ") + "-D" + MARKER + "=" + runId,
        launcher.get().toString()));
    cmd.addAll(args);
    return cmd;
  }

  /** The command that runs {@code peerdist ARGS} in a new JVM with this JVM's classpath. */
  List<String> peerdist(List<String> jvmOptions, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-D" + MARKER + "=" + runId);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.peerdist.node.cli.Main");
    cmd.addAll(args);
    return cmd;
  }

  /** Starts {@code cmd} with stdout and stderr to {@code log}. */
  synchronized Process start(List<String> cmd, Path log, Map<String, String> env) throws IOException {
    if (closed) {
      throw new IOException("the live run is stopping");
    }
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    b.environment().putAll(env);
    Process p = b.start();
    started.add(p);
    return p;
  }

  /** Starts {@code cmd} with its output readable by the caller (stderr merged). */
  synchronized Process startPiped(List<String> cmd) throws IOException {
    if (closed) {
      throw new IOException("the live run is stopping");
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    started.add(p);
    return p;
  }

  /**
   * Runs a short command to its end.
   *
   * @return its exit code and output (stdout and stderr)
   * @throws IOException when it cannot start or does not end within {@code seconds}
   */
  Result run(List<String> cmd, String stdin, long seconds) throws IOException {
    // Short commands run even while closing: cleanup itself is made of them.
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
      try (InputStream in = p.getInputStream()) {
        return in.readNBytes(4 << 20);
      } catch (IOException e) {
        return new byte[0];
      }
    }, READERS);
    try {
      try (var stdinStream = p.getOutputStream()) {
        if (stdin != null) {
          stdinStream.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        stop(p, true);
        throw new IOException("timed out after " + seconds + " s: " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop(p, true);
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("no output from " + String.join(" ", cmd), e);
    }
  }

  /** Runs a short command; a non-zero exit is an IOException with its output. */
  String check(List<String> cmd, String stdin, long seconds) throws IOException {
    Result r = run(cmd, stdin, seconds);
    if (r.code() != 0) {
      throw new IOException("'" + String.join(" ", cmd) + "' failed (" + r.code() + "): " + r.output().trim());
    }
    return r.output();
  }

  /** A finished short command. */
  record Result(int code, String output) {}

  /** Stops {@code p} and its children: SIGTERM (SIGKILL when {@code kill}), then SIGKILL after 5 s. */
  static void stop(Process p, boolean kill) {
    List<ProcessHandle> children = p.descendants().toList();
    for (ProcessHandle c : children) {
      if (kill) {
        c.destroyForcibly();
      } else {
        c.destroy();
      }
    }
    if (kill) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /** Stops every process still running (newest first); idempotent. */
  @Override
  public void close() {
    List<Process> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(started);
    }
    // SIGTERM to all first (daemons shut down in parallel), then wait for each.
    for (int i = all.size() - 1; i >= 0; i--) {
      Process p = all.get(i);
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      stop(all.get(i), false);
    }
  }

  /** Last {@code max} characters of a log file, for error messages. */
  static String tail(Path log, int max) {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() <= max ? s : "…" + s.substring(s.length() - max);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
