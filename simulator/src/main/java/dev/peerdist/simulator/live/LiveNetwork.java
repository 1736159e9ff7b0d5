package dev.peerdist.simulator.live;

import dev.peerdist.simulator.scenario.Scenario;
import dev.peerdist.simulator.scenario.SitePlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the live harness's processes run and how they reach each other. Two layouts:
 *
 * <pre>
 *  netns (root):                                         loopback (no root):
 *
 *   node ns ─veth─┐                                       every process on 127.0.0.1;
 *   node ns ─veth─┼─ br0 ─┐                                one discovery port per subnet
 *        ...      ┘       │  router ns          pub ns     (subnets apart on one lo);
 *   node ns ─veth─┐       ├─ delay line ─ wan0 ══ wan0 ─   the WAN is the delay line in
 *        ...      ┼─ br1 ─┘   (TCP proxy)   tbf      tbf   front of the publisher, whose
 *                 ┘                                        upload is capped (--upload-rate)
 * </pre>
 *
 * In the netns layout every node has its own network namespace with one veth into its subnet's
 * bridge (both ends shaped with tbf at the node's LAN rate), the bridges and the delay line live
 * in a router namespace, and the publisher in its own namespace behind the one WAN link (a veth
 * pair shaped with tbf at the WAN rate in both directions). Nodes have no route to the publisher:
 * they reach it only through the delay line on the router's bridge address. Names start with
 * {@code pdsim-RUN-} so that {@link Cleanup} can find leftovers.
 */
final class LiveNetwork {
  /** Prefix of every namespace a live run creates. */
  static final String PREFIX = "pdsim-";
  static final int PUBLISHER_PORT = 8080;
  static final int DELAY_PORT = 8080;
  static final int PCCRR_PORT = 8780;
  static final int ADMIN_PORT = 7780;

  private final boolean netns;
  private final String runId;
  private final Processes processes;
  private final Scenario scenario;
  private final SitePlan plan;
  private final int discoveryBase;
  private final List<String> created = new ArrayList<>();

  /** A place a process runs: a namespace, or this host (null). */
  record Host(String name, String namespace) {}

  LiveNetwork(boolean netns, String runId, Processes processes, Scenario scenario, SitePlan plan, int discoveryBase) {
    this.netns = netns;
    this.runId = runId;
    this.processes = processes;
    this.scenario = scenario;
    this.plan = plan;
    this.discoveryBase = discoveryBase;
  }

  boolean netns() {
    return netns;
  }

  String mode() {
    return netns ? "netns" : "loopback";
  }

  Host node(int id) {
    return new Host("n" + id, netns ? PREFIX + runId + "-n" + id : null);
  }

  Host router() {
    return new Host("router", netns ? PREFIX + runId + "-r" : null);
  }

  Host publisher() {
    return new Host("publisher", netns ? PREFIX + runId + "-p" : null);
  }

  /** {@code argv} run on {@code h}. */
  List<String> on(Host h, List<String> argv) {
    if (h.namespace() == null) {
      return argv;
    }
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", h.namespace()));
    cmd.addAll(argv);
    return cmd;
  }

  /** The node's address on its subnet (netns), or loopback. */
  String nodeAddress(int id) {
    if (!netns) {
      return "127.0.0.1";
    }
    SitePlan.Node n = plan.nodes().get(id);
    int index = 0;
    for (SitePlan.Node m : plan.nodes()) {
      if (m.subnet() == n.subnet() && m.id() < id) {
        index++;
      }
    }
    return "10." + (64 + n.subnet()) + "." + (index / 250) + "." + (index % 250 + 2);
  }

  String nodeInterface() {
    return netns ? "eth0" : "lo";
  }

  /** PCCRD port of a subnet: 3702 in its own namespaces, one port per subnet on loopback. */
  int discoveryPort(int subnet) {
    return netns ? 3702 : discoveryBase + subnet;
  }

  String routerAddress(int subnet) {
    return "10." + (64 + subnet) + ".0.1";
  }

  String publisherBind() {
    return netns ? "10.63.255.2" : "127.0.0.1";
  }

  String delayBind() {
    return netns ? "0.0.0.0" : "127.0.0.1";
  }

  /** The publisher base URL the nodes of {@code subnet} use: the delay line. */
  String publisherUrl(int subnet, int delayPort) {
    return "http://" + (netns ? routerAddress(subnet) : "127.0.0.1") + ":" + delayPort + "/";
  }

  /** Creates the namespaces, bridges, veths and qdiscs (netns only). */
  void setUp() throws IOException {
    if (!netns) {
      return;
    }
    String r = router().namespace();
    String p = publisher().namespace();
    addNamespace(r);
    addNamespace(p);
    StringBuilder rb = new StringBuilder("link set lo up\n");
    rb.append("link add wan0 type veth peer name wan0 netns ").append(p).append('\n');
    rb.append("addr add 10.63.255.1/30 dev wan0\nlink set wan0 up\n");
    for (int s = 0; s < scenario.subnets().size(); s++) {
      rb.append("link add br").append(s).append(" type bridge mcast_snooping 0\n");
      rb.append("addr add ").append(routerAddress(s)).append("/16 dev br").append(s).append('\n');
      rb.append("link set br").append(s).append(" up\n");
    }
    List<String> nodeBatches = new ArrayList<>();
    for (SitePlan.Node n : plan.nodes()) {
      String ns = node(n.id()).namespace();
      addNamespace(ns);
      rb.append("link add v").append(n.id()).append(" type veth peer name eth0 netns ").append(ns).append('\n');
      rb.append("link set v").append(n.id()).append(" master br").append(n.subnet()).append(" up\n");
      nodeBatches.add("link set lo up\naddr add " + nodeAddress(n.id()) + "/16 dev eth0\nlink set eth0 up\n"
          + "route add 224.0.0.0/4 dev eth0\n");
    }
    processes.check(List.of("ip", "-n", r, "-batch", "-"), rb.toString(), 60);
    processes.check(List.of("ip", "-n", p, "-batch", "-"), "link set lo up\naddr add 10.63.255.2/30 dev wan0\n"
        + "link set wan0 up\n", 30);
    // The WAN: one link, shaped in both directions (tbf shapes what leaves an interface).
    StringBuilder rt = new StringBuilder(tbf("wan0", scenario.wanBitsPerSecond(), 50));
    processes.check(List.of("tc", "-n", p, "-batch", "-"), tbf("wan0", scenario.wanBitsPerSecond(), 50), 30);
    for (SitePlan.Node n : plan.nodes()) {
      long lan = scenario.subnets().get(n.subnet()).lanBitsPerSecond();
      processes.check(List.of("ip", "-n", node(n.id()).namespace(), "-batch", "-"), nodeBatches.get(n.id()), 30);
      processes.check(List.of("tc", "-n", node(n.id()).namespace(), "-batch", "-"), tbf("eth0", lan, 20), 30);
      rt.append(tbf("v" + n.id(), lan, 20));
    }
    processes.check(List.of("tc", "-n", r, "-batch", "-"), rt.toString(), 60);
  }

  /** A tc batch line: tbf at {@code bps} with a burst of max(4 ms of traffic, 128 KiB). */
  private static String tbf(String dev, long bps, int latencyMs) {
    long burst = Math.max(bps / 8 / 250, 128 * 1024);
    return String.format(Locale.ROOT, "qdisc replace dev %s root tbf rate %dbit burst %d latency %dms%n", dev, bps,
        burst, latencyMs);
  }

  private void addNamespace(String ns) throws IOException {
    processes.check(List.of("ip", "netns", "add", ns), null, 30);
    created.add(ns);
  }

  /**
   * The router's WAN interface counters {rx bytes (publisher → site), tx bytes}, read from {@code
   * /proc/PID/net/dev} of a process inside the router namespace (no process spawned).
   */
  static long[] wanCounters(long routerPid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(routerPid), "net", "dev"))) {
      String t = line.trim();
      if (t.startsWith("wan0:")) {
        String[] f = t.substring(5).trim().split("\\s+");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[8])};
      }
    }
    throw new IOException("no wan0 in the router namespace");
  }

  /** Deletes every namespace this run created (their veths, bridges and qdiscs go with them). */
  void close() {
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        processes.run(List.of("ip", "netns", "delete", created.get(i)), null, 30);
      } catch (IOException e) {
        // Cleanup.leftovers() removes it later by its prefix.
      }
    }
    created.clear();
  }

  /** The namespaces that exist now with this run's prefix. */
  List<String> existing() throws IOException {
    List<String> out = new ArrayList<>();
    Processes.Result r = processes.run(List.of("ip", "netns", "list"), null, 30);
    for (String line : r.output().split("\n")) {
      String name = line.trim().split("\\s+")[0];
      if (name.startsWith(PREFIX + runId + "-")) {
        out.add(name);
      }
    }
    return out;
  }
}
