package dev.peerdist.simulator.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The local process behind a target, for its memory: by pid, or by the TCP port it listens on
 * ({@code /proc/net/tcp*} gives the socket inode, {@code /proc/PID/fd} the process holding it).
 * Linux only; absent anywhere else or when the process belongs to another network namespace.
 */
public final class TargetProcess {
  private TargetProcess() {}

  /** The pid of the process listening on TCP {@code port} in this network namespace, if any. */
  public static OptionalLong listeningOn(int port) {
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st ... inode (field 9); st 0A = LISTEN.
          if (f.length > 9 && f[1].contains(":") && f[3].equals("0A")) {
            int p = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
            if (p == port) {
              inodes.add("socket:[" + f[9] + "]");
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        // No such table here: nothing found in it.
      }
    }
    if (inodes.isEmpty()) {
      return OptionalLong.empty();
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
          for (Path fd : fds) {
            try {
              if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
              }
            } catch (IOException e) {
              // The fd closed meanwhile.
            }
          }
        } catch (IOException | SecurityException e) {
          // Another user's process or gone.
        }
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  /** Resident memory of {@code pid} in bytes ({@code VmRSS}), if readable. */
  public static OptionalLong rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          long kb = Long.parseLong(f[0]);
          return OptionalLong.of(f.length > 1 && f[1].toLowerCase(Locale.ROOT).equals("kb") ? kb * 1024 : kb);
        }
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }
}
