package dev.peerdist.simulator.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lower bound a report's times are divided by: no download can be faster, whatever the
 * engine does. For a package of P bytes, the WAN rate W (the publisher's upload cap when lower,
 * and the {@code wan-budget} B of a subnet when set), each subnet's per-node LAN rate L_s and the
 * WAN round trip R (rates in bits per second):
 *
 * <pre>
 *   per subnet s:  ideal(p, s) = max(needs_s · 8P ÷ min(W, B), 8P ÷ L_s) + 2R
 *   site:          ideal(p)    = max(k · 8P ÷ W, [k ≥ 1] · 8P ÷ B, max_s 8P ÷ L_s) + 2R
 * </pre>
 *
 * where needs_s is 0 when a node of subnet s holds the package before the run (a pre-populated
 * cache server or a seeded client) and 1 otherwise, and k is the number of subnets wanting the
 * package that need it (subnets share the one WAN link and PCCRD does not cross subnets, so each
 * such subnet needs its own copy across it). 2R is one round trip to open the TCP connection to
 * the publisher and one for the first request: the least any HTTP client needs before data
 * flows (a pre-populated subnet still asks the publisher for content information). LAN latency
 * is not counted. The report's {@code ideal_s} is the largest ideal(p) of all packages: each
 * package is bounded as if it were alone on the site.
 *
 * @param seconds the site's ideal: max over packages of ideal(p)
 * @param rttSeconds the 2R term
 * @param packages per package: its site ideal and its per-subnet ideals
 * @param subnetSeconds per subnet (scenario order): max over the packages wanted there of
 *     ideal(p, s); 0 for a subnet that wants nothing
 */
public record Ideal(double seconds, double rttSeconds, List<PackageIdeal> packages, double[] subnetSeconds) {

  /** One package's bound. */
  public record PackageIdeal(String name, double seconds, double wanSeconds, double lanSeconds,
      int subnetsNeedingWan, double[] subnetSeconds) {}

  /** Computes the bounds of {@code s}. */
  public static Ideal of(Scenario s) {
    double rtt = 2 * s.wanRtt().toNanos() / 1e9;
    double wan = s.wanBitsPerSecond();
    if (s.publisher().uploadBitsPerSecond() > 0) {
      wan = Math.min(wan, s.publisher().uploadBitsPerSecond());
    }
    double budget = s.wanBudgetBitsPerSecond() > 0 ? Math.min(wan, s.wanBudgetBitsPerSecond()) : wan;
    List<PackageIdeal> out = new ArrayList<>();
    double[] perSubnet = new double[s.subnets().size()];
    double site = 0;
    for (Scenario.PackageSpec p : s.packages()) {
      double bits = 8.0 * p.sizeBytes();
      double[] sub = new double[s.subnets().size()];
      int needing = 0;
      double lanMax = 0;
      for (int i = 0; i < s.subnets().size(); i++) {
        Scenario.Subnet n = s.subnets().get(i);
        boolean wants = p.wantedIn(n.name()) && n.clients() > n.seededClients();
        if (!wants) {
          continue;
        }
        double lan = bits / n.lanBitsPerSecond();
        lanMax = Math.max(lanMax, lan);
        boolean needs = !n.holdsAtStart();
        if (needs) {
          needing++;
        }
        sub[i] = Math.max(needs ? bits / budget : 0, lan) + rtt;
        perSubnet[i] = Math.max(perSubnet[i], sub[i]);
      }
      double wanTerm = Math.max(needing * bits / wan, needing > 0 ? bits / budget : 0);
      double ideal = Math.max(wanTerm, lanMax) + rtt;
      out.add(new PackageIdeal(p.name(), ideal, wanTerm, lanMax, needing, sub));
      site = Math.max(site, ideal);
    }
    return new Ideal(site, rtt, List.copyOf(out), perSubnet);
  }

  /** A JSON-ready view. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seconds", seconds);
    m.put("rtt_term_s", rttSeconds);
    m.put("formula", "max(k*8P/W, 8P/B, max_s 8P/L_s) + 2*RTT per package; site = max over packages");
    List<Object> ps = new ArrayList<>();
    for (PackageIdeal p : packages) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("package", p.name());
      pm.put("seconds", p.seconds());
      pm.put("wan_term_s", p.wanSeconds());
      pm.put("lan_term_s", p.lanSeconds());
      pm.put("subnets_needing_wan", p.subnetsNeedingWan());
      List<Double> sub = new ArrayList<>();
      for (double d : p.subnetSeconds()) {
        sub.add(d);
      }
      pm.put("per_subnet_s", sub);
      ps.add(pm);
    }
    m.put("packages", ps);
    return m;
  }
}
