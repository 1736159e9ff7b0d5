package dev.peerdist.simulator.report;

import dev.peerdist.simulator.scenario.Scenario;

/** Runs a {@link SiteModel} and stamps the report with the run's own wall-clock time. */
public final class SiteRun {
  private SiteRun() {}

  /** Runs {@code scenario} on {@code model}; the report carries {@code runtime_s} and {@code events_per_second}. */
  public static SiteReport run(SiteModel model, Scenario scenario, RunOptions options) {
    long start = System.nanoTime();
    SiteReport r = model.run(scenario, options);
    return r.withRuntime((System.nanoTime() - start) / 1e9);
  }
}
