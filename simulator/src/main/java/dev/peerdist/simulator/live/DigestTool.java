package dev.peerdist.simulator.live;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command the live harness pipes every download into to check its SHA-256: {@code openssl dgst
 * -sha256 -r} where OpenSSL is on the PATH and hashes correctly, else coreutils' {@code sha256sum}.
 * Both print the digest's lower-case hex first, which is all the harness reads.
 *
 * <p>Why not {@code sha256sum} always: on a live site sixteen such pipelines share the machine's two
 * cores with the daemons, and coreutils 9.1 hashes at about 360 MB/s here against OpenSSL's
 * 1,600 MB/s (SHA extensions); in a warm live-16 run its processes took ~5.6 CPU s, a tenth of what
 * the daemons used, all of it taken from the site being measured (docs/PERFORMANCE.md, "The live
 * harness's own hashing, 2026-12-06"). The plain-HTTP baseline of the same run uses the same tool,
 * and so do both sides of {@code peerdist bench --only endtoend}.
 */
public record DigestTool(String name, String shellCommand) {
  /** SHA-256 of no bytes: what a working tool prints for empty input. */
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  static final String OPENSSL = "openssl dgst -sha256";
  static final String SHA256SUM = "sha256sum";

  /**
   * The tool for a PATH ({@code dirs} separated by ':'): OpenSSL when it is there and gives the right
   * digest of empty input within 10 s, else {@code sha256sum}; null when neither is on the PATH.
   */
  static DigestTool choose(String path) {
    Path openssl = find(path, "openssl");
    if (openssl != null && works(List.of(openssl.toString(), "dgst", "-sha256", "-r"))) {
      return new DigestTool(OPENSSL, quoted(openssl) + " dgst -sha256 -r");
    }
    Path sha256sum = find(path, "sha256sum");
    return sha256sum == null ? null : new DigestTool(SHA256SUM, quoted(sha256sum));
  }

  /** {@code p} as one word of a POSIX shell command. */
  static String quoted(Path p) {
    return "'" + p.toString().replace("'", "'\\''") + "'";
  }

  /** {@link #choose(String)} for this process's PATH. */
  public static DigestTool forThisMachine() {
    return choose(machinePath());
  }

  /** This process's PATH ({@code /usr/bin:/bin} when it has none). */
  static String machinePath() {
    return System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
  }

  /**
   * The executable {@code tool} in the first directory of {@code path} (separated by ':') that has
   * one, or null; an empty entry is the current directory, as for the shell.
   */
  static Path find(String path, String tool) {
    for (String dir : path.split(":", -1)) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static boolean works(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      // Wait first (a tool that never ends must not hold the harness); its few bytes of output fit
      // in the pipe meanwhile.
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readNBytes(4096), StandardCharsets.US_ASCII).trim();
      }
      return p.exitValue() == 0 && out.startsWith(EMPTY_SHA256);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
