package dev.peerdist.node;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.discovery.pccrd.PccrdTiming;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.retrieval.PeerClientConfig;
import dev.peerdist.node.units.Durations;
import dev.peerdist.node.units.Rate;
import dev.peerdist.node.units.Size;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every option of a node, with its default, its type and its documentation, in one place. The
 * same key is the config-file key, the flag ({@code --key}) and, upper-cased with {@code _}, the
 * environment variable ({@code PEERDIST_KEY}). {@code docs/CONFIGURATION.md} lists exactly these
 * keys (a test checks it), and the flags of {@code run}, {@code get} and {@code demo} are generated
 * from this table ({@code cli.NodeOptions}), so their help is this table's.
 *
 * <p><b>Defaults.</b> Where a component has the same setting, the key's default is the
 * component's ({@link RocksChunkStore#DEFAULT_CAPACITY_BYTES}, {@link PccrdTiming#PORT}, {@link
 * LoopSettings#defaults()}, {@link PeerClientConfig#defaults()}), so that there is one place for
 * it; the others are written here.
 *
 * <p>Sizes, rates and durations are read by the one parser of each ({@link Size}, {@link Rate},
 * {@link Durations}: sizes count in 1024s whatever the spelling, bit rates in 1000s); a duration
 * key must be longer than zero, a rate key reads {@code 0} as "no cap".
 */
