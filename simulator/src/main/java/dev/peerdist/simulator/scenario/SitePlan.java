package dev.peerdist.simulator.scenario;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A scenario made concrete by its seed: every node with its subnet, role, start time per
 * package, leave time and whether it is corrupt. Models and the live harness run the same plan,
 * so the same scenario and seed start the same nodes at the same times.
 *
 * <p>Nodes are numbered subnet by subnet (scenario order): the subnet's clients (the first
 * {@code seeded-clients} of them are seeded), then its cache servers. The seeded choices, in
 * this order from one {@link SplittableRandom}: arrival times of the downloading clients; for
 * each package, which clients want it (exactly round(fraction × n) of the eligible ones); the
 * corrupt clients (round(corrupt-fraction × clients)); the leaving clients (round(leave-fraction ×
 * downloading clients)) and their leave times.
 */
public final class SitePlan {
  private static final long NANOS = 1_000_000_000L;

  /** What a node is. */
  public enum Role {
    /** Downloads the packages it wants at its arrival times. */
    CLIENT,
    /** A client that holds every package of its subnet at time 0 and downloads nothing. */
    SEEDED_CLIENT,
    /** A dedicated cache server: holds its subnet's packages at time 0 when pre-populated, else
     *  fetches them from time 0. */
    CACHE_SERVER
  }

  /**
   * One node.
   *
   * @param id 0.. nodes-1
   * @param subnet index into the scenario's subnets
   * @param role what it is
   * @param corrupt every block it serves fails verification
   * @param leaveAtNanos when it leaves (stops serving and fetching), from the run's start; -1 = never
   * @param startNanos per package: when it starts downloading it, from the run's start; -1 = never
   * @param holds per package: true when it holds the package at time 0
   */
  public record Node(int id, int subnet, Role role, boolean corrupt, long leaveAtNanos, long[] startNanos,
      boolean[] holds) {
    /** True when it downloads package {@code p}. */
    public boolean wants(int p) {
      return startNanos[p] >= 0;
    }

    /** Its first start, or -1 when it downloads nothing. */
    public long firstStartNanos() {
      long first = -1;
      for (long t : startNanos) {
        if (t >= 0 && (first < 0 || t < first)) {
          first = t;
        }
      }
      return first;
    }
  }

  private final Scenario scenario;
  private final List<Node> nodes;

  private SitePlan(Scenario scenario, List<Node> nodes) {
    this.scenario = scenario;
    this.nodes = List.copyOf(nodes);
  }

