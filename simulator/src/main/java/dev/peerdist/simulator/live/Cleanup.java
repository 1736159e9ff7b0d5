package dev.peerdist.simulator.live;

import dev.peerdist.node.demo.DemoFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code peerdist simulate live --cleanup}: removes what live runs left behind when they could not
 * clean up themselves (the harness was killed): processes in {@code pdsim-*} namespaces, JVMs
 * marked {@code -Dpeerdist.live=…}, the namespaces (their veths, bridges and qdiscs go with them)
 * and work directories {@code pdsim-*} in the temporary directory that carry the marker file.
 */
public final class Cleanup {
  /** The marker file in a live run's work directory. */
  static final String MARKER_FILE = ".peerdist-live";

  private Cleanup() {}

  /** Removes every leftover; returns one line per thing removed. */
  public static List<String> leftovers(Path tmp) {
    List<String> done = new ArrayList<>();
    Processes p = new Processes("cleanup");
    List<String> namespaces = new ArrayList<>();
    try {
      Processes.Result r = p.run(List.of("ip", "netns", "list"), null, 30);
      for (String line : r.output().split("\n")) {
        String name = line.trim().split("\\s+")[0];
        if (name.startsWith(LiveNetwork.PREFIX)) {
          namespaces.add(name);
        }
      }
    } catch (IOException e) {
      done.add("cannot list namespaces (" + e.getMessage() + ")");
    }
    long self = ProcessHandle.current().pid();
    for (String ns : namespaces) {
      try {
        for (String pid : p.run(List.of("ip", "netns", "pids", ns), null, 30).output().split("\\s+")) {
          if (!pid.isBlank() && Long.parseLong(pid.trim()) != self) {
            ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(h -> {
              h.destroyForcibly();
              done.add("killed process " + h.pid() + " in " + ns);
            });
          }
        }
      } catch (IOException | NumberFormatException e) {
        done.add("cannot list processes of " + ns + " (" + e.getMessage() + ")");
      }
    }
    ProcessHandle.allProcesses().filter(h -> h.pid() != self && marked(h)).forEach(h -> {
      h.destroyForcibly();
      done.add("killed process " + h.pid() + " (-D" + Processes.MARKER + ")");
    });
    for (String ns : namespaces) {
      try {
        Processes.Result r = p.run(List.of("ip", "netns", "delete", ns), null, 30);
        done.add(r.code() == 0 ? "deleted namespace " + ns : "could not delete " + ns + ": " + r.output().trim());
      } catch (IOException e) {
        done.add("could not delete " + ns + ": " + e.getMessage());
      }
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, LiveNetwork.PREFIX + "*")) {
      for (Path d : dirs) {
        if (Files.isDirectory(d) && Files.exists(d.resolve(MARKER_FILE))) {
          DemoFiles.deleteTree(d);
          done.add("deleted work directory " + d);
        }
      }
    } catch (IOException e) {
      done.add("cannot clean " + tmp + ": " + e.getMessage());
    }
    return done;
  }

  private static boolean marked(ProcessHandle h) {
    Optional<String[]> args = h.info().arguments();
    if (args.isPresent()) {
      for (String a : args.get()) {
        if (a.startsWith("-D" + Processes.MARKER + "=")) {
          return true;
        }
      }
      return false;
    }
    try {
      byte[] cmd = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
      return new String(cmd, StandardCharsets.UTF_8).contains("-D" + Processes.MARKER + "=");
    } catch (IOException e) {
      return false;
    }
  }
}
