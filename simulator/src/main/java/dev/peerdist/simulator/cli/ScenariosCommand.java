package dev.peerdist.simulator.cli;

import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.Scenarios;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peerdist simulate scenarios}: lists the shipped scenarios, or prints one. */
@Command(
    name = "scenarios",
    mixinStandardHelpOptions = true,
    description = "List the shipped scenarios (use a name with --scenario), or print one with --show NAME.")
public final class ScenariosCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--show", paramLabel = "NAME", description = "Print the scenario file of NAME.")
  String show;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (show != null) {
      try {
        Scenarios.text(show).forEach(out::println);
      } catch (ScenarioException e) {
        throw dev.peerdist.node.cli.UserException.usage(e.getMessage());
      }
      out.flush();
      return 0;
    }
    out.printf(Locale.ROOT, "%-28s %6s  %-8s %s%n", "NAME", "NODES", "MODEL", "DESCRIPTION");
    for (String name : Scenarios.SHIPPED) {
      Scenario s = Scenarios.shipped(name, List.of());
      String model;
      try {
        ModelCommand.model().check(s, RunOptions.defaults());
        model = "runs";
      } catch (ScenarioException e) {
        model = "refused";
      }
      out.printf(Locale.ROOT, "%-28s %6d  %-8s %s%n", name, s.nodes(), model, s.description());
    }
    out.println();
    out.println("MODEL: whether 'peerdist simulate model' (every node runs the daemon's download loop) runs it;");
    out.println("any scenario also runs live: peerdist simulate live --scenario NAME.");
    out.flush();
    return 0;
  }
}