  public Scenario scenario() {
    return scenario;
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** The subnet of every node, by id. */
  public int[] subnetOf() {
    int[] s = new int[nodes.size()];
    for (Node n : nodes) {
      s[n.id()] = n.subnet();
    }
    return s;
  }

  /** The role of every node, by id. */
  public Role[] roles() {
    Role[] r = new Role[nodes.size()];
    for (Node n : nodes) {
      r[n.id()] = n.role();
    }
    return r;
  }

  /** Plans {@code s} with its seed. */
  public static SitePlan of(Scenario s) {
    SplittableRandom random = new SplittableRandom(s.seed());
    int packages = s.packages().size();
    List<int[]> shape = new ArrayList<>(); // {subnet, role ordinal}
    for (int i = 0; i < s.subnets().size(); i++) {
      Scenario.Subnet sub = s.subnets().get(i);
      for (int c = 0; c < sub.clients(); c++) {
        shape.add(new int[] {i, c < sub.seededClients() ? Role.SEEDED_CLIENT.ordinal() : Role.CLIENT.ordinal()});
      }
      for (int c = 0; c < sub.cacheServers(); c++) {
        shape.add(new int[] {i, Role.CACHE_SERVER.ordinal()});
      }
    }
    int n = shape.size();
    List<Integer> downloaders = new ArrayList<>();
    List<Integer> clients = new ArrayList<>();
    for (int id = 0; id < n; id++) {
      if (shape.get(id)[1] == Role.CLIENT.ordinal()) {
        downloaders.add(id);
      }
      if (shape.get(id)[1] != Role.CACHE_SERVER.ordinal()) {
        clients.add(id);
      }
    }
    long[] arrival = new long[n];
    arrivals(s.arrival(), downloaders, arrival, random);

    long[][] start = new long[n][packages];
    boolean[][] holds = new boolean[n][packages];
    for (long[] row : start) {
      Arrays.fill(row, -1);
    }
    for (int p = 0; p < packages; p++) {
      Scenario.PackageSpec spec = s.packages().get(p);
      List<Integer> eligible = new ArrayList<>();
      for (int id = 0; id < n; id++) {
        String subnet = s.subnets().get(shape.get(id)[0]).name();
        if (!spec.wantedIn(subnet)) {
          continue;
        }
        Role role = Role.values()[shape.get(id)[1]];
        Scenario.Subnet sub = s.subnets().get(shape.get(id)[0]);
        switch (role) {
          case SEEDED_CLIENT -> holds[id][p] = true;
          case CACHE_SERVER -> {
            if (sub.cachePrepopulated()) {
              holds[id][p] = true;
            } else {
              start[id][p] = 0;
            }
          }
          default -> eligible.add(id);
        }
      }
      for (int id : choose(eligible, spec.fraction(), random)) {
        start[id][p] = arrival[id] + spec.start().toNanos();
      }
    }
    boolean[] corrupt = new boolean[n];
    for (int id : choose(clients, s.faults().corruptFraction(), random)) {
      corrupt[id] = true;
    }
    List<Integer> downloading = new ArrayList<>();
    for (int id : downloaders) {
      for (long t : start[id]) {
        if (t >= 0) {
          downloading.add(id);
          break;
        }
      }
    }
    long[] leave = new long[n];
    Arrays.fill(leave, -1);
    Ideal ideal = s.ideal();
    for (int id : choose(downloading, s.faults().leaveFraction(), random)) {
      int first = 0;
      for (int p = 0; p < packages; p++) {
        if (start[id][p] >= 0 && (start[id][first] < 0 || start[id][p] < start[id][first])) {
          first = p;
        }
      }
      double idealSeconds = ideal.packages().get(first).seconds();
      Scenario.LeaveAfter rule = s.faults().leaveAfter();
      long after = switch (rule.kind()) {
        case RANDOM -> random.nextLong((long) (Math.max(idealSeconds, 1.0) * 4 * NANOS));
        case FIXED -> rule.after().toNanos();
        case OF_IDEAL -> (long) (rule.ofIdeal() * idealSeconds * NANOS);
      };
      leave[id] = start[id][first] + after;
    }
    List<Node> out = new ArrayList<>(n);
    for (int id = 0; id < n; id++) {
      out.add(new Node(id, shape.get(id)[0], Role.values()[shape.get(id)[1]], corrupt[id], leave[id], start[id],
          holds[id]));
    }
    return new SitePlan(s, out);
  }

  private static void arrivals(Scenario.Arrival a, List<Integer> ids, long[] out, SplittableRandom random) {
    long window = a.window().toNanos();
    switch (a.pattern()) {
      case ALL_AT_ONCE, UNIFORM -> {
        for (int id : ids) {
          out[id] = window == 0 ? 0 : random.nextLong(window);
        }
      }
      case WAVES -> {
        for (int id : ids) {
          out[id] = random.nextInt(a.waves()) * (window / a.waves());
        }
      }
      case POISSON -> {
        List<Integer> order = shuffled(ids, random);
        double t = 0;
        for (int id : order) {
          t += -Math.log(1 - random.nextDouble()) / a.ratePerSecond();
          out[id] = (long) (t * NANOS);
        }
      }
      default -> throw new IllegalStateException("unknown arrival pattern " + a.pattern());
    }
  }

  /** Exactly round(fraction × size) of {@code from}, chosen by {@code random}, in ascending order. */
  private static List<Integer> choose(List<Integer> from, double fraction, SplittableRandom random) {
    int k = (int) Math.round(fraction * from.size());
    List<Integer> picked = new ArrayList<>(shuffled(from, random).subList(0, k));
    picked.sort(null);
    return picked;
  }

  private static List<Integer> shuffled(List<Integer> from, SplittableRandom random) {
    List<Integer> copy = new ArrayList<>(from);
    for (int i = copy.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Integer t = copy.get(i);
      copy.set(i, copy.get(j));
      copy.set(j, t);
    }
    return copy;
  }
}
