package dev.peerdist.discovery.transport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Test support: a network namespace joined to this one by a veth pair ({@code here} in this
 * namespace, {@code there} inside it), torn down by {@link #close()}, and child JVMs run inside
 * it. Needs root and iproute2; {@link #create()} skips the test (with the reason) otherwise.
 */
final class Netns implements AutoCloseable {
  final String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
  final String ns = "pdtest" + tag;
  final String here = "pdva" + tag;
  final String there = "pdvb" + tag;
  private final List<Child> children = new ArrayList<>();

  private Netns() {}

  /** A namespace with the veth pair, both ends down and without addresses. */
  static Netns create() throws InterruptedException {
    Assumptions.assumeTrue(root(), "needs root to create network namespaces (CI runs as root)");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/sbin/ip")) || Files.isExecutable(Path.of("/usr/sbin/ip"))
        || Files.isExecutable(Path.of("/bin/ip")), "needs iproute2");
    Netns n = new Netns();
    try {
      run("ip", "netns", "add", n.ns);
      run("ip", "link", "add", n.here, "type", "veth", "peer", "name", n.there);
      run("ip", "link", "set", n.there, "netns", n.ns);
      run("ip", "-n", n.ns, "link", "set", "lo", "up");
    } catch (IOException e) {
      n.close();
      Assumptions.abort("cannot build a veth pair between namespaces here: " + e.getMessage());
    }
    return n;
  }

  static boolean root() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      return p.waitFor(5, TimeUnit.SECONDS) && "0".equals(out);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs a command and returns its output; fails with the output when it exits non-zero. */
  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
    }
    return out;
  }

  private static void quietly(String... cmd) {
    try {
      run(cmd);
    } catch (IOException | InterruptedException ignored) {
      // Clean-up of something that may already be gone.
    }
  }

  /** Runs {@code ip ARGS} inside the namespace. */
  String inside(String... args) throws IOException, InterruptedException {
    String[] cmd = new String[args.length + 3];
    cmd[0] = "ip";
    cmd[1] = "-n";
    cmd[2] = ns;
    System.arraycopy(args, 0, cmd, 3, args.length);
    return run(cmd);
  }

  /** A child JVM running {@code main} of {@code mainClass} inside the namespace. */
  Child java(Class<?> mainClass, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), mainClass.getName()));
    cmd.addAll(List.of(args));
    Child c = new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    children.add(c);
    return c;
  }

  /** A child process whose output lines are collected as they come. */
  static final class Child {
    final Process process;
    final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    Child(Process process) {
      this.process = process;
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
            queue.add(line);
          }
        } catch (IOException ignored) {
          // The child went away.
        }
      }, "netns-child-output");
      t.setDaemon(true);
      t.start();
    }

    /** The next line starting with {@code prefix} within {@code seconds}, or null. */
    String await(String prefix, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        String line = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null || line.startsWith(prefix)) {
          return line;
        }
      }
    }

    void stop() throws IOException, InterruptedException {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Child c : children) {
      try {
        c.stop();
      } catch (IOException e) {
        c.process.destroyForcibly();
      }
    }
    quietly("ip", "netns", "del", ns);
    quietly("ip", "link", "del", here);
  }
}
