package dev.peerdist.node.cli;

import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.doctor.Doctor;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist doctor}: checks interfaces, multicast reach (a diagnostic probe other peerdist
 * nodes answer and strict PCCRD peers ignore), PCCRR reachability of the nodes that answered, the
 * publisher (directly or through the proxy, PeerDist offered), clock skew and the store; exit 0
 * when nothing failed (warnings allowed), 1 otherwise.
 */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Check what a node on this machine relies on and explain any problem in plain words:",
      "interfaces and subnets, multicast to other nodes, their PCCRR ports, the publisher (direct or",
      "via the proxy) and PeerDist, clock skew, store health and free space. Exit 1 if a check failed.",
    })
public final class DoctorCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin NodeOptions options;

  @Option(names = "--json", description = "Print the report as one JSON object.")
  boolean json;

  @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "1s",
      description = "How long answers to the diagnostic probe are collected (default: ${DEFAULT-VALUE}).")
  String wait;

  @Option(names = "--url", paramLabel = "URL", description = "A file on the publisher to check PeerDist with.")
  URI url;

  @Override
  public Integer call() {
    NodeConfig config = RunCommand.load(options);
    Duration w;
    try {
      w = dev.peerdist.node.units.Durations.parse(wait);
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--wait: " + e.getMessage());
    }
    if (w.isZero() || w.compareTo(Duration.ofMinutes(1)) > 0) {
      throw UserException.usage("--wait: must be within 1ms..1m, got '" + wait + "'");
    }
    Doctor.Report r = new Doctor(config, System.getenv(), w, url, Clock.systemUTC()).run();
    spec.commandLine().getOut().print(json ? r.json() + System.lineSeparator() : r.text());
    spec.commandLine().getOut().flush();
    return r.ok() ? ExitCodes.OK : ExitCodes.SOFTWARE;
  }
}
