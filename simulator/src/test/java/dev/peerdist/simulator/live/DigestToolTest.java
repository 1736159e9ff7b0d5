package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The live harness's digest command, run for real in the shell pipeline the harness builds. */
class DigestToolTest {
  private static final String MACHINE_PATH = DigestTool.machinePath();

  @Test
  void opensslIsChosenWhereItIsOnThePathAndItsDigestIsWhatTheHarnessReads() throws Exception {
    assumeTrue(DigestTool.find(MACHINE_PATH, "openssl") != null, "openssl is not on this machine's PATH");
    DigestTool t = DigestTool.choose(MACHINE_PATH);
    assertNotNull(t);
    assertEquals(DigestTool.OPENSSL, t.name());
    assertDigestsLikeTheJdk(t);
  }

  @Test
  void withoutOpensslSha256sumIsChosenAndItsDigestIsWhatTheHarnessReads(@TempDir Path dir) throws Exception {
    // A PATH with sha256sum and no openssl, in a directory whose name a shell would split.
    Path bin = binWithSha256sum(dir.resolve("it's bin"), null);
    DigestTool t = DigestTool.choose(bin.toString());
    assertNotNull(t);
    assertEquals(DigestTool.SHA256SUM, t.name());
    assertDigestsLikeTheJdk(t);
  }

  @Test
  void anOpensslThatGivesAWrongDigestIsPassedOver(@TempDir Path dir) throws Exception {
    // An "openssl" that answers, but not with SHA-256 (another program of that name on the PATH).
    Path bin = binWithSha256sum(dir.resolve("bin"), "cat >/dev/null\necho 0000 '*stdin'");
    assertEquals(DigestTool.SHA256SUM, DigestTool.choose(bin.toString()).name());
  }

  @Test
  void anOpensslThatNeverEndsIsPassedOverWithinItsTimeLimit(@TempDir Path dir) throws Exception {
    Path bin = binWithSha256sum(dir.resolve("bin"), "exec sleep 60");
    long t0 = System.nanoTime();
    assertEquals(DigestTool.SHA256SUM, DigestTool.choose(bin.toString()).name());
    assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "choose waited for a tool that never ends");
  }

  @Test
  void noToolOnThePathIsNone(@TempDir Path dir) {
    assertNull(DigestTool.choose(dir.toString()));
    assertNull(DigestTool.choose(""));
  }

  /**
   * A directory {@code bin} with this machine's sha256sum and, unless {@code openssl} is null, an
   * "openssl" script of that body; skips the test without sha256sum.
   */
  private static Path binWithSha256sum(Path bin, String openssl) throws Exception {
    Path sha256sum = DigestTool.find(MACHINE_PATH, "sha256sum");
    assumeTrue(sha256sum != null, "sha256sum is not on this machine's PATH");
    Files.createDirectories(bin);
    linkTo(bin.resolve("sha256sum"), sha256sum);
    if (openssl != null) {
      Path script = bin.resolve("openssl");
      Files.writeString(script, "#!/bin/sh\n" + openssl + "\n");
      assertTrue(script.toFile().setExecutable(true));
    }
    return bin;
  }

  /** A script at {@code at} that runs {@code target} (a link would outlive the temporary directory's clean-up warnings). */
  private static void linkTo(Path at, Path target) throws Exception {
    Files.writeString(at, "#!/bin/sh\nexec '" + target + "' \"$@\"\n");
    assertTrue(at.toFile().setExecutable(true));
  }

  /** 3 MiB of random bytes through {@code bash -c '... | TOOL'}: the output starts with the JDK's hex digest. */
  private static void assertDigestsLikeTheJdk(DigestTool t) throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(7).nextBytes(data);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    Process p = new ProcessBuilder("bash", "-c", "set -o pipefail; cat | " + t.shellCommand()).start();
    try (OutputStream out = p.getOutputStream()) {
      out.write(data);
    }
    String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
    assertEquals(0, p.waitFor(), got);
    assertTrue(got.startsWith(expected), got + " does not start with " + expected);
    assertEquals(' ', got.charAt(expected.length()), got);
  }
}