public enum ConfigKey {
  PUBLISHER("publisher", Type.URI_LIST, "",
      "Publishing server base URL(s); repeat or separate by commas. The local mirror maps a path "
          + "to the first publisher whose path prefix matches.", "PROTOCOL.md §5"),
  STORE("store", Type.PATH, "~/.peerdist/store", "Directory of the RocksDB chunk store.", "PROTOCOL.md §2.1"),
  CACHE_SIZE("cache-size", Type.SIZE, Size.ofBytes(RocksChunkStore.DEFAULT_CAPACITY_BYTES).toString(),
      "Most bytes the store keeps (K, M, G, T count in 1024s); least recently used unpinned segments are "
          + "evicted whole. 0 = pass-through only: nothing is cached. Left at its default, the capacity the "
          + "store keeps (set by 'peerdist cache capacity') stays.", ""),
  BIND("bind", Type.ADDRESS, "0.0.0.0", "Address the PCCRR server listens on.", "PROTOCOL.md §4.1"),
  INTERFACE("interface", Type.STRING, "",
      "Network interface for PCCRD multicast (empty: every up, multicast-capable interface).",
      "PROTOCOL.md §3.1"),
  PCCRR_PORT("pccrr-port", Type.PORT, "80",
      "TCP port of the PCCRR server (0: any free port). Advertised in ProbeMatch XAddrs.",
      "PROTOCOL.md §1, §4.1"),
  ADMIN_BIND("admin-bind", Type.ADDRESS, "127.0.0.1",
      "Address of the admin endpoint and the local mirror.", ""),
  ADMIN_PORT("admin-port", Type.PORT, "7780",
      "Port of the admin endpoint (/metrics, /healthz, /readyz, /status, /download).", ""),
  MIRROR_PORT("mirror-port", Type.PORT, "7781",
      "Port of the local mirror: http://127.0.0.1:PORT/<path on the publisher>.", "PROTOCOL.md §5.2"),
  ROLE("role", Type.ROLE, "client",
      "client, cache-server (pins --prepopulate content and announces itself by DNS-SD), or hosted-cache "
          + "(a cache server that also takes MS-PCHC offers from any subnet, docs/SITES.md).", "PROTOCOL.md §6"),
  PREPOPULATE("prepopulate", Type.STRING_LIST, "",
      "cache-server only: URLs (or paths under a publisher) to fetch and pin at start-up.", ""),
  PEER("peer", Type.STRING_LIST, "",
      "Peers asked for every segment besides those discovery finds (host:port), e.g. cache servers.",
      "PROTOCOL.md §4.1"),
  DNSSD("dnssd", Type.BOOLEAN, "true",
      "Announce a cache server / browse for cache servers by DNS-SD (_peerdist._tcp).", ""),
  DISCOVERY_PORT("discovery-port", Type.PORT, Integer.toString(PccrdTiming.PORT),
      "UDP port of PCCRD multicast (3702 on a real LAN; another port keeps test swarms apart).",
      "PROTOCOL.md §3.1"),
  DISCOVERY_WAIT("discovery-wait", Type.DURATION, Durations.format(LoopSettings.defaults().discoveryWait()),
      "How long after a segment's first probe answers may arrive before blocks nobody holds are fetched "
          + "from the origin (Windows waits 300 ms); later answers still count.", "PROTOCOL.md §3.6"),
  READ_AHEAD("read-ahead", Type.COUNT,
      Long.toString(LoopSettings.defaults().readAheadBytes() / SegmentRecord.V1_SEGMENT_SIZE),
      "How far a download fetches ahead of its reader, in 32 MiB units (one V1 segment each).", ""),
  WAN_BUDGET("wan-budget", Type.RATE, Rate.ofBytesPerSecond(LoopSettings.defaults().wanBudget()).toString(),
      "Origin bytes per second the nodes of a subnet share (e.g. 50Mbit, 6MiB/s; 0: no cap). Each node "
          + "takes an equal share with the other nodes it hears fetching from the origin.", "PROTOCOL.md §5.2"),
  PEER_TIMEOUT("peer-timeout", Type.DURATION, Durations.format(PeerClientConfig.defaults().requestTimeout()), "PCCRR request timer.", "PROTOCOL.md §4.6"),
  ORIGIN_TIMEOUT("origin-timeout", Type.DURATION, "30s", "Timeout of one request to a publisher.",
      "PROTOCOL.md §5.2"),
  MAX_UPLOADS("max-uploads", Type.COUNT, "16",
      "Concurrent PCCRR requests served; more wait up to 1 s in a queue that is fair per client address, then get the empty (busy) answer.", "PROTOCOL.md §4.6"),
  MAX_DOWNLOADS("max-downloads", Type.COUNT, "8", "Concurrent downloads through this node.", ""),
  CONTENT_VERSION("content-version", Type.COUNT, "1",
      "Highest content-information version asked for: 1 (32 MiB segments, few probes) or 2.",
      "PROTOCOL.md §5.1, §2.4"),
  TOKEN("token", Type.STRING, "",
      "Bearer token sent with requests to the configured publishers only (never to other hosts).",
      "PROTOCOL.md §5.1"),
  DOWNLOAD_ALLOW("download-allow", Type.STRING_LIST, "",
      "URL prefixes that /download may fetch besides the publishers (* = any http(s) URL); they never "
          + "get the token.", ""),
  TLS_INSECURE("tls-insecure", Type.BOOLEAN, "false",
      "Trust any TLS certificate of a publisher (self-signed trial servers only).", ""),
  HOSTED_CACHE("hosted-cache", Type.STRING_LIST, "",
      "Hosted cache(s) to offer finished segments to and to ask for every segment: https://HOST[:PORT]/ "
          + "(version 1.0 offers) or http://HOST[:PORT]/ (version 2.0), ?pccrr=PORT for its PCCRR port (default 80).",
      "PROTOCOL.md §6"),
  HOSTED_CACHE_DOMAIN("hosted-cache-domain", Type.STRING, "",
      "DNS domain to find hosted caches in by unicast DNS-SD (PTR _peerdist._tcp.DOMAIN; TXT pchc-tls=PORT), "
          + "across subnets; DOMAIN@SERVER[:PORT] asks that DNS server. Empty: off.", "PROTOCOL.md §6"),
  HOSTED_CACHE_CERT("hosted-cache-cert", Type.STRING, "",
      "PEM certificate(s) of hosted caches to trust for https:// offers (a hosted cache's pchc-tls/cert.pem); "
          + "empty: the JDK's trust store (or any certificate with tls-insecure).", "PROTOCOL.md §6.1"),
  PCHC_PORT("pchc-port", Type.PORT, "443",
      "hosted-cache only: HTTPS port for version 1.0 offers (self-signed certificate next to the store).",
      "PROTOCOL.md §6.1"),
  PCHC_HTTP_PORT("pchc-http-port", Type.PORT, "8082",
      "hosted-cache only: HTTP port for version 2.0 offers (Windows shares port 80 with PCCRR; peerdist cannot).",
      "PROTOCOL.md §6.1"),
  PROXY("proxy", Type.STRING, "",
      "HTTP proxy for requests to publishers: http://[user:password@]host:port (CONNECT for https). Empty: "
          + "HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment; none: never a proxy. Never used for peers.",
      ""),
  PUBLISHER_KEY("publisher-key", Type.STRING_LIST, "",
      "Pinned Ed25519 public key(s) of the publishers (base64 DER as 'peerdist publish --signing-key' prints, or a "
          + "PEM file): content information must then carry a valid X-Peerdist-Signature. Empty: unsigned is accepted.",
      ""),
  LOG_FORMAT("log-format", Type.LOG_FORMAT, "text",
      "Log lines as text, or json (one JSON object per line, for log shippers). A reload (SIGHUP) applies a change.",
      "");

