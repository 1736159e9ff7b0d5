package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.model.Report;
import dev.peerdist.simulator.model.SiteConfig;
import dev.peerdist.simulator.model.SiteSimulation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist simulate}: runs {@link SiteSimulation} (model mode: simulated clock, no sockets)
 * for one site and prints its {@link Report} as a table. Progress goes to stderr.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Model a site rolling out one package (discrete-event, seeded, no network): S subnets of N "
        + "nodes behind one WAN link, each node running the real download scheduler. Prints WAN bytes ÷ "
        + "package size, the share of bytes from peers, completion times against the ideal, and fallbacks.")
public final class SimulateCommand implements Callable<Integer> {
  private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(|B|KiB|MiB|GiB|KB|MB|GB|k|M|G)",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(|bit|kbit|Mbit|Gbit)(?:/s)?",
      Pattern.CASE_INSENSITIVE);
  private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min)?", Pattern.CASE_INSENSITIVE);

  @Spec CommandSpec spec;

  @Option(names = "--subnets", defaultValue = "2", description = "Subnets (discovery domains), default ${DEFAULT-VALUE}.")
  int subnets;

  @Option(names = "--nodes-per-subnet", defaultValue = "50", description = "Nodes per subnet, default ${DEFAULT-VALUE}.")
  int nodesPerSubnet;

  @Option(names = "--size", defaultValue = "256MiB", paramLabel = "SIZE",
      description = "Package size (B, KiB, MiB, GiB), default ${DEFAULT-VALUE}.")
  String size;

  @Option(names = "--wan", defaultValue = "20Mbit", paramLabel = "RATE",
      description = "Site WAN bandwidth (bit, kbit, Mbit, Gbit per second), default ${DEFAULT-VALUE}.")
  String wan;

  @Option(names = "--wan-rtt", defaultValue = "40ms", paramLabel = "TIME", description = "WAN round trip, default ${DEFAULT-VALUE}.")
  String wanRtt;

  @Option(names = "--lan", defaultValue = "1Gbit", paramLabel = "RATE",
      description = "Each node's LAN bandwidth, default ${DEFAULT-VALUE}.")
  String lan;

  @Option(names = "--rollout-window", defaultValue = "60s", paramLabel = "TIME",
      description = "Nodes start uniformly within this window (0 = all at once), default ${DEFAULT-VALUE}.")
  String rolloutWindow;

  @Option(names = "--waves", defaultValue = "0", paramLabel = "K",
      description = "Start in K waves spread over the rollout window instead of uniformly (5 = a 20%% rolling update).")
  int waves;

  @Option(names = "--seed", defaultValue = "1", description = "Random seed; the same seed gives the same report.")
  long seed;

  @Option(names = "--vanish", defaultValue = "0.0", description = "Fraction of nodes that leave mid-download.")
  double vanish;

  @Option(names = "--corrupt", defaultValue = "0.0", description = "Fraction of nodes that serve bad blocks.")
  double corrupt;

  @Option(names = "--single-flight",
      description = "Model option, not the daemon's policy: a block a subnet-mate is already fetching from the "
          + "origin waits for that fetch and is copied over the LAN instead of crossing the WAN again.")
  boolean singleFlight;

  @Option(names = "--max-events", defaultValue = "50000000", description = "Stop with an error beyond this many events.")
  long maxEvents;

  @Override
  public Integer call() {
    SiteConfig base = SiteConfig.defaults();
    SiteConfig config;
    try {
      config = new SiteConfig(subnets, nodesPerSubnet, parseSize(size), parseRate("--wan", wan),
          parseTime("--wan-rtt", wanRtt), parseRate("--lan", lan), base.lanLatency(),
          parseTime("--rollout-window", rolloutWindow), base.probeWait(), base.uploadSlots(),
          base.originConcurrency(), base.readAhead(), base.peerTimeout(), vanish, corrupt, seed, maxEvents);
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage());
    }
    if (waves < 0 || waves > SiteConfig.MAX_NODES) {
      throw UserException.usage("--waves: must be within 0.." + SiteConfig.MAX_NODES + ", got " + waves);
    }
    PrintWriter err = spec.commandLine().getErr();
    Report report;
    try {
      report = new SiteSimulation(config).withSingleFlight(singleFlight).withWaves(waves).onProgress(line -> {
        err.println("simulate: " + line);
        err.flush();
      }).run();
    } catch (IllegalStateException e) {
      throw new UserException(e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "site: %d subnets × %d nodes, %s package, WAN %s (RTT %s), LAN %s, rollout window %s%s, "
        + "seed %d%s%n", subnets, nodesPerSubnet, size, wan, wanRtt, lan, rolloutWindow,
        waves > 0 ? " in " + waves + " waves" : "", seed,
        singleFlight ? ", single-flight model" : "");
    out.print(report.toTable());
    out.flush();
    return 0;
  }

  static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--size: expected e.g. 256MiB, got '" + text + "'");
    }
    double v = Double.parseDouble(m.group(1));
    long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "b" -> 1L;
      case "kib", "k" -> 1L << 10;
      case "mib", "m" -> 1L << 20;
      case "gib", "g" -> 1L << 30;
      case "kb" -> 1_000L;
      case "mb" -> 1_000_000L;
      default -> 1_000_000_000L; // gb
    };
    return checkedLong("--size", v * unit);
  }

  static long parseRate(String option, String text) {
    Matcher m = RATE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + ": expected e.g. 20Mbit, got '" + text + "'");
    }
    double v = Double.parseDouble(m.group(1));
    long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "bit" -> 1L;
      case "kbit" -> 1_000L;
      case "mbit" -> 1_000_000L;
      default -> 1_000_000_000L; // gbit
    };
    return checkedLong(option, v * unit);
  }

  static Duration parseTime(String option, String text) {
    Matcher m = TIME.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + ": expected e.g. 60s or 40ms, got '" + text + "'");
    }
    double v = Double.parseDouble(m.group(1));
    String u = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    double nanos = switch (u) {
      case "ms" -> v * 1e6;
      case "m", "min" -> v * 60e9;
      default -> v * 1e9;
    };
    return Duration.ofNanos(checkedLong(option, nanos));
  }

  private static long checkedLong(String option, double v) {
    if (!(v >= 0 && v < 9e18)) {
      throw new IllegalArgumentException(option + ": value out of range");
    }
    return (long) v;
  }
}
