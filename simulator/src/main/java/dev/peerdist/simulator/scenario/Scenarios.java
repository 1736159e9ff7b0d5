package dev.peerdist.simulator.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The scenarios shipped with peerdist, as resources {@code dev/peerdist/simulator/scenario/NAME.scenario},
 * and the lookup that {@code --scenario FILE|NAME} uses.
 */
public final class Scenarios {
  /** Shipped scenario names, in the order {@code peerdist simulate scenarios} lists them. */
  public static final List<String> SHIPPED = List.of(
      "small-office",
      "flash-crowd-1000",
      "flash-crowd-1000-leave",
      "flash-crowd-seeded",
      "multi-subnet-cache-servers",
      "live-16",
      "live-16-spread",
      "live-smoke");

  private Scenarios() {}

  /** The text of shipped scenario {@code name}. */
  public static List<String> text(String name) {
    if (!SHIPPED.contains(name)) {
      throw new ScenarioException("no shipped scenario named '" + name + "' (peerdist simulate scenarios lists them)");
    }
    try (InputStream in = Scenarios.class.getResourceAsStream(name + ".scenario")) {
      if (in == null) {
        throw new ScenarioException("shipped scenario " + name + " is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new ScenarioException("cannot read shipped scenario " + name + ": " + e.getMessage(), e);
    }
  }

  /** Shipped scenario {@code name} with {@code overrides}. */
  public static Scenario shipped(String name, List<ScenarioFile.Override> overrides) {
    return ScenarioFile.parse(text(name), "shipped " + name, name, overrides);
  }

  /**
   * {@code --scenario} resolution: an existing file (or anything with a path separator or a
   * {@code .scenario} suffix) is read as a file, anything else is a shipped name.
   */
  public static Scenario load(String fileOrName, List<ScenarioFile.Override> overrides) {
    Path p = Path.of(fileOrName);
    if (Files.exists(p) || fileOrName.contains("/") || fileOrName.endsWith(".scenario")) {
      return ScenarioFile.read(p, overrides);
    }
    return shipped(fileOrName, overrides);
  }
}
