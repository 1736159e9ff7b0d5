package dev.peerdist.simulator.report;

import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;

/**
 * Something that runs a {@link Scenario} and reports what happened: the discrete-event model
 * ({@code simulate model}) or the live harness ({@code simulate live}). An implementation plans
 * the site with {@link dev.peerdist.simulator.scenario.SitePlan#of}, fills a {@link SiteRecorder}
 * as the run goes and returns {@link SiteRecorder#finish}; {@link SiteRun} adds the run time.
 */
public interface SiteModel {
  /** A short name for reports, e.g. {@code interim-model} or {@code live}. */
  String name();

  /**
   * Checks that this model can run {@code scenario} without running it.
   *
   * @throws ScenarioException saying what it cannot run
   */
  void check(Scenario scenario, RunOptions options);

  /**
   * Runs {@code scenario}.
   *
   * @throws ScenarioException when this model cannot run something the scenario asks for (the
   *     message says what), before anything runs
   * @throws IllegalStateException when the run stops early (event or time limit)
   */
  SiteReport run(Scenario scenario, RunOptions options);
}
