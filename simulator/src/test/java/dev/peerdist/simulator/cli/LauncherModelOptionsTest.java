package dev.peerdist.simulator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.peerdist.simulator.live.LiveSite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's launcher (dist/src/bin/peerdist) gives the site model its JVM options and
 * leaves the other commands' alone: run with a stand-in {@code java} that writes down the
 * arguments it was given and starts this test's own JVM with the same JVM options and
 * {@code -version}, so that a combination the JVM refuses or warns about fails the test.
 */
class LauncherModelOptionsTest {
  private static final Path LAUNCHER = Path.of("..", "dist", "src", "bin", "peerdist");

  @TempDir Path dir;

  @Test
  void theModelGetsTheParallelCollectorAndTheMachinesHugePagesAndYoungGeneration() throws Exception {
    List<String> args = launch(Map.of(), "simulate", "model", "--scenario", "small-office");
    assertTrue(args.contains("-XX:+UseParallelGC"), args::toString);
    assertFalse(args.contains("-XX:+UseSerialGC"), args::toString);
    assertEquals(hugePagesOffered(), args.contains("-XX:+UseTransparentHugePages"), args::toString);
    assertEquals(memTotalKib() >= 8L * 1024 * 1024, args.contains("-Xmn1g"), args::toString);
    assertEquals("dev.peerdist.node.cli.Main", args.get(args.size() - 5));
    assertEquals(List.of("simulate", "model", "--scenario", "small-office"), args.subList(args.size() - 4, args.size()));
  }

  @Test
  void theFlagFormOfSimulateRunsTheModelToo() throws Exception {
    assertTrue(launch(Map.of(), "simulate", "--nodes-per-subnet", "3").contains("-XX:+UseParallelGC"));
  }

  @Test
  void liveLoadAndTheDaemonKeepTheirOwnOptions() throws Exception {
    for (String mode : List.of("live", "load", "scenarios")) {
      List<String> args = launch(Map.of(), "simulate", mode);
      assertFalse(args.contains("-XX:+UseParallelGC"), mode + ": " + args);
      assertFalse(args.contains("-Xmn1g"), mode + ": " + args);
    }
    List<String> run = launch(Map.of(), "run", "--store", "x");
    assertTrue(run.contains("-XX:+UseSerialGC"), run::toString);
    assertFalse(run.contains("-XX:+UseParallelGC"), run::toString);
  }

  @Test
  void theDaemonGetsExactlyTheOptionsTheLiveHarnessAndTheBenchMirror() throws Exception {
    // The live harness and the end-to-end bench start daemons with LiveSite.DAEMON_JVM_OPTIONS when
    // they have no distribution: it must be what the launcher gives `run` (no start-up archive in
    // dist/src, so none is added here).
    List<String> args = launch(Map.of(), "run", "--store", "x");
    assertEquals(LiveSite.DAEMON_JVM_OPTIONS, args.subList(0, args.indexOf("-cp")));
  }

  @Test
  void peerdistJavaOptsComeAfterTheModelsOptions() throws Exception {
    List<String> args = launch(Map.of("PEERDIST_JAVA_OPTS", "-XX:-UseTransparentHugePages"), "simulate", "model");
    assertTrue(args.indexOf("-XX:-UseTransparentHugePages") > args.indexOf("-XX:+UseParallelGC"), args::toString);
  }

  @Test
  void aCollectorNamedInPeerdistJavaOptsIsTheOnlyOne() throws Exception {
    for (String gc : List.of("-XX:+UseG1GC", "-XX:+UseSerialGC")) {
      List<String> args = launch(Map.of("PEERDIST_JAVA_OPTS", gc), "simulate", "model");
      assertFalse(args.contains("-XX:+UseParallelGC"), gc + ": " + args);
      assertTrue(args.contains(gc), gc + ": " + args);
    }
  }

  @Test
  void aHeapSizedInPeerdistJavaOptsGetsNoYoungGenerationFromTheLauncher() throws Exception {
    for (String sized : List.of("-Xmx512m", "-Xmn256m", "-XX:MaxRAMPercentage=50")) {
      List<String> args = launch(Map.of("PEERDIST_JAVA_OPTS", sized), "simulate", "model");
      assertFalse(args.contains("-Xmn1g"), sized + ": " + args);
      assertTrue(args.contains(sized) && args.contains("-XX:+UseParallelGC"), sized + ": " + args);
    }
  }

  /** Runs the launcher with a stand-in java; returns the arguments that java got. */
  private List<String> launch(Map<String, String> env, String... command) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "the launcher is a POSIX shell script: no /bin/sh here");
    Path javaHome = dir.resolve("jdk");
    Path java = javaHome.resolve("bin").resolve("java");
    Path record = dir.resolve("args");
    Path jvmSays = dir.resolve("jvm-says");
    if (!Files.exists(java)) {
      Files.createDirectories(java.getParent());
      // Writes its arguments down, then runs the real JVM with those before -cp and -version.
      String realJava = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Files.writeString(java, "#!/bin/sh\n"
          + "printf '%s\\n' \"$@\" > \"" + record + "\"\n"
          + "n=0; for a in \"$@\"; do [ \"$a\" = -cp ] && break; n=$((n + 1)); done\n"
          + "i=0; for a in \"$@\"; do shift; i=$((i + 1)); [ $i -le $n ] && set -- \"$@\" \"$a\"; done\n"
          + "\"" + realJava + "\" \"$@\" -version > \"" + jvmSays + "\" 2>&1\n");
      Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.deleteIfExists(record);
    Files.deleteIfExists(jvmSays);
    List<String> cmd = new java.util.ArrayList<>(List.of("/bin/sh", LAUNCHER.toString()));
    cmd.addAll(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("PEERDIST_JAVA_OPTS");
    pb.environment().put("JAVA_HOME", javaHome.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher did not end");
    assertEquals(0, p.exitValue(), output);
    String said = Files.readString(jvmSays);
    assertTrue(said.contains("version") && !said.contains("Error") && !said.contains("warning"),
        "the JVM with these options: " + said);
    return Files.readAllLines(record);
  }

  private static boolean hugePagesOffered() throws IOException {
    Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    if (!Files.isReadable(thp)) {
      return false;
    }
    String modes = Files.readString(thp);
    return modes.contains("[always]") || modes.contains("[madvise]");
  }

  private static long memTotalKib() throws IOException {
    Path meminfo = Path.of("/proc/meminfo");
    if (!Files.isReadable(meminfo)) {
      return 0;
    }
    for (String line : Files.readAllLines(meminfo)) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
