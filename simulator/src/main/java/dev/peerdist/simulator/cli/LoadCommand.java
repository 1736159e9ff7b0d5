package dev.peerdist.simulator.cli;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.node.admin.Json;
import dev.peerdist.node.cli.UserException;
import dev.peerdist.node.units.Durations;
import dev.peerdist.node.engine.ContentPlan;
import dev.peerdist.node.engine.ContentPlans;
import dev.peerdist.node.origin.ContentInformationResponse;
import dev.peerdist.node.origin.OriginClient;
import dev.peerdist.node.origin.OriginClientConfig;
import dev.peerdist.simulator.load.LoadGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code peerdist simulate load}: virtual peers probing and requesting blocks from one real node. */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Drive a real node or cache server with many virtual peers: PCCRD probes (unicast to its "
        + "discovery port, or multicast on an interface) and PCCRR MSG_GETBLKS requests for blocks it "
        + "holds (--url names content it holds; its segment ids come from the publisher's content "
        + "information). Reports throughput, latency percentiles, busy/empty answers, errors, and the "
        + "target's memory when it is a local process.")
public final class LoadCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--target", required = true, paramLabel = "HOST:PORT", description = "The node's PCCRR address.")
  String target;

  static final class Pace {
    @Option(names = "--rate", paramLabel = "R", description = "Requests per second (open loop).")
    Double rate;

    @Option(names = "--concurrency", paramLabel = "C", description = "Requests in flight (closed loop; default 16).")
    Integer concurrency;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Pace pace;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s", description = "How long (default ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--kind", paramLabel = "probe|pccrr|mixed", defaultValue = "pccrr",
      description = "What to send (default ${DEFAULT-VALUE}; mixed: one probe per 16 requests).")
  String kind;

  @Option(names = "--url", paramLabel = "URL",
      description = "Content the target holds: requests ask for its segments and blocks (content information "
          + "from the publisher). Without it, random segment ids: every answer is the empty one.")
  String url;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for the publisher.")
  String token;

  @Option(names = "--tls-insecure", description = "Trust any certificate of the publisher.")
  boolean tlsInsecure;

  @Option(names = "--discovery-port", paramLabel = "PORT",
      description = "The target's PCCRD port (default ${DEFAULT-VALUE}).")
  int discoveryPort = dev.peerdist.discovery.pccrd.PccrdTiming.PORT;

  @Option(names = "--multicast", paramLabel = "IFACE", description = "Send probes to the multicast group on IFACE. "
      + "A peerdist node answers only probes that reach its group (its responder is bound to the group address of "
      + "its interface, docs/DISCOVERY.md): without this option probes go unicast, which Windows peers answer and "
      + "peerdist nodes do not.")
  String multicast;

  @Option(names = "--connections", paramLabel = "N", defaultValue = "16",
      description = "PCCRR connections to the target (default ${DEFAULT-VALUE}, at most 1024).")
  int connections;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "1024",
      description = "With --rate: most requests in flight; more are not sent and counted (default ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2s",
      description = "Per request; a probe unanswered by then counts as empty (default ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--pid", paramLabel = "PID", description = "The target's process (default: found by its port).")
  Long pid;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Random choices of blocks.")
  long seed;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the numbers as JSON.")
  Path json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    InetSocketAddress pccrr = DelayLineCommand.address("--target", target);
    LoadGenerator.Kind k;
    try {
      k = LoadGenerator.Kind.valueOf(kind.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw UserException.usage("--kind must be probe, pccrr or mixed, got '" + kind + "'");
    }
    Duration d = duration("--duration", duration);
    Duration t = duration("--timeout", timeout);
    List<LoadGenerator.Segment> segments = url == null ? List.of() : segments(URI.create(url));
    double rate = pace != null && pace.rate != null ? pace.rate : 0;
    int concurrency = pace != null && pace.concurrency != null ? pace.concurrency : rate > 0 ? maxInFlight : 16;
    InetSocketAddress probeTo = multicast == null ? new InetSocketAddress(pccrr.getAddress(), discoveryPort) : null;
    LoadGenerator.Options o;
    try {
      o = new LoadGenerator.Options(pccrr, probeTo, discoveryPort, multicast, k, rate, concurrency, connections, d, t,
          segments, pid == null ? -1 : pid, seed);
    } catch (IllegalArgumentException e) {
      throw UserException.usage(e.getMessage());
    }
    out.printf(Locale.ROOT, "load: %s against %s for %s, %s, %d segment(s) to ask for%n", k.name().toLowerCase(Locale.ROOT),
        target, duration, rate > 0 ? rate + " requests/s (at most " + concurrency + " in flight)"
        : concurrency + " in flight", segments.size());
    out.flush();
    LoadGenerator.Result r = LoadGenerator.run(o, line -> {
      err.println(line);
      err.flush();
    });
    out.print(r.toTable());
    if (json != null) {
      Files.writeString(json, Json.write(r.toMap()) + "\n", StandardCharsets.UTF_8);
      out.println("json: " + json);
    }
    out.flush();
    return 0;
  }

  private static Duration duration(String option, String text) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw UserException.usage(option + ": " + e.getMessage());
    }
    if (d.isZero()) {
      throw UserException.usage(option + ": '" + text + "' must be longer than zero");
    }
    return d;
  }

  /** The V1 segments of {@code u}, from the publisher's content information. */
  private List<LoadGenerator.Segment> segments(URI u) throws IOException, InterruptedException {
    OriginClientConfig c = OriginClientConfig.defaults().withTrustAll(tlsInsecure);
    if (token != null) {
      c = c.withBearerToken(token);
    }
    try (OriginClient client = new OriginClient(c);
        ContentInformationResponse r = client.fetchContentInformation(u, false)) {
      if (!(r instanceof ContentInformationResponse.Encoded pd)) {
        throw new UserException("the publisher gave no content information for " + u
            + " (not a PeerDist publisher, or hashes not ready yet: try again)");
      }
      ContentPlan plan = ContentPlans.of(pd.info());
      List<SegmentRecord> records = plan.segments().stream().map(ContentPlan.Segment::record).toList();
      return LoadGenerator.segments(records);
    }
  }
}
