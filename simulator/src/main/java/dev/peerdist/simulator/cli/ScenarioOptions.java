package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.ScenarioException;
import dev.peerdist.simulator.scenario.ScenarioFile;
import dev.peerdist.simulator.scenario.Scenarios;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The scenario options of {@code simulate model} and {@code simulate live}: a scenario file or
 * shipped name, and flags that override its values. Every flag becomes a {@code --set}
 * override and goes through the scenario parser's checks, so errors name the flag.
 */
final class ScenarioOptions {
  @Option(names = "--scenario", paramLabel = "FILE|NAME",
      description = "Scenario file, or the name of a shipped one (peerdist simulate scenarios).")
  String scenario;

  @Option(names = "--seed", paramLabel = "N", description = "Random seed (overrides the scenario's).")
  String seed;

  @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE",
      description = "Override any scenario value, e.g. --set arrival.window=5s --set subnet.*.cache-servers=1.")
  List<String> set;

  @Option(names = "--nodes", paramLabel = "N",
      description = "Client nodes of the whole site, split evenly over its subnets.")
  Integer nodes;

  @Option(names = "--subnets", paramLabel = "S",
      description = "Replace the subnets by S copies of the first one (packages then go to every subnet).")
  Integer subnets;

  @Option(names = "--size", paramLabel = "SIZE", description = "Size of every package, e.g. 1GiB.")
  String size;

  @Option(names = "--wan-rate", paramLabel = "RATE", description = "WAN rate, e.g. 100Mbit.")
  String wanRate;

  @Option(names = "--wan-rtt", paramLabel = "DURATION", description = "WAN round trip, e.g. 20ms.")
  String wanRtt;

  @Option(names = "--lan-rate", paramLabel = "RATE", description = "LAN rate of every node, e.g. 1Gbit.")
  String lanRate;

  @Option(names = "--wan-budget", paramLabel = "RATE", description = "The wan-budget of issue 8 (none: 0).")
  String wanBudget;

  @Option(names = "--pattern", paramLabel = "P", description = "Arrival pattern: all-at-once, uniform, waves, poisson.")
  String pattern;

  @Option(names = "--window", paramLabel = "DURATION", description = "Arrival window.")
  String window;

  @Option(names = "--leave-fraction", paramLabel = "F", description = "Share of clients leaving mid-download.")
  String leaveFraction;

  @Option(names = "--corrupt-fraction", paramLabel = "F", description = "Share of clients serving bad blocks.")
  String corruptFraction;

  @Option(names = "--time-limit", paramLabel = "DURATION", description = "Stop the run after this long.")
  String timeLimit;

  /** The overrides the flags stand for, in a fixed order. */
  List<ScenarioFile.Override> overrides() {
    List<ScenarioFile.Override> o = new ArrayList<>();
    add(o, "site.seed", seed, "--seed");
    add(o, "site.wan-rate", wanRate, "--wan-rate");
    add(o, "site.wan-rtt", wanRtt, "--wan-rtt");
    add(o, "site.wan-budget", wanBudget, "--wan-budget");
    add(o, "site.time-limit", timeLimit, "--time-limit");
    add(o, "package.*.size", size, "--size");
    add(o, "arrival.pattern", pattern, "--pattern");
    add(o, "arrival.window", window, "--window");
    add(o, "faults.leave-fraction", leaveFraction, "--leave-fraction");
    add(o, "faults.corrupt-fraction", corruptFraction, "--corrupt-fraction");
    if (lanRate != null) {
      add(o, "site.lan-rate", lanRate, "--lan-rate");
      add(o, "subnet.*.lan-rate", lanRate, "--lan-rate");
    }
    for (String s : set == null ? List.<String>of() : set) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw UserException.usage("--set: expected SECTION.KEY=VALUE, got '" + s + "'");
      }
      o.add(new ScenarioFile.Override(s.substring(0, eq).trim(), s.substring(eq + 1).trim(), "flag --set " + s));
    }
    return o;
  }

  private static void add(List<ScenarioFile.Override> o, String path, String value, String flag) {
    if (value != null) {
      o.add(new ScenarioFile.Override(path, value, "flag " + flag));
    }
  }

  /**
   * The scenario: {@code --scenario} (or {@code fallback} when absent) with every override applied.
   *
   * @throws UserException (usage) for a bad scenario or flag
   */
  Scenario load(String fallback) {
    String which = scenario != null ? scenario : fallback;
    if (which == null) {
      throw UserException.usage("--scenario FILE|NAME is required (peerdist simulate scenarios lists shipped ones)");
    }
    try {
      return reshape(Scenarios.load(which, overrides()));
    } catch (ScenarioException e) {
      throw UserException.usage(e.getMessage());
    }
  }

  /** Applies {@code --subnets} and {@code --nodes}. */
  Scenario reshape(Scenario s) {
    if (subnets == null && nodes == null) {
      return s;
    }
    List<Scenario.Subnet> shape = new ArrayList<>(s.subnets());
    List<Scenario.PackageSpec> packages = s.packages();
    if (subnets != null) {
      if (subnets < 1 || subnets > Scenario.MAX_SUBNETS) {
        throw UserException.usage("--subnets must be within 1.." + Scenario.MAX_SUBNETS + ", got " + subnets);
      }
      Scenario.Subnet first = s.subnets().get(0);
      shape.clear();
      for (int i = 1; i <= subnets; i++) {
        shape.add(new Scenario.Subnet(subnets == 1 ? first.name() : first.name() + "-" + i, first.clients(),
            first.lanBitsPerSecond(), first.cacheServers(), first.cachePrepopulated(), first.seededClients()));
      }
      packages = packages.stream().map(p -> new Scenario.PackageSpec(p.name(), p.sizeBytes(), List.of(), p.fraction(),
          p.start())).toList();
    }
    if (nodes != null) {
      if (nodes < shape.size() || nodes > Scenario.MAX_NODES) {
        throw UserException.usage("--nodes must be within " + shape.size() + ".." + Scenario.MAX_NODES + " (at least one "
            + "client per subnet), got " + nodes);
      }
      for (int i = 0; i < shape.size(); i++) {
        Scenario.Subnet n = shape.get(i);
        int clients = nodes / shape.size() + (i < nodes % shape.size() ? 1 : 0);
        shape.set(i, new Scenario.Subnet(n.name(), clients, n.lanBitsPerSecond(), n.cacheServers(),
            n.cachePrepopulated(), Math.min(n.seededClients(), clients)));
      }
    }
    try {
      return new Scenario(s.name(), s.description(), s.seed(), s.wanBitsPerSecond(), s.wanRtt(),
          s.wanBudgetBitsPerSecond(), s.publisher(), shape, packages, s.arrival(), s.faults(), s.timeLimit());
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage());
    }
  }
}
