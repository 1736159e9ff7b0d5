package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.ScenarioFile;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist simulate}: the site simulator's commands ({@code model}, {@code live},
 * {@code load}, {@code scenarios}). Run without a subcommand it keeps the older flag form
 * working: the flags become a scenario run by {@code simulate model}, with a note on stderr.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    subcommands = {
      // One per line, so that merges stay trivial.
      ModelCommand.class,
      LiveCommand.class,
      LoadCommand.class,
      ScenariosCommand.class,
      DelayLineCommand.class,
    },
    description = "The site simulator: 'model' runs a scenario in the discrete-event model, 'live' with real "
        + "daemons behind a shaped WAN, 'load' drives a real node with virtual peers, 'scenarios' lists "
        + "the shipped ones. Without a subcommand, the older flags below still run one site in the model "
        + "(deprecated: use 'peerdist simulate model --scenario FILE|NAME'). See docs/SIMULATOR.md.")
public final class SimulateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--subnets", defaultValue = "2", description = "Deprecated form: subnets, default ${DEFAULT-VALUE}.")
  int subnets;

  @Option(names = "--nodes-per-subnet", defaultValue = "50",
      description = "Deprecated form: nodes per subnet, default ${DEFAULT-VALUE}.")
  int nodesPerSubnet;

  @Option(names = "--size", defaultValue = "256MiB", paramLabel = "SIZE",
      description = "Deprecated form: package size, default ${DEFAULT-VALUE}.")
  String size;

  @Option(names = "--wan", defaultValue = "20Mbit", paramLabel = "RATE",
      description = "Deprecated form: site WAN rate, default ${DEFAULT-VALUE}.")
  String wan;

  @Option(names = "--wan-rtt", defaultValue = "40ms", paramLabel = "TIME",
      description = "Deprecated form: WAN round trip, default ${DEFAULT-VALUE}.")
  String wanRtt;

  @Option(names = "--lan", defaultValue = "1Gbit", paramLabel = "RATE",
      description = "Deprecated form: each node's LAN rate, default ${DEFAULT-VALUE}.")
  String lan;

  @Option(names = "--rollout-window", defaultValue = "60s", paramLabel = "TIME",
      description = "Deprecated form: nodes start uniformly within this window (0 = all at once), default ${DEFAULT-VALUE}.")
  String rolloutWindow;

  @Option(names = "--waves", defaultValue = "0", paramLabel = "K",
      description = "Deprecated form: start in K waves spread over the rollout window.")
  int waves;

  @Option(names = "--seed", defaultValue = "1", description = "Deprecated form: random seed.")
  long seed;

  @Option(names = "--vanish", defaultValue = "0.0", description = "Deprecated form: share of nodes that leave mid-download.")
  String vanish;

  @Option(names = "--corrupt", defaultValue = "0.0", description = "Deprecated form: share of nodes serving bad blocks.")
  String corrupt;

  @Option(names = "--single-flight", description = "Gone: the daemon's download loop coordinates origin fetches "
      + "within a subnet itself (issue 8, docs/DOWNLOAD.md).")
  boolean singleFlight;

  @Option(names = "--max-events", description = "Deprecated form: event limit (default: from the site, as "
      + "'simulate model --max-events' says).")
  Long maxEvents;

  /** The scenario the flags describe: subnets s1..sS, one package, starts drawn within the window. */
  Scenario legacyScenario() {
    if (subnets < 1 || subnets > Scenario.MAX_SUBNETS) {
      throw UserException.usage("--subnets must be within 1.." + Scenario.MAX_SUBNETS + ", got " + subnets);
    }
    if (waves < 0) {
      throw UserException.usage("--waves must be >= 0, got " + waves);
    }
    List<String> text = new ArrayList<>(List.of("[site]", "name = simulate", "wan-rate = 20Mbit", "time-limit = 24h",
        "[package.package]", "size = 1"));
    for (int i = 1; i <= subnets; i++) {
      text.add("[subnet.s" + i + "]");
      text.add("clients = 1");
    }
    List<ScenarioFile.Override> o = new ArrayList<>();
    o.add(new ScenarioFile.Override("site.seed", Long.toString(seed), "flag --seed"));
    o.add(new ScenarioFile.Override("site.wan-rate", wan, "flag --wan"));
    o.add(new ScenarioFile.Override("site.wan-rtt", wanRtt, "flag --wan-rtt"));
    o.add(new ScenarioFile.Override("site.lan-rate", lan, "flag --lan"));
    o.add(new ScenarioFile.Override("subnet.*.lan-rate", lan, "flag --lan"));
    o.add(new ScenarioFile.Override("subnet.*.clients", Integer.toString(nodesPerSubnet), "flag --nodes-per-subnet"));
    o.add(new ScenarioFile.Override("package.package.size", size, "flag --size"));
    // Every start is drawn uniformly within the window: all-at-once within a window.
    o.add(new ScenarioFile.Override("arrival.pattern", waves > 0 ? "waves" : "all-at-once", "flag --waves"));
    o.add(new ScenarioFile.Override("arrival.window", rolloutWindow, "flag --rollout-window"));
    if (waves > 0) {
      o.add(new ScenarioFile.Override("arrival.waves", Integer.toString(waves), "flag --waves"));
    }
    o.add(new ScenarioFile.Override("faults.leave-fraction", vanish, "flag --vanish"));
    o.add(new ScenarioFile.Override("faults.corrupt-fraction", corrupt, "flag --corrupt"));
    try {
      return ScenarioFile.parse(text, "flags", "simulate", o);
    } catch (ScenarioException e) {
      throw UserException.usage(e.getMessage());
    }
  }

  @Override
  public Integer call() {
    if (singleFlight) {
      throw UserException.usage("--single-flight is gone: every simulated node runs the daemon's download loop, which "
          + "coordinates origin fetches within its subnet by itself (docs/DOWNLOAD.md)");
    }
    Scenario s = legacyScenario();
    PrintWriter err = spec.commandLine().getErr();
    err.println("simulate: note: the flag form of 'peerdist simulate' is deprecated; it now runs 'peerdist simulate "
        + "model' on the scenario these flags describe. Use 'peerdist simulate model --scenario FILE|NAME' "
        + "(peerdist simulate scenarios lists shipped ones; docs/SIMULATOR.md).");
    err.flush();
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "site: %d subnets × %d nodes, %s package, WAN %s (RTT %s), LAN %s, rollout window %s%s, "
        + "seed %d%s%n", subnets, nodesPerSubnet, size, wan, wanRtt, lan, rolloutWindow,
        waves > 0 ? " in " + waves + " waves" : "", seed, "");
    return ModelCommand.run(spec, s, ModelCommand.model(), maxEvents, false, null);
  }
}
