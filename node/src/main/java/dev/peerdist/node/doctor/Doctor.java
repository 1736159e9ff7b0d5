package dev.peerdist.node.doctor;

import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.StoreHealth;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.transport.WsDiscoveryConfig;
import dev.peerdist.discovery.transport.WsDiscoveryPeerDirectory;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.origin.ProxySettings;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code peerdist doctor}: checks, on one machine, what a node here would rely on, and says in
 * plain words what is wrong. Every check is bounded in time; nothing is changed (the store is opened
 * only to read its health, and not at all while a node holds it).
 */
public final class Doctor {
  /** A clock further off than this from the publisher's is a warning. */
  static final Duration SKEW_WARN = Duration.ofSeconds(60);
  /** Free space below this share of cache-size is a warning. */
  static final double FREE_WARN = 0.1;

  /** How a check ended. */
  public enum Status {
    OK, WARN, FAIL;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One check's outcome in plain words. */
  public record Check(String name, Status status, String detail) {}

  /** Every check, in order. */
  public record Report(List<Check> checks) {
    /** True when no check failed (warnings are fine). */
    public boolean ok() {
      return checks.stream().noneMatch(c -> c.status == Status.FAIL);
    }

    /** One line per check. */
    public String text() {
      StringBuilder sb = new StringBuilder();
      for (Check c : checks) {
        sb.append(String.format("%-5s %-12s %s%n", c.status.name(), c.name, c.detail));
      }
      sb.append(ok() ? "no problem found" : "problems found").append(System.lineSeparator());
      return sb.toString();
    }

