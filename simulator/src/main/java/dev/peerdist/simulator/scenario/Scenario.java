package dev.peerdist.simulator.scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One site rolling out packages: what {@code peerdist simulate model} and {@code peerdist simulate
 * live} run. Immutable and checked on construction; read from a scenario file by {@link
 * ScenarioFile} (the format is documented in docs/SIMULATOR.md), shipped ones by {@link Scenarios}.
 *
 * <p>The site: subnets (discovery domains: PCCRD is link-local, PROTOCOL.md §3.1) of client nodes
 * and optional cache servers, all behind one WAN link (rate, round trip) to one publishing server.
 * Each client node has its own LAN link ({@code lanBitsPerSecond}, each direction). Every
 * client wanting a package starts it at its arrival time (see {@link Arrival}) plus the package's
 * start offset.
 *
 * @param name short name, {@code [a-z0-9-]+}
 * @param description one line for listings
 * @param seed everything random in a run derives from it
 * @param wanBitsPerSecond the site's WAN link, each direction
 * @param wanRtt round trip across the WAN link (0 allowed)
 * @param wanBudgetBitsPerSecond the {@code wan-budget} of issue 8 (a per-subnet cap on origin
 *     bytes per second shared by the subnet's nodes), 0 = none
 * @param publisher the publishing server
 * @param subnets at least one
 * @param packages at least one
 * @param arrival when clients start
 * @param faults nodes that leave mid-download and corrupt peers
 * @param timeLimit a run stops (with an error) after this much simulated or real time
 */
public record Scenario(
    String name,
    String description,
    long seed,
    long wanBitsPerSecond,
    Duration wanRtt,
    long wanBudgetBitsPerSecond,
    Publisher publisher,
    List<Subnet> subnets,
    List<PackageSpec> packages,
    Arrival arrival,
    Faults faults,
    Duration timeLimit) {

  /** Most nodes (clients and cache servers) a scenario may have. */
  public static final int MAX_NODES = 100_000;
  /** Most subnets and most packages. */
  public static final int MAX_SUBNETS = 1_000;
  public static final int MAX_PACKAGES = 64;
  /** Largest package: 64 GiB. */
  public static final long MAX_PACKAGE_BYTES = 64L << 30;
  /** Slowest and fastest link accepted: 1 kbit/s .. 1 Tbit/s. */
  public static final long MIN_RATE = 1_000;
  public static final long MAX_RATE = 1_000_000_000_000L;
  /** Longest duration anywhere in a scenario. */
  public static final Duration MAX_DURATION = Duration.ofDays(1);

  /**
   * The publishing server.
   *
   * @param contentVersion highest content-information version it hands out (1 or 2)
   * @param uploadBitsPerSecond a cap on what it sends, all clients together; 0 = none (the WAN link
   *     is then the limit)
   */
  public record Publisher(int contentVersion, long uploadBitsPerSecond) {
    public Publisher {
      check(contentVersion == 1 || contentVersion == 2, "publisher content-version must be 1 or 2, got "
          + contentVersion);
      check(uploadBitsPerSecond == 0 || (uploadBitsPerSecond >= MIN_RATE && uploadBitsPerSecond <= MAX_RATE),
          "publisher upload-rate out of range: " + uploadBitsPerSecond);
    }
  }

  /**
   * One subnet.
   *
   * @param name {@code [a-z0-9-]+}, unique
   * @param clients client nodes (those that download)
   * @param lanBitsPerSecond each node's LAN link, each direction
   * @param cacheServers dedicated cache servers ({@code role = cache-server}) in this subnet
   * @param cachePrepopulated true: the cache servers hold every package wanted in the subnet before
   *     the run starts; false: they start fetching those packages (pinning them) at time 0
   * @param seededClients how many of the clients already hold every package at time 0 (they serve
   *     and do not download)
   */
  public record Subnet(String name, int clients, long lanBitsPerSecond, int cacheServers, boolean cachePrepopulated,
      int seededClients) {
    public Subnet {
      checkName("subnet", name);
      check(clients >= 0 && clients <= MAX_NODES, "subnet " + name + ": clients must be within 0.." + MAX_NODES);
      check(cacheServers >= 0 && cacheServers <= 1_000, "subnet " + name + ": cache-servers must be within 0..1000");
      check(clients + cacheServers >= 1, "subnet " + name + ": needs at least one node");
      check(seededClients >= 0 && seededClients <= clients,
          "subnet " + name + ": seeded-clients must be within 0..clients (" + clients + ")");
      checkRate("subnet " + name + " lan-rate", lanBitsPerSecond);
    }

    /** Nodes of this subnet: clients, then cache servers. */
    public int nodes() {
      return clients + cacheServers;
    }

    /** True when a node of this subnet holds every package wanted here before the run. */
    public boolean holdsAtStart() {
      return seededClients > 0 || (cacheServers > 0 && cachePrepopulated);
    }
  }

  /**
   * One package.
   *
   * @param name {@code [a-z0-9-]+}, unique
   * @param sizeBytes 1 B .. 64 GiB
   * @param subnets the subnets whose clients want it; empty = every subnet
   * @param fraction the share of those clients (chosen by the seed) that want it
   * @param start added to each wanting client's arrival time
   */
  public record PackageSpec(String name, long sizeBytes, List<String> subnets, double fraction, Duration start) {
    public PackageSpec {
      checkName("package", name);
      check(sizeBytes >= 1 && sizeBytes <= MAX_PACKAGE_BYTES, "package " + name + ": size must be within 1 B..64 GiB");
      subnets = List.copyOf(subnets);
      check(fraction > 0 && fraction <= 1, "package " + name + ": fraction must be within (0, 1]");
      checkDuration("package " + name + " start", start);
    }

    /** True when clients of {@code subnet} may want it. */
    public boolean wantedIn(String subnet) {
      return subnets.isEmpty() || subnets.contains(subnet);
    }
  }

  /** How client arrival times are drawn. */
  public enum Pattern {
    /** Everyone at once: uniform within {@code window} (0 = the same instant). */
    ALL_AT_ONCE,
    /** Uniform within {@code window} (a spread rollout). */
    UNIFORM,
    /** {@code waves} waves: each client joins a random wave w and starts at w × window ÷ waves. */
    WAVES,
    /** A Poisson process of {@code ratePerSecond} arrivals per second, clients in random order. */
    POISSON;

    /** The file's spelling, e.g. {@code all-at-once}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The pattern spelled {@code label}, or null. */
    public static Pattern byLabel(String label) {
      for (Pattern p : values()) {
        if (p.label().equals(label)) {
          return p;
        }
      }
      return null;
    }
  }

  /**
   * When clients start.
   *
   * @param pattern the distribution
   * @param window the span for all-at-once, uniform and waves
   * @param waves the number of waves (pattern {@code waves}), else 0
   * @param ratePerSecond arrivals per second (pattern {@code poisson}), else 0
   */
  public record Arrival(Pattern pattern, Duration window, int waves, double ratePerSecond) {
    public Arrival {
      Objects.requireNonNull(pattern, "pattern");
      checkDuration("arrival window", window);
      switch (pattern) {
        case UNIFORM -> check(!window.isZero(), "arrival pattern uniform needs a window > 0");
        case WAVES -> {
          check(!window.isZero(), "arrival pattern waves needs a window > 0");
          check(waves >= 1 && waves <= 10_000, "arrival waves must be within 1..10000, got " + waves);
        }
        case POISSON -> check(ratePerSecond > 0 && ratePerSecond <= 1e6,
            "arrival rate must be within (0, 1000000] per second, got " + ratePerSecond);
        default -> { }
      }
    }
  }

  /** When a leaving node leaves, counted from its own start. */
  public record LeaveAfter(Kind kind, Duration after, double ofIdeal) {
    /** The rules. */
    public enum Kind {
      /** Uniform within [0, 4 × max(ideal, 1 s)) (the interim model's rule). */
      RANDOM,
      /** A fixed time after its start. */
      FIXED,
      /** A fraction of the package's ideal time (written as a percentage). */
      OF_IDEAL
    }

    public LeaveAfter {
      Objects.requireNonNull(kind, "kind");
      checkDuration("leave-after", after);
      check(ofIdeal >= 0 && ofIdeal <= 100, "leave-after percentage must be within 0..10000 %");
    }

    public static final LeaveAfter RANDOM = new LeaveAfter(Kind.RANDOM, Duration.ZERO, 0);

    /** The file's spelling. */
    public String label() {
      return switch (kind) {
        case RANDOM -> "random";
        case FIXED -> after.toMillis() + "ms";
        case OF_IDEAL -> trim(ofIdeal * 100) + "%";
      };
    }
  }

  /**
   * Faults.
   *
   * @param leaveFraction share of the clients that leave mid-download (chosen by the seed; the
   *     count is rounded to the nearest whole node)
   * @param leaveAfter when they leave
   * @param corruptFraction share of the clients whose every served block fails verification
   * @param stallEvery mean time between a client's stalls (zero: none): a node short of CPU or in a
   *     long GC pause that neither sends, answers nor handles anything for a while; the model draws
   *     the gaps from an exponential distribution (the live harness has real ones)
   * @param stallMax a stall lasts a uniform time within [0, stallMax]
   */
  public record Faults(double leaveFraction, LeaveAfter leaveAfter, double corruptFraction, Duration stallEvery,
      Duration stallMax) {
    public static final Faults NONE = new Faults(0, LeaveAfter.RANDOM, 0, Duration.ZERO, Duration.ZERO);

    public Faults {
      check(leaveFraction >= 0 && leaveFraction <= 1, "leave-fraction must be within 0..1, got " + leaveFraction);
      check(corruptFraction >= 0 && corruptFraction <= 1, "corrupt-fraction must be within 0..1, got "
          + corruptFraction);
      Objects.requireNonNull(leaveAfter, "leaveAfter");
      checkDuration("stall-every", stallEvery);
      checkDuration("stall-max", stallMax);
      check(stallEvery.isZero() || stallEvery.toMillis() >= 100, "stall-every must be 0 or at least 100ms, got "
          + stallEvery.toMillis() + "ms");
      check(stallEvery.isZero() == stallMax.isZero(), "stall-every and stall-max go together (both 0 or both set)");
    }
  }

  public Scenario {
    checkName("scenario", name);
    description = description == null ? "" : description;
    checkRate("wan-rate", wanBitsPerSecond);
    checkDuration("wan-rtt", wanRtt);
    check(wanBudgetBitsPerSecond == 0 || (wanBudgetBitsPerSecond >= MIN_RATE && wanBudgetBitsPerSecond <= MAX_RATE),
        "wan-budget out of range: " + wanBudgetBitsPerSecond);
    Objects.requireNonNull(publisher, "publisher");
    subnets = List.copyOf(subnets);
    packages = List.copyOf(packages);
    Objects.requireNonNull(arrival, "arrival");
    Objects.requireNonNull(faults, "faults");
    checkDuration("time-limit", timeLimit);
    check(!timeLimit.isZero(), "time-limit must be > 0");
    check(!subnets.isEmpty() && subnets.size() <= MAX_SUBNETS, "a scenario needs 1.." + MAX_SUBNETS + " subnets");
    check(!packages.isEmpty() && packages.size() <= MAX_PACKAGES, "a scenario needs 1.." + MAX_PACKAGES + " packages");
    long nodes = 0;
    List<String> names = new ArrayList<>();
    for (Subnet s : subnets) {
      check(!names.contains(s.name()), "two subnets named " + s.name());
      names.add(s.name());
      nodes += s.nodes();
    }
    check(nodes <= MAX_NODES, "at most " + MAX_NODES + " nodes, got " + nodes);
    List<String> pkgs = new ArrayList<>();
    for (PackageSpec p : packages) {
      check(!pkgs.contains(p.name()), "two packages named " + p.name());
      pkgs.add(p.name());
      for (String s : p.subnets()) {
        check(names.contains(s), "package " + p.name() + ": no subnet named " + s);
      }
    }
    check(subnets.stream().mapToInt(Subnet::clients).sum() >= 1, "a scenario needs at least one client");
  }

  /** Every node: clients and cache servers of every subnet. */
  public int nodes() {
    return subnets.stream().mapToInt(Subnet::nodes).sum();
  }

  /** Client nodes of every subnet. */
  public int clients() {
    return subnets.stream().mapToInt(Subnet::clients).sum();
  }

  /** The index of the subnet named {@code name}, or -1. */
  public int subnetIndex(String name) {
    for (int i = 0; i < subnets.size(); i++) {
      if (subnets.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The ideal completion times (see {@link Ideal}). */
  public Ideal ideal() {
    return Ideal.of(this);
  }

  /** A copy with another seed. */
  public Scenario withSeed(long newSeed) {
    return new Scenario(name, description, newSeed, wanBitsPerSecond, wanRtt, wanBudgetBitsPerSecond, publisher,
        subnets, packages, arrival, faults, timeLimit);
  }

  /** A JSON-ready view in the file's terms (for report.json). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("description", description);
    m.put("seed", seed);
    m.put("wan_bits_per_second", wanBitsPerSecond);
    m.put("wan_rtt_s", wanRtt.toNanos() / 1e9);
    m.put("wan_budget_bits_per_second", wanBudgetBitsPerSecond);
    m.put("publisher_content_version", publisher.contentVersion());
    m.put("publisher_upload_bits_per_second", publisher.uploadBitsPerSecond());
    List<Object> subs = new ArrayList<>();
    for (Subnet s : subnets) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("name", s.name());
      sm.put("clients", s.clients());
      sm.put("lan_bits_per_second", s.lanBitsPerSecond());
      sm.put("cache_servers", s.cacheServers());
      sm.put("cache_prepopulated", s.cachePrepopulated());
      sm.put("seeded_clients", s.seededClients());
      subs.add(sm);
    }
    m.put("subnets", subs);
    List<Object> pk = new ArrayList<>();
    for (PackageSpec p : packages) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("name", p.name());
      pm.put("size_bytes", p.sizeBytes());
      pm.put("subnets", p.subnets());
      pm.put("fraction", p.fraction());
      pm.put("start_s", p.start().toNanos() / 1e9);
      pk.add(pm);
    }
    m.put("packages", pk);
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("pattern", arrival.pattern().label());
    a.put("window_s", arrival.window().toNanos() / 1e9);
    a.put("waves", arrival.waves());
    a.put("rate_per_second", arrival.ratePerSecond());
    m.put("arrival", a);
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("leave_fraction", faults.leaveFraction());
    f.put("leave_after", faults.leaveAfter().label());
    f.put("corrupt_fraction", faults.corruptFraction());
    f.put("stall_every_ms", faults.stallEvery().toMillis());
    f.put("stall_max_ms", faults.stallMax().toMillis());
    m.put("faults", f);
    m.put("time_limit_s", timeLimit.toNanos() / 1e9);
    return m;
  }

  static String trim(double v) {
    String s = String.format(Locale.ROOT, "%.6f", v);
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static void checkName(String what, String name) {
    check(name != null && name.matches("[a-z0-9][a-z0-9-]{0,62}"),
        what + " name must match [a-z0-9][a-z0-9-]* (at most 63 characters), got '" + name + "'");
  }

  private static void checkRate(String what, long bps) {
    check(bps >= MIN_RATE && bps <= MAX_RATE, what + " must be within 1kbit..1000Gbit, got " + bps + " bit/s");
  }

  private static void checkDuration(String what, Duration d) {
    check(d != null && !d.isNegative() && d.compareTo(MAX_DURATION) <= 0,
        what + " must be within 0..1 day, got " + d);
  }
}
