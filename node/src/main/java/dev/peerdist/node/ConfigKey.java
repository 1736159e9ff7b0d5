package dev.peerdist.node;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every option of a node, with its default, its type and its documentation, in one place. The
 * same key is the config-file key, the flag ({@code --key}) and, upper-cased with {@code _}, the
 * environment variable ({@code PEERDIST_KEY}). {@code docs/CONFIGURATION.md} lists exactly these
 * keys (a test checks it).
 */
public enum ConfigKey {
  PUBLISHER("publisher", Type.URI_LIST, "",
      "Publishing server base URL(s); repeat or separate by commas. The local mirror maps a path "
          + "to the first publisher whose path prefix matches.", "PROTOCOL.md §5"),
  STORE("store", Type.PATH, "~/.peerdist/store", "Directory of the RocksDB chunk store.", "PROTOCOL.md §2.1"),
  CACHE_SIZE("cache-size", Type.BYTES, "10GiB",
      "Most bytes the store keeps; least recently used unpinned segments are evicted whole. "
          + "0 = pass-through only: nothing is cached.", ""),
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
  DISCOVERY_PORT("discovery-port", Type.PORT, "3702",
      "UDP port of PCCRD multicast (3702 on a real LAN; another port keeps test swarms apart).",
      "PROTOCOL.md §3.1"),
  DISCOVERY_WAIT("discovery-wait", Type.DURATION, "300ms",
      "How long after a segment's first probe answers may arrive before blocks nobody holds are fetched "
          + "from the origin (Windows waits 300 ms); later answers still count.", "PROTOCOL.md §3.6"),
  READ_AHEAD("read-ahead", Type.COUNT, "4",
      "How far a download fetches ahead of its reader, in 32 MiB units (one V1 segment each).", ""),
  WAN_BUDGET("wan-budget", Type.RATE, "0",
      "Origin bytes per second the nodes of a subnet share (e.g. 50Mbit, 6MB/s; 0: no cap). Each node "
          + "takes an equal share with the other nodes it hears fetching from the origin.", "PROTOCOL.md §5.2"),
  PEER_TIMEOUT("peer-timeout", Type.DURATION, "2s", "PCCRR request timer.", "PROTOCOL.md §4.6"),
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

  /** How a value is parsed. */
  enum Type {
    URI_LIST("URL list"),
    PATH("path"),
    BYTES("size"),
    ADDRESS("IP address"),
    STRING("text"),
    PORT("port"),
    ROLE("role"),
    STRING_LIST("list"),
    BOOLEAN("true|false"),
    DURATION("duration"),
    RATE("rate"),
    COUNT("count"),
    LOG_FORMAT("text|json");

    final String label;

    Type(String label) {
      this.label = label;
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
      case BYTES:
        return parseBytes(v);
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
        return parseDuration(v);
      case RATE:
        // Bytes per second for the node; 0 means no cap.
        return v.equals("0") ? 0L : Math.max(1L, parseRate(v) / 8);
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

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);

  /** Parses {@code 10GiB}, {@code 512MiB}, {@code 1GB} (10^9), {@code 4096}. */
  public static long parseBytes(String v) {
    Matcher m = SIZE.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + v + "' is not a size like 10GiB, 512MiB or 4096");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + v + "' is too large");
    }
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    long mult;
    if (unit.equals("B")) {
      mult = 1;
    } else {
      boolean binary = unit.contains("I");
      int power = "KMGT".indexOf(unit.charAt(0)) + 1;
      mult = 1;
      for (int i = 0; i < power; i++) {
        mult *= binary ? 1024 : 1000;
      }
    }
    try {
      return Math.multiplyExact(n, mult);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + v + "' is too large");
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

  /** Parses {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h} or ISO-8601 {@code PT2S}. */
  public static Duration parseDuration(String v) {
    Matcher m = DURATION.matcher(v);
    Duration d;
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + v + "' is too large");
      }
      switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "ms" -> d = Duration.ofMillis(n);
        case "s" -> d = Duration.ofSeconds(n);
        case "m" -> d = Duration.ofMinutes(n);
        default -> d = Duration.ofHours(n);
      }
    } else {
      try {
        d = Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("'" + v + "' is not a duration like 300ms, 2s or 5m");
      }
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("'" + v + "' must be longer than zero");
    }
    return d;
  }

  private static final Pattern RATE = Pattern.compile(
      "(\\d+(?:\\.\\d+)?)\\s*(?:(?i:([kmgt]?)bit(?:/s)?)|([kKMGT]i?)?B/s)");

  /**
   * Parses a rate into bits per second: {@code 100Mbit}, {@code 1.5Gbit/s}, {@code 64kbit} (powers
   * of 1000), or bytes per second with a capital B and {@code /s}: {@code 12MB/s} (10^6), {@code 10MiB/s}
   * (2^20); {@code Mb/s} is refused as ambiguous.
   * For rate keys such as issue 8's {@code wan-budget} and the simulator's links.
   */
  public static long parseRate(String v) {
    Matcher m = RATE.matcher(v.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + v + "' is not a rate like 100Mbit, 1.5Gbit/s or 10MiB/s");
    }
    double n = Double.parseDouble(m.group(1));
    boolean bits = m.group(2) != null;
    String prefix = (bits ? m.group(2) : m.group(3) == null ? "" : m.group(3)).toLowerCase(Locale.ROOT);
    int power = prefix.isEmpty() ? 0 : "kmgt".indexOf(prefix.charAt(0)) + 1;
    double unit = (bits ? 1 : 8) * Math.pow(prefix.endsWith("i") ? 1024 : 1000, power);
    double perSecond = n * unit;
    if (!(perSecond >= 1) || perSecond > 1e18) {
      throw new IllegalArgumentException("'" + v + "' must be within 1 bit/s and 10^18 bit/s");
    }
    return Math.round(perSecond);
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