  /** How a value is parsed, and the label of its flag's parameter. */
  enum Type {
    URI_LIST("URL list", "URL"),
    PATH("path", "PATH"),
    SIZE("size", "SIZE"),
    ADDRESS("IP address", "ADDRESS"),
    STRING("text", "TEXT"),
    PORT("port", "PORT"),
    ROLE("role", "client|cache-server"),
    STRING_LIST("list", "VALUE"),
    BOOLEAN("true|false", "true|false"),
    DURATION("duration", "DURATION"),
    RATE("rate", "RATE"),
    COUNT("count", "N"),
    LOG_FORMAT("text|json", "text|json");

    final String label;
    final String paramLabel;

    Type(String label, String paramLabel) {
      this.label = label;
      this.paramLabel = paramLabel;
    }
  }

  private final String key;
  private final Type type;
  private final String defaultValue;
  private final String description;
  private final String citation;

  ConfigKey(String key, Type type, String defaultValue, String description, String citation) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.description = description;
    this.citation = citation;
  }

  /** The config-file key, e.g. {@code cache-size}. */
  public String key() {
    return key;
  }

  /** The flag, e.g. {@code --cache-size}. */
  public String flag() {
    return "--" + key;
  }

  /** The environment variable, e.g. {@code PEERDIST_CACHE_SIZE}. */
  public String env() {
    return "PEERDIST_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public String citation() {
    return citation;
  }

  /** The kind of value, for documentation. */
  public String typeLabel() {
    return type.label;
  }

  /** The label of the flag's parameter in {@code --help}, e.g. {@code SIZE}. */
  public String paramLabel() {
    return type.paramLabel;
  }

  /** True when the option takes several values (repeat the flag or separate by commas). */
  public boolean isList() {
    return type == Type.URI_LIST || type == Type.STRING_LIST;
  }

  /** The key for a config-file key, or null. */
  public static ConfigKey byKey(String key) {
    for (ConfigKey k : values()) {
      if (k.key.equals(key)) {
        return k;
      }
    }
    return null;
  }

  /**
   * Parses one raw value of this key.
   *
   * @throws IllegalArgumentException with a message saying what a good value looks like
   */
  Object parse(String raw) {
    String v = raw.trim();
    switch (type) {
      case URI_LIST:
        List<URI> uris = new ArrayList<>();
        for (String s : splitList(v)) {
          uris.add(parseHttpUri(s));
        }
        return List.copyOf(uris);
      case STRING_LIST:
        return List.copyOf(splitList(v));
      case PATH:
        if (v.isEmpty()) {
          throw new IllegalArgumentException("empty path");
        }
        if (v.equals("~") || v.startsWith("~/")) {
          return Paths.get(System.getProperty("user.home") + v.substring(1));
        }
        return Path.of(v);
      case SIZE:
        return Size.parse(v);
      case ADDRESS:
        return parseAddress(v);
      case STRING:
        return v;
      case PORT:
        int port = parseInt(v);
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException("'" + v + "' is not a port 0..65535");
        }
        return port;
      case COUNT:
        int n = parseInt(v);
        if (n < 1 || n > 1_000_000) {
          throw new IllegalArgumentException("'" + v + "' is not a count 1..1000000");
        }
        return n;
      case ROLE:
        return NodeRole.parse(v);
      case LOG_FORMAT:
        return dev.peerdist.node.logging.LogFormat.parse(v);
      case BOOLEAN:
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes") || v.equals("1")) {
          return Boolean.TRUE;
        }
        if (v.equalsIgnoreCase("false") || v.equalsIgnoreCase("no") || v.equals("0")) {
          return Boolean.FALSE;
        }
        throw new IllegalArgumentException("'" + v + "' is not true or false");
      case DURATION:
        Duration d = Durations.parse(v);
        if (d.isZero()) {
          throw new IllegalArgumentException("'" + v + "' must be longer than zero");
        }
        return d;
      case RATE:
        // 0 means no cap for every rate key.
        return Rate.parse(v);
      default:
        throw new AssertionError(type);
    }
  }

  private static List<String> splitList(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  private static int parseInt(String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is not a whole number");
    }
  }

  private static URI parseHttpUri(String s) {
    try {
      URI u = new URI(s);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
        throw new IllegalArgumentException("'" + s + "' is not an http:// or https:// URL with a host");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + s + "' is not a URL: " + e.getReason());
    }
  }

  private static InetAddress parseAddress(String v) {
    // Only literals: a config value must never trigger a DNS lookup at start-up.
    if (!v.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      throw new IllegalArgumentException("'" + v + "' is not an IPv4 or IPv6 address literal");
    }
    try {
      return InetAddress.getByName(v);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + v + "' is not an IPv4 or IPv6 address literal");
    }
  }
}
