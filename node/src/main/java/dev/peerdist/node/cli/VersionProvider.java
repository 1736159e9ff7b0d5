package dev.peerdist.node.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * Names the build for {@code peerdist --version}: the project version and the git commit it was
 * built from, as Maven wrote them into {@code dev/peerdist/node/build.properties}.
 */
public final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"peerdist " + build(),
        "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name")
            + " " + System.getProperty("os.arch")};
  }

  /** {@code 0.1.0 (commit 0123456789ab)}, with {@code -dirty} for uncommitted changes. */
  public static String build() {
    Properties p = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("/dev/peerdist/node/build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // Treated as a development build below.
    }
    String version = known(p.getProperty("version"), "(development build)");
    String commit = known(p.getProperty("commit"), "unknown");
    return version + " (commit " + commit + ")";
  }

  /** A filtered value, or {@code fallback} when the build left the placeholder (no git, IDE build). */
  private static String known(String v, String fallback) {
    return v == null || v.isBlank() || v.startsWith("${") ? fallback : v.trim();
  }
}
