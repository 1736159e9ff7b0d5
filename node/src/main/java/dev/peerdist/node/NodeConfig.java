package dev.peerdist.node;

import dev.peerdist.node.units.Rate;
import dev.peerdist.node.units.Size;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The immutable, typed configuration of a node. Every option and its default is a
 * {@link ConfigKey}; values come, highest first, from flags, environment variables
 * ({@code PEERDIST_*}), a config file, and the defaults.
 *
 * <p>Config file format (documented in {@code docs/CONFIGURATION.md}): UTF-8 lines of
 * {@code key = value}; {@code #} and {@code ;} start comments; blank lines and section headers
 * such as {@code [node]} are ignored; values may be quoted ({@code "…"}); list options may be
 * repeated, comma-separated or written as a TOML array ({@code ["a", "b"]}). An unknown key, a
 * bad value, or a single-valued key set twice stops loading with a {@link ConfigException}
 * naming the key and {@code file:line} (both lines for a duplicate). Values are checked before
 * anything starts: a bad {@code --peer host:port} never gets as far as binding a socket.
 * A list option set at a higher layer replaces the lower layers' lists as a whole.
 */
public final class NodeConfig {
  private final Map<ConfigKey, Object> values;
  private final Map<ConfigKey, String> sources;

  private NodeConfig(Map<ConfigKey, Object> values, Map<ConfigKey, String> sources) {
    this.values = Collections.unmodifiableMap(new EnumMap<>(values));
    this.sources = Collections.unmodifiableMap(new EnumMap<>(sources));
  }

  /** Every option at its default. */
  public static NodeConfig defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults, for programs and tests (source "code"). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.values.putAll(values);
    b.sources.putAll(sources);
    return b;
  }

  /**
   * Loads the layers: {@code flags} > {@code env} > the config file ({@code configFile}, or else
   * the file named by {@code PEERDIST_CONFIG}) > defaults.
   *
   * @param configFile the {@code --config} flag value, or null
   * @param flags raw flag values by key (lists may hold several)
   * @param env the environment (usually {@link System#getenv()})
   * @throws ConfigException naming the key and the source of the first bad value
   */
  public static NodeConfig load(Path configFile, Map<ConfigKey, List<String>> flags, Map<String, String> env) {
    Builder b = new Builder();
    Path file = configFile;
    String fileSource = "flag --config";
    if (file == null && env.get("PEERDIST_CONFIG") != null && !env.get("PEERDIST_CONFIG").isBlank()) {
      file = Path.of(env.get("PEERDIST_CONFIG").trim());
      fileSource = "env PEERDIST_CONFIG";
    }
    if (file != null) {
      b.readFile(file, fileSource);
    }
    for (ConfigKey k : ConfigKey.values()) {
      String v = env.get(k.env());
      if (v != null) {
        b.set(k, v, "env " + k.env());
      }
    }
    for (Map.Entry<ConfigKey, List<String>> e : flags.entrySet()) {
      if (e.getValue() != null && !e.getValue().isEmpty()) {
        b.set(e.getKey(), String.join(",", e.getValue()), "flag " + e.getKey().flag());
      }
    }
    return b.build();
  }

  /** Builds a configuration; every value is parsed and checked as it is set. */
  public static final class Builder {
    private final Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, String> sources = new EnumMap<>(ConfigKey.class);

    private Builder() {}

    /** Takes {@code key}'s value, and where it came from, from {@code other}. */
    public Builder copy(ConfigKey key, NodeConfig other) {
      values.put(key, other.value(key));
      sources.put(key, other.source(key));
      return this;
    }

    /** Sets {@code key} from its textual form, as if written in a file. */
    public Builder set(ConfigKey key, String raw) {
      return set(key, raw, "code");
    }

    Builder set(ConfigKey key, String raw, String source) {
      try {
        values.put(key, key.parse(raw));
        sources.put(key, source);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key.key(), source, e.getMessage());
      }
      return this;
    }

    private void readFile(Path file, String how) {
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new ConfigException("config", how, "no such file " + file);
      } catch (IOException e) {
        throw new ConfigException("config", how, "cannot read " + file + ": " + e.getMessage());
      }
      Map<ConfigKey, List<String>> lists = new LinkedHashMap<>();
      Map<ConfigKey, Integer> firstLine = new EnumMap<>(ConfigKey.class);
      for (ConfigFileLines.Line line : ConfigFileLines.parse(lines, "file " + file)) {
        String source = "file " + file + ":" + line.number();
        ConfigKey key = ConfigKey.byKey(line.key());
        if (key == null) {
          throw new ConfigException(line.key(), source, "unknown key (see docs/CONFIGURATION.md)");
        }
        String value = line.raw();
        Integer earlier = firstLine.putIfAbsent(key, line.number());
        if (earlier != null && !key.isList()) {
          // Which of two values wins is a guess a reader of the file would get wrong.
          throw new ConfigException(line.key(), source, "set twice, on lines " + earlier + " and " + line.number()
              + " of " + file + "; keep one");
        }
        if (key.isList()) {
          List<String> items = lists.computeIfAbsent(key, k -> new ArrayList<>());
          if (value.startsWith("[") && value.endsWith("]")) {
            for (String item : value.substring(1, value.length() - 1).split(",")) {
              if (!item.isBlank()) {
                items.add(ConfigFileLines.unquote(item.trim()));
              }
            }
          } else {
            items.add(line.value());
          }
          // Parse now so that an error names this line.
          set(key, String.join(",", items), source);
        } else {
          set(key, line.value(), source);
        }
      }
    }

    @SuppressWarnings("unchecked")
    public NodeConfig build() {
      Map<ConfigKey, Object> all = new EnumMap<>(ConfigKey.class);
      Map<ConfigKey, String> src = new EnumMap<>(ConfigKey.class);
      for (ConfigKey k : ConfigKey.values()) {
        if (values.containsKey(k)) {
          all.put(k, values.get(k));
          src.put(k, sources.get(k));
        } else {
          all.put(k, k.parse(k.defaultValue()));
          src.put(k, "default");
        }
      }
      int cv = (Integer) all.get(ConfigKey.CONTENT_VERSION);
      if (cv != 1 && cv != 2) {
        throw new ConfigException(ConfigKey.CONTENT_VERSION.key(), src.get(ConfigKey.CONTENT_VERSION),
            "'" + cv + "' is not 1 or 2");
      }
      NodeRole role = (NodeRole) all.get(ConfigKey.ROLE);
      if (!role.dedicated() && !((List<?>) all.get(ConfigKey.PREPOPULATE)).isEmpty()) {
        throw new ConfigException(ConfigKey.PREPOPULATE.key(), src.get(ConfigKey.PREPOPULATE),
            "only a node with role cache-server or hosted-cache prepopulates");
      }
      for (Object p : (List<?>) all.get(ConfigKey.PEER)) {
        String problem = peerProblem((String) p);
        if (problem != null) {
          throw new ConfigException(ConfigKey.PEER.key(), src.get(ConfigKey.PEER), problem);
        }
      }
      for (Object h : (List<?>) all.get(ConfigKey.HOSTED_CACHE)) {
        String problem = dev.peerdist.node.hostedcache.HostedCacheTarget.problem((String) h);
        if (problem != null) {
          throw new ConfigException(ConfigKey.HOSTED_CACHE.key(), src.get(ConfigKey.HOSTED_CACHE), problem);
        }
      }
      for (Object k : (List<?>) all.get(ConfigKey.PUBLISHER_KEY)) {
        try {
          publisherKey((String) k);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(ConfigKey.PUBLISHER_KEY.key(), src.get(ConfigKey.PUBLISHER_KEY), e.getMessage());
        }
      }
      String domainProblem = dev.peerdist.node.hostedcache.UnicastDnsSd.problem(
          (String) all.get(ConfigKey.HOSTED_CACHE_DOMAIN));
      if (domainProblem != null) {
        throw new ConfigException(ConfigKey.HOSTED_CACHE_DOMAIN.key(), src.get(ConfigKey.HOSTED_CACHE_DOMAIN),
            domainProblem);
      }
      String proxy = (String) all.get(ConfigKey.PROXY);
      String proxyProblem = dev.peerdist.node.origin.ProxySettings.problem(proxy);
      if (proxyProblem != null) {
        throw new ConfigException(ConfigKey.PROXY.key(), src.get(ConfigKey.PROXY), proxyProblem);
      }
      try {
        new dev.peerdist.node.admin.DownloadScope(List.of(), (List<String>) all.get(ConfigKey.DOWNLOAD_ALLOW));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(ConfigKey.DOWNLOAD_ALLOW.key(), src.get(ConfigKey.DOWNLOAD_ALLOW), e.getMessage());
      }
      return new NodeConfig(all, src);
    }

    /** A {@code publisher-key} value: base64 DER inline, or a PEM file. */
    static java.security.PublicKey publisherKey(String v) {
      // Every Ed25519 key's base64 DER starts "MCowBQYDK2VwAyEA"; anything else is a file name.
      if (!v.startsWith("MC")) {
        try {
          return dev.peerdist.node.signing.ContentSignature.publicKey(Files.readString(Path.of(v), StandardCharsets.US_ASCII));
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot read " + v + ": " + e.getMessage());
        }
      }
      return dev.peerdist.node.signing.ContentSignature.publicKey(v);
    }

    /** Why {@code host:port} is not a peer, or null; checks the form only (no DNS lookup). */
    static String peerProblem(String hostPort) {
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0 || colon == hostPort.length() - 1) {
        return "'" + hostPort + "' is not host:port";
      }
      String host = hostPort.substring(0, colon);
      String port = hostPort.substring(colon + 1);
      if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
        return "'" + hostPort + "': '" + port + "' is not a port 1..65535";
      }
      if (host.startsWith("[") != host.endsWith("]")) {
        return "'" + hostPort + "': unbalanced brackets around an IPv6 address";
      }
      String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      if (bare.isEmpty() || !bare.matches("[A-Za-z0-9._:-]+") || (!host.startsWith("[") && bare.contains(":"))) {
        return "'" + hostPort + "': '" + host + "' is not a host name or address (IPv6 goes in [brackets])";
      }
      return null;
    }
  }

  /** Where the value of {@code key} came from: {@code default}, {@code flag --x}, {@code env X}, {@code file f:n}. */
  public String source(ConfigKey key) {
    return sources.get(key);
  }

  /**
   * Whether {@code key} was given a value (by a flag, an environment variable, the config file or
   * a program) rather than left at its default. This decides between a configured value and one a
   * component persisted (docs/CONFIGURATION.md, "Persisted and configured values"): the chunk
   * store keeps the capacity last set, and a {@code cache-size} left at its default never
   * overrides it.
   */
  public boolean isSet(ConfigKey key) {
    return !"default".equals(sources.get(key));
  }

  /** The parsed value of {@code key} (see the typed getters). */
  public Object value(ConfigKey key) {
    return values.get(key);
  }

  @SuppressWarnings("unchecked")
  public List<URI> publishers() {
    return (List<URI>) values.get(ConfigKey.PUBLISHER);
  }

  public Path store() {
    return (Path) values.get(ConfigKey.STORE);
  }

  /** {@code cache-size} in bytes; see {@link #isSet} for when it is applied to an existing store. */
  public long cacheSize() {
    return ((Size) values.get(ConfigKey.CACHE_SIZE)).bytes();
  }

  public InetAddress bind() {
    return (InetAddress) values.get(ConfigKey.BIND);
  }

  /** The multicast interface name, or empty for every suitable interface. */
  public String interfaceName() {
    return (String) values.get(ConfigKey.INTERFACE);
  }

  public int pccrrPort() {
    return (Integer) values.get(ConfigKey.PCCRR_PORT);
  }

  public InetAddress adminBind() {
    return (InetAddress) values.get(ConfigKey.ADMIN_BIND);
  }

  public int adminPort() {
    return (Integer) values.get(ConfigKey.ADMIN_PORT);
  }

  /** The admin endpoint as a client on this host reaches it ({@code get}, {@code status}). */
  public URI adminUri() {
    return localUri(adminBind(), adminPort());
  }

  /** {@code http://HOST:PORT/} for a server bound to {@code bind}: the wildcard is reached on 127.0.0.1. */
  public static URI localUri(InetAddress bind, int port) {
    String host = bind.isAnyLocalAddress() ? "127.0.0.1" : bind.getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + port + "/");
  }

  public int mirrorPort() {
    return (Integer) values.get(ConfigKey.MIRROR_PORT);
  }

  public NodeRole role() {
    return (NodeRole) values.get(ConfigKey.ROLE);
  }

  @SuppressWarnings("unchecked")
  public List<String> prepopulate() {
    return (List<String>) values.get(ConfigKey.PREPOPULATE);
  }

  @SuppressWarnings("unchecked")
  public List<String> peers() {
    return (List<String>) values.get(ConfigKey.PEER);
  }

  public boolean dnssd() {
    return (Boolean) values.get(ConfigKey.DNSSD);
  }

  public int discoveryPort() {
    return (Integer) values.get(ConfigKey.DISCOVERY_PORT);
  }

  public Duration discoveryWait() {
    return (Duration) values.get(ConfigKey.DISCOVERY_WAIT);
  }

  public int readAhead() {
    return (Integer) values.get(ConfigKey.READ_AHEAD);
  }

  /** The subnet's shared origin budget in bytes per second; 0 = none. */
  public long wanBudget() {
    return ((Rate) values.get(ConfigKey.WAN_BUDGET)).bytesPerSecond();
  }

  public Duration peerTimeout() {
    return (Duration) values.get(ConfigKey.PEER_TIMEOUT);
  }

  public Duration originTimeout() {
    return (Duration) values.get(ConfigKey.ORIGIN_TIMEOUT);
  }

  public int maxUploads() {
    return (Integer) values.get(ConfigKey.MAX_UPLOADS);
  }

  public int maxDownloads() {
    return (Integer) values.get(ConfigKey.MAX_DOWNLOADS);
  }

  /** Highest content-information version requested from publishers (1 or 2). */
  public int contentVersion() {
    return (Integer) values.get(ConfigKey.CONTENT_VERSION);
  }

  /** The bearer token for publishers, or empty. */
  public String token() {
    return (String) values.get(ConfigKey.TOKEN);
  }

  /** Extra URL prefixes {@code /download} may fetch ({@code *} = any). */
  @SuppressWarnings("unchecked")
  public List<String> downloadAllow() {
    return (List<String>) values.get(ConfigKey.DOWNLOAD_ALLOW);
  }

  public boolean tlsInsecure() {
    return (Boolean) values.get(ConfigKey.TLS_INSECURE);
  }

  /** {@code hosted-cache}: the hosted caches' URLs (checked in form, not resolved). */
  @SuppressWarnings("unchecked")
  public List<String> hostedCaches() {
    return (List<String>) values.get(ConfigKey.HOSTED_CACHE);
  }

  /** {@code hosted-cache-domain}: a DNS-SD domain (optionally {@code @server:port}), or empty. */
  public String hostedCacheDomain() {
    return (String) values.get(ConfigKey.HOSTED_CACHE_DOMAIN);
  }

  /** {@code hosted-cache-cert}: a PEM file, or empty. */
  public String hostedCacheCert() {
    return (String) values.get(ConfigKey.HOSTED_CACHE_CERT);
  }

  /** {@code pchc-port}: the hosted cache's HTTPS (v1.0) offer port. */
  public int pchcPort() {
    return (Integer) values.get(ConfigKey.PCHC_PORT);
  }

  /** {@code pchc-http-port}: the hosted cache's HTTP (v2.0) offer port. */
  public int pchcHttpPort() {
    return (Integer) values.get(ConfigKey.PCHC_HTTP_PORT);
  }

  /** {@code publisher-key}: the pinned publisher keys, parsed (empty: unsigned content information is fine). */
  @SuppressWarnings("unchecked")
  public List<java.security.PublicKey> publisherKeys() {
    List<java.security.PublicKey> keys = new ArrayList<>();
    for (String v : (List<String>) values.get(ConfigKey.PUBLISHER_KEY)) {
      keys.add(Builder.publisherKey(v));
    }
    return keys;
  }

  /** {@code proxy}: the raw value (empty: environment; {@code none}: no proxy). */
  public String proxy() {
    return (String) values.get(ConfigKey.PROXY);
  }

  /** How log lines are written ({@code log-format}). */
  public dev.peerdist.node.logging.LogFormat logFormat() {
    return (dev.peerdist.node.logging.LogFormat) values.get(ConfigKey.LOG_FORMAT);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("NodeConfig{");
    for (ConfigKey k : ConfigKey.values()) {
      Object v = k == ConfigKey.TOKEN && !token().isEmpty() ? "***" : values.get(k);
      if (k == ConfigKey.PROXY) {
        v = dev.peerdist.node.origin.ProxySettings.hideCredentials(proxy());
      }
      sb.append(k.key()).append('=').append(v).append(", ");
    }
    sb.setLength(sb.length() - 2);
    return sb.append('}').toString();
  }
}
