package dev.peerdist.node.cli;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.transport.WsDiscoveryConfig;
import dev.peerdist.discovery.transport.WsDiscoveryPeerDirectory;
import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.units.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist probe}: multicasts one MS-PCCRD probe for the given segment ids (PROTOCOL.md
 * §3) and prints a table of the peers that answered, with their PCCRR address, block counts and
 * time to answer. Nobody answering is a normal outcome (exit 0); a malformed id is a usage error
 * (exit 2).
 */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Ask the local subnet which peers hold segments (MS-PCCRD WS-Discovery probe to",
      "239.255.255.250:3702 and [ff02::c]:3702) and print who answered.",
    })
public final class ProbeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "SEGMENT_ID",
      description = "Segment id (HoHoDk) in hex: 64 digits for SHA-256 content.")
  List<String> ids;

  @Option(names = "--timeout", paramLabel = "DURATION",
      description = "How long to collect answers (default: ${DEFAULT-VALUE}, the node's discovery-wait; Windows 7 "
          + "waits as long).")
  String timeout = ConfigKey.DISCOVERY_WAIT.defaultValue();

  @Option(names = "--interface", paramLabel = "NAME",
      description = "Interface to probe on; repeat for several (default: every up, multicast-capable, non-loopback one).")
  List<String> interfaces = new ArrayList<>();

  @Option(names = "--v2", description = "Probe in the V2 form (ids of V2 content information).")
  boolean v2;

  @Option(names = "--family", paramLabel = "ipv4|ipv6|both", defaultValue = "both",
      description = "Address families to probe over (default: ${DEFAULT-VALUE}).")
  String family;

  @Option(names = "--port", paramLabel = "N", description = "WS-Discovery port (default: ${DEFAULT-VALUE}, the node's discovery-port).")
  int port = NodeConfig.defaults().discoveryPort();

  @Option(names = "--enough", paramLabel = "N", defaultValue = "0",
      description = "Stop as soon as N peers answered (default: wait the whole timeout).")
  int enough;

  @Mixin VerboseOption verbose;

  @Override
  public Integer call() throws Exception {
    Duration wait;
    try {
      wait = Durations.parse(timeout);
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--timeout: " + e.getMessage());
    }
    if (wait.isZero() || wait.compareTo(Duration.ofMinutes(5)) > 0) {
      throw UserException.usage("--timeout: must be within 1ms..5m, got '" + timeout + "'");
    }
    List<DiscoveryKey> keys = new ArrayList<>();
    for (String id : ids) {
      keys.add(parseId(id, v2 ? DiscoveryKey.Form.V2 : DiscoveryKey.Form.V1));
    }
    boolean ipv4;
    boolean ipv6;
    switch (family.toLowerCase(Locale.ROOT)) {
      case "ipv4" -> { ipv4 = true; ipv6 = false; }
      case "ipv6" -> { ipv4 = false; ipv6 = true; }
      case "both" -> { ipv4 = true; ipv6 = true; }
      default -> throw UserException.usage("--family: expected ipv4, ipv6 or both, got '" + family + "'");
    }
    WsDiscoveryConfig config;
    try {
      config = WsDiscoveryConfig.builder().interfaces(interfaces).ipv4(ipv4).ipv6(ipv6).port(port).build();
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage().replace("discovery.port", "--port"));
    }
    List<ProbeMatch> matches;
    try (WsDiscoveryPeerDirectory directory = startDirectory(config)) {
      if (directory.links().isEmpty()) {
        // A node waits for interfaces to come up; a one-shot probe has nothing to wait for.
        throw UserException.usage("no usable interface to probe on"
            + (interfaces.isEmpty() ? " (none is up, multicast-capable and not loopback); name one with --interface"
                : " among " + interfaces + " (down, or no address of the chosen family yet)"));
      }
      matches = directory.probe(keys, wait, enough).get(wait.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new UserException("probe failed: " + e.getCause().getMessage(), ExitCodes.SOFTWARE, e.getCause());
    } catch (TimeoutException e) {
      throw new UserException("probe did not complete", ExitCodes.SOFTWARE, e);
    }
    print(spec.commandLine().getOut(), keys, matches, wait);
    return ExitCodes.OK;
  }

  private static WsDiscoveryPeerDirectory startDirectory(WsDiscoveryConfig config) {
    try {
      return WsDiscoveryPeerDirectory.start(config);
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage().replace("discovery.interfaces", "--interface"));
    }
  }

  static DiscoveryKey parseId(String id, DiscoveryKey.Form form) {
    String t = id.trim();
    boolean hex = !t.isEmpty() && t.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128);
    if (!hex || t.length() % 2 != 0 || t.length() > 128) {
      throw UserException.usage("SEGMENT_ID '" + abbreviate(id) + "' is not a segment id: expected hex, 64 digits for SHA-256");
    }
    return DiscoveryKey.of(form, HexFormat.of().parseHex(t));
  }

  private static String abbreviate(String s) {
    return s.length() <= 70 ? s : s.substring(0, 70) + "…";
  }

  private static void print(PrintWriter out, List<DiscoveryKey> keys, List<ProbeMatch> matches, Duration wait) {
    if (matches.isEmpty()) {
      out.println("no peer answered within " + human(wait));
      out.flush();
      return;
    }
    List<ProbeMatch> sorted = new ArrayList<>(matches);
    sorted.sort(Comparator.comparing(ProbeMatch::latency));
    StringBuilder head = new StringBuilder(String.format("%-40s %6s %9s", "ADDRESS", "PORT", "TIME"));
    for (DiscoveryKey k : keys) {
      head.append(String.format(" %10s", k.toHex().substring(0, Math.min(8, k.toHex().length()))));
    }
    out.println(head);
    for (ProbeMatch m : sorted) {
      StringBuilder row = new StringBuilder(String.format("%-40s %6d %9s",
          m.peer().address().getAddress().getHostAddress(), m.peer().address().getPort(), human(m.latency())));
      for (DiscoveryKey k : keys) {
        Integer blocks = m.blocksHeld().get(k);
        String cell;
        if (blocks == null) {
          cell = "-";
        } else if (k.form() == DiscoveryKey.Form.V2) {
          cell = Boolean.TRUE.equals(m.complete().get(k)) ? "full" : "part";
        } else {
          cell = Integer.toString(blocks);
        }
        row.append(String.format(" %10s", cell));
      }
      out.println(row);
    }
    out.println(matches.size() + (matches.size() == 1 ? " peer" : " peers") + " answered within " + human(wait)
        + "; columns after TIME are block counts per segment id (V2: full/part)");
    out.flush();
  }

  private static String human(Duration d) {
    long micros = d.toNanos() / 1000;
    return micros < 10_000 ? String.format(Locale.ROOT, "%.1fms", micros / 1000.0) : (micros / 1000) + "ms";
  }
}
