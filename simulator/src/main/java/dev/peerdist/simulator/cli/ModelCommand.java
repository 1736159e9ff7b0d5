package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.model.LoopSiteModel;
import dev.peerdist.simulator.report.ProgressLine;
import dev.peerdist.simulator.report.ReportWriter;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.report.SiteModel;
import dev.peerdist.simulator.report.SiteReport;
import dev.peerdist.simulator.report.SiteRun;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist simulate model}: runs a scenario in the discrete-event model (simulated clock,
 * no sockets), prints a summary table and optionally writes report.json and report.html.
 */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Run a scenario in the discrete-event model (seeded, simulated clock, no network): what crosses "
        + "the WAN, how long until every node is done, against the ideal. Same scenario and seed, same "
        + "report.json (apart from runtime_s and events_per_second). Flags override the scenario's values.")
public final class ModelCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ScenarioOptions scenario;

  @Option(names = "--report", paramLabel = "DIR", description = "Write DIR/report.json and DIR/report.html.")
  Path report;

  @Option(names = "--max-events", paramLabel = "N",
      description = "Stop with an error beyond this many events. Default: from the scenario, per download 10 events "
          + "a block of its package plus 50 ticks a second over 10 times its ideal time, at least 50 M "
          + "(flash-crowd-1000: 207 M; a run of it needs 54 M).")
  Long maxEvents;

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Option(names = "--wake-ups", description = "Tick each node's loop only when its own timers ask for it, not every "
      + "20 ms: fewer events, decisions not exactly the daemon's (docs/SIMULATOR.md, \"Scheduled wake-ups\").")
  boolean wakeUps;

  /** The model {@code simulate model} runs. */
  static SiteModel model() {
    return new LoopSiteModel();
  }

  @Override
  public Integer call() {
    Scenario s = scenario.load(null);
    return run(spec, s, wakeUps ? new LoopSiteModel(true) : model(), maxEvents, quiet, report);
  }

  /**
   * Runs {@code s} on {@code m}, prints the table, writes the report; shared with the legacy flag form.
   * {@code maxEvents} null: the model's default cap for the scenario.
   */
  static int run(CommandSpec spec, Scenario s, SiteModel m, Long maxEvents, boolean quiet,
      Path report) {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    if (maxEvents != null && maxEvents < 1) {
      throw UserException.usage("--max-events must be >= 1, got " + maxEvents);
    }
    RunOptions options = new RunOptions(maxEvents == null ? RunOptions.SCENARIO_DEFAULT : maxEvents,
        quiet ? RunOptions.Progress.NONE : ProgressLine.everySecond(err, "simulate"));
    report(out, execute(m, s, options), report);
    out.flush();
    return 0;
  }

  /** Runs {@code s} on {@code m}; a scenario the model refuses is a usage error, a stopped run a failure. */
  static SiteReport execute(SiteModel m, Scenario s, RunOptions options) {
    try {
      return SiteRun.run(m, s, options);
    } catch (ScenarioException e) {
      throw UserException.usage(e.getMessage());
    } catch (IllegalStateException e) {
      throw new UserException(e.getMessage());
    }
  }

  /** Prints the summary table and, with {@code dir}, writes report.json and report.html there. */
  static void report(PrintWriter out, SiteReport r, Path dir) {
    out.print(r.toTable());
    if (dir != null) {
      try {
        Path[] written = ReportWriter.write(r, dir);
        out.println("report: " + written[0] + ", " + written[1]);
      } catch (IOException e) {
        throw new UserException("cannot write the report to " + dir + ": " + e.getMessage());
      }
    }
    out.flush();
  }
}
