package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.live.Cleanup;
import dev.peerdist.simulator.live.LiveSite;
import dev.peerdist.simulator.report.ProgressLine;
import dev.peerdist.simulator.report.RunOptions;
import dev.peerdist.simulator.scenario.Scenario;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peerdist simulate live}: a scenario with real daemons, a real publisher and a shaped WAN. */
@Command(
    name = "live",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Run a scenario with real processes: N 'peerdist run' daemons (real stores, sockets, multicast), "
        + "a real 'peerdist publish' and a WAN with the scenario's rate and round trip. As root: network "
        + "namespaces, one bridge per subnet, the WAN shaped with tc tbf plus a user-space delay line; "
        + "otherwise on loopback with the publisher's upload capped. Prints the report and a plain-HTTP "
        + "baseline measured in the same run. Default scenario: live-16. --cleanup removes what an "
        + "interrupted run left behind.")
public final class LiveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ScenarioOptions scenario;

  @Option(names = "--report", paramLabel = "DIR", description = "Write DIR/report.json and DIR/report.html.")
  Path report;

  @Option(names = "--mode", paramLabel = "auto|netns|loopback", defaultValue = "auto",
      description = "Where the processes run (default ${DEFAULT-VALUE}: namespaces when root).")
  String mode;

  @Option(names = "--no-baseline", description = "Skip the plain-HTTP baseline.")
  boolean noBaseline;

  @Option(names = "--keep", description = "Keep the work directory (stores, logs) after the run.")
  boolean keep;

  @Option(names = "--node-jvm-opts", paramLabel = "OPTS",
      description = "JVM options of every daemon, space-separated; the daemons then start as java (default: "
          + "through the installed launcher, with its options: -XX:+UseSerialGC -Xmx96m ...).")
  String nodeJvmOpts;

  @Option(names = "--setup-timeout", paramLabel = "DURATION", defaultValue = "3m",
      description = "How long starting the processes may take (default ${DEFAULT-VALUE}).")
  String setupTimeout;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Parent of the run's work directory (default: tmp).")
  Path workDir;

  @Option(names = "--warm-up", paramLabel = "SIZE", defaultValue = "0",
      description = "Before the run every daemon fetches a warm-up package of this size (other bytes, all at once,"
          + " not counted), so that the run measures daemons that have worked before, as on a site whose daemons"
          + " run all day (their JIT compiled). 0 (default): fresh daemons.")
  String warmUp;

  @Option(names = "--idle-after", paramLabel = "DURATION", defaultValue = "0",
      description = "After the downloads the daemons idle this long, then each one's RSS is read and reported"
          + " (issue 12's idle RSS after work; a daemon gives its grown heap back after 20-25 s idle, so 45s"
          + " shows it). 0 (default): not measured. At most 10m.")
  String idleAfter;

  @Option(names = "--cleanup", description = "Only remove leftovers of earlier runs (pdsim-* namespaces, processes, "
      + "work directories), then exit.")
  boolean cleanup;

  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
  boolean quiet;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path tmp = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
    if (cleanup) {
      List<String> done = Cleanup.leftovers(tmp);
      done.forEach(out::println);
      out.println(done.isEmpty() ? "nothing to clean up" : "cleaned up " + done.size() + " item(s)");
      out.flush();
      return 0;
    }
    LiveSite.Mode m;
    try {
      m = LiveSite.Mode.valueOf(mode.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--mode must be auto, netns or loopback, got '" + mode + "'");
    }
    Duration setup;
    try {
      setup = dev.peerdist.node.units.Durations.parse(setupTimeout);
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--setup-timeout: " + e.getMessage());
    }
    if (setup.isZero()) {
      throw UserException.usage("--setup-timeout: must be longer than zero");
    }
    long warmUpBytes;
    try {
      warmUpBytes = dev.peerdist.node.units.Size.parse(warmUp).bytes();
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--warm-up: " + e.getMessage());
    }
    Duration idle;
    try {
      idle = dev.peerdist.node.units.Durations.parse(idleAfter);
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--idle-after: " + e.getMessage());
    }
    if (idle.compareTo(LiveSite.Options.MAX_IDLE_AFTER) > 0) {
      throw UserException.usage("--idle-after: at most " + LiveSite.Options.MAX_IDLE_AFTER.toMinutes() + "m, got "
          + idleAfter);
    }
    LiveSite.Options defaults = LiveSite.Options.defaults();
    List<String> jvm = nodeJvmOpts == null ? defaults.nodeJvmOptions()
        : Arrays.stream(nodeJvmOpts.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
    LiveSite.Options options = new LiveSite.Options(m, tmp, !noBaseline, jvm, setup, keep, warmUpBytes, idle,
        quiet ? null : err);
    Scenario s = scenario.load("live-16");
    RunOptions run = RunOptions.defaults().withProgress(quiet ? RunOptions.Progress.NONE
        : ProgressLine.everySecond(err, "live"));
    ModelCommand.report(out, ModelCommand.execute(new LiveSite(options), s, run), report);
    out.flush();
    return 0;
  }
}