    /** The report as one JSON object. */
    public String json() {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Check c : checks) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", c.name);
        m.put("status", c.status.label());
        m.put("detail", c.detail);
        list.add(m);
      }
      Map<String, Object> root = new java.util.LinkedHashMap<>();
      root.put("ok", ok());
      root.put("checks", list);
      return dev.peerdist.node.admin.Json.write(root);
    }
  }

  private final NodeConfig config;
  private final Map<String, String> env;
  private final Duration probeWait;
  private final URI checkUrl;
  private final Clock clock;

  /**
   * @param probeWait how long answers to the diagnostic probe are collected
   * @param checkUrl a file on the publisher to ask for content information (null: the first publisher's base URL)
   */
  public Doctor(NodeConfig config, Map<String, String> env, Duration probeWait, URI checkUrl, Clock clock) {
    this.config = config;
    this.env = env;
    this.probeWait = probeWait;
    this.checkUrl = checkUrl;
    this.clock = clock;
  }

  /** Runs every check. */
  public Report run() {
    List<Check> out = new ArrayList<>();
    out.add(interfaces());
    List<ProbeMatch> nodes = new ArrayList<>();
    out.add(multicast(nodes));
    out.add(pccrrReach(nodes));
    out.addAll(publisher());
    out.add(store());
    return new Report(List.copyOf(out));
  }

  Check interfaces() {
    List<String> used = new ArrayList<>();
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        boolean named = nif.getName().equals(config.interfaceName());
        if (!config.interfaceName().isEmpty() && !named) {
          continue;
        }
        if (!nif.isUp() || (!named && (nif.isLoopback() || !nif.supportsMulticast()))) {
          continue;
        }
        List<String> nets = new ArrayList<>();
        for (InterfaceAddress a : nif.getInterfaceAddresses()) {
          if (a.getAddress().isLinkLocalAddress() && !(a.getAddress() instanceof Inet4Address)) {
            nets.add(a.getAddress().getHostAddress().replaceAll("%.*", "") + " (link-local)");
          } else {
            nets.add(a.getAddress().getHostAddress() + "/" + a.getNetworkPrefixLength());
          }
        }
        used.add(nif.getName() + " [" + String.join(", ", nets) + "]");
      }
    } catch (IOException e) {
      return new Check("interfaces", Status.FAIL, "cannot list network interfaces: " + e.getMessage());
    }
    if (used.isEmpty()) {
      return new Check("interfaces", Status.FAIL, config.interfaceName().isEmpty()
          ? "no interface is up, multicast-capable and not loopback: peers cannot be discovered"
          : "interface " + config.interfaceName() + " (config 'interface') is missing or down");
    }
    return new Check("interfaces", Status.OK, "discovery uses " + String.join("; ", used)
        + "; peers are found on these subnets only (others through cache servers or a hosted cache)");
  }

  Check multicast(List<ProbeMatch> found) {
    WsDiscoveryConfig.Builder b = WsDiscoveryConfig.builder().port(config.discoveryPort());
    if (!config.interfaceName().isEmpty()) {
      b.interfaces(List.of(config.interfaceName()));
    }
    try (WsDiscoveryPeerDirectory d = WsDiscoveryPeerDirectory.start(b.build())) {
      if (d.links().isEmpty()) {
        return new Check("multicast", Status.FAIL, "cannot join the PCCRD group on any interface (port "
            + config.discoveryPort() + ")");
      }
      List<ProbeMatch> m = d.probe(List.of(DiagnosticProbe.KEY), probeWait, 0)
          .get(probeWait.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      found.addAll(m);
      if (m.isEmpty()) {
        return new Check("multicast", Status.WARN, "no peerdist node answered a diagnostic probe within "
            + probeWait.toMillis() + " ms on UDP port " + config.discoveryPort() + ": this is the only node on its "
            + "subnet(s), or multicast (239.255.255.250 / ff02::c) is filtered by the switch or a firewall");
      }
      List<String> who = m.stream().map(p -> p.peer().address().getAddress().getHostAddress()).distinct().toList();
      return new Check("multicast", Status.OK, m.size() + " node(s) answered a diagnostic probe: "
          + String.join(", ", who));
    } catch (Exception e) {
      return new Check("multicast", Status.FAIL, "the diagnostic probe failed: " + e.getMessage());
    }
  }

  Check pccrrReach(List<ProbeMatch> nodes) {
    if (nodes.isEmpty()) {
      return new Check("pccrr", Status.WARN, "no node to connect to (none answered the probe)");
    }
    List<String> bad = new ArrayList<>();
    for (ProbeMatch m : nodes) {
      InetSocketAddress a = m.peer().address();
      try (Socket s = new Socket()) {
        s.connect(a, 2000);
      } catch (IOException e) {
        bad.add(a.getAddress().getHostAddress() + ":" + a.getPort() + " (" + e.getMessage() + ")");
      }
    }
    if (bad.isEmpty()) {
      return new Check("pccrr", Status.OK, "the PCCRR port of every answering node accepts connections ("
          + nodes.size() + ")");
    }
    return new Check("pccrr", Status.FAIL, "cannot connect to " + String.join(", ", bad)
        + ": a firewall blocks the PCCRR port (TCP), so blocks cannot be fetched from those peers");
  }

  List<Check> publisher() {
    URI url = checkUrl != null ? checkUrl : config.publishers().isEmpty() ? null : config.publishers().get(0);
    if (url == null) {
      return List.of(new Check("publisher", Status.WARN, "no publisher configured (and no --url): nothing to check"));
    }
    ProxySettings proxy;
    try {
      proxy = ProxySettings.resolve(config.proxy(), env);
    } catch (IllegalArgumentException e) {
      return List.of(new Check("publisher", Status.FAIL, "proxy setting unusable: " + e.getMessage()));
    }
    Proxy p = proxy.proxyFor(url);
    String via = p == Proxy.NO_PROXY ? "directly" : "via the proxy " + p.address();
    HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .proxy(proxy.none() ? HttpClient.Builder.NO_PROXY : proxy.selector());
    if (proxy.authenticator() != null) {
      hb.authenticator(proxy.authenticator());
    }
    if (config.tlsInsecure()) {
      hb.sslContext(dev.peerdist.node.origin.TrustAll.sslContext());
    }
    List<Check> out = new ArrayList<>();
    HttpResponse<Void> r;
    try {
      HttpClient http = hb.build();
      HttpRequest.Builder rb = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
          .header("Accept-Encoding", "peerdist").header("X-P2P-PeerDist", "Version=1.1")
          .header("X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=2.0")
          .header("Range", "bytes=0-0");
      if (!config.token().isEmpty()) {
        rb.header("Authorization", "Bearer " + config.token());
      }
      r = http.send(rb.build(), HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      return List.of(new Check("publisher", Status.FAIL, "cannot reach " + url + " " + via + ": "
          + (e.getMessage() == null ? e.toString() : e.getMessage())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of(new Check("publisher", Status.FAIL, "interrupted"));
    }
    int status = r.statusCode();
    Status reach = status == 407 || status >= 500 ? Status.FAIL : Status.OK;
    out.add(new Check("publisher", reach, url + " answered HTTP " + status + " " + via
        + (status == 407 ? " (the proxy wants credentials: proxy = http://user:password@host:port)" : "")));
    boolean peerdist = r.headers().allValues("Content-Encoding").stream().anyMatch(v -> v.toLowerCase(Locale.ROOT)
        .contains("peerdist"));
    boolean makeHash = r.headers().allValues("X-P2P-PeerDistEx").stream().anyMatch(v -> v.contains("MakeHashRequest"));
    if (peerdist) {
      out.add(new Check("peerdist", Status.OK, "the publisher hands out content information for " + url));
    } else if (makeHash) {
      out.add(new Check("peerdist", Status.OK, "the publisher speaks PeerDist and is still hashing " + url));
    } else if (status >= 200 && status < 300) {
      out.add(new Check("peerdist", Status.WARN, "the answer for " + url + " is plain: the publisher does not offer "
          + "PeerDist for it, the file is below its minimum size, or something on the way ("
          + (p == Proxy.NO_PROXY ? "a transparent proxy?" : "the proxy") + ") removed the PeerDist headers;"
          + (checkUrl == null ? " name a file with --url to check one" : " downloads will not use peers")));
    } else {
      out.add(new Check("peerdist", Status.WARN, "cannot tell whether the publisher offers PeerDist from HTTP "
          + status + "; name a file with --url"));
    }
    out.add(skew(r.headers().firstValue("Date").orElse(null)));
    return out;
  }

  Check skew(String date) {
    if (date == null) {
      return new Check("clock", Status.WARN, "the publisher sent no Date header: clock skew unknown");
    }
    try {
      ZonedDateTime d = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration skew = Duration.between(d.toInstant(), clock.instant());
      long s = Math.abs(skew.toSeconds());
      String detail = "this clock is " + s + " s " + (skew.isNegative() ? "behind" : "ahead of") + " the publisher's"
          + " (HTTP Date has 1 s resolution)";
      return new Check("clock", s > SKEW_WARN.toSeconds() ? Status.WARN : Status.OK, s > SKEW_WARN.toSeconds()
          ? detail + ": fix time sync (NTP); expiry and log times will disagree" : detail);
    } catch (RuntimeException e) {
      return new Check("clock", Status.WARN, "unreadable Date header '" + date + "'");
    }
  }

  Check store() {
    Path dir = config.store();
    if (!Files.isDirectory(dir)) {
      return new Check("store", Status.WARN, dir + " does not exist yet (a node makes it at first start)");
    }
    String space;
    Status spaceStatus = Status.OK;
    try {
      long free = Files.getFileStore(dir).getUsableSpace();
      space = human(free) + " free on its file system";
      if (free < config.cacheSize() * FREE_WARN) {
        spaceStatus = Status.WARN;
        space += ", under " + (int) (FREE_WARN * 100) + "% of cache-size " + human(config.cacheSize());
      }
    } catch (IOException e) {
      space = "free space unknown (" + e.getMessage() + ")";
      spaceStatus = Status.WARN;
    }
    try (RocksChunkStore s = RocksChunkStore.at(dir).createIfMissing(false).open()) {
      StoreHealth h = s.health();
      StoreStats st = s.stats();
      Status status = h.state() == StoreHealth.State.OK ? spaceStatus : Status.FAIL;
      return new Check("store", status, dir + ": " + h.state().name().toLowerCase(Locale.ROOT)
          + (h.detail().isEmpty() ? "" : " (" + h.detail() + ")") + ", " + st.segments() + " segments, "
          + human(st.usedBytes()) + " used of " + human(config.cacheSize()) + "; " + space);
    } catch (ChunkStoreException e) {
      String m = String.valueOf(e.getMessage());
      if (m.toLowerCase(Locale.ROOT).contains("lock")) {
        return new Check("store", spaceStatus, dir + " is in use by a running node (its /healthz tells the store's "
            + "health); " + space);
      }
      return new Check("store", Status.FAIL, dir + " cannot be opened: " + m);
    }
  }

  static String human(long bytes) {
    return dev.peerdist.node.admin.StatusText.bytes(bytes);
  }
}
