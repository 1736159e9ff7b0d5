package dev.peerdist.node.cli;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The node's options as flags, one per {@link ConfigKey} (same names as the config-file keys),
 * kept as raw text so that {@link NodeConfig#load} parses and checks every layer the same way
 * and its errors name the flag. Mixed into {@code run}, {@code get} and {@code demo}.
 */
public final class NodeOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Config file (key = value lines; see docs/CONFIGURATION.md).")
  Path config;
  @Option(names = "--publisher", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (publisher).")
  List<String> publisher;
  @Option(names = "--store", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (store).")
  String store;
  @Option(names = "--cache-size", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (cache-size).")
  String cacheSize;
  @Option(names = "--bind", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (bind).")
  String bind;
  @Option(names = "--interface", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (interface).")
  String interfaceName;
  @Option(names = "--pccrr-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (pccrr-port).")
  String pccrrPort;
  @Option(names = "--admin-bind", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (admin-bind).")
  String adminBind;
  @Option(names = "--admin-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (admin-port).")
  String adminPort;
  @Option(names = "--mirror-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (mirror-port).")
  String mirrorPort;
  @Option(names = "--role", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (role).")
  String role;
  @Option(names = "--prepopulate", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (prepopulate).")
  List<String> prepopulate;
  @Option(names = "--peer", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (peer).")
  List<String> peer;
  @Option(names = "--dnssd", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (dnssd).")
  String dnssd;
  @Option(names = "--discovery-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (discovery-port).")
  String discoveryPort;
  @Option(names = "--discovery-wait", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (discovery-wait).")
  String discoveryWait;
  @Option(names = "--read-ahead", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (read-ahead).")
  String readAhead;
  @Option(names = "--wan-budget", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (wan-budget).")
  String wanBudget;
  @Option(names = "--peer-timeout", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (peer-timeout).")
  String peerTimeout;
  @Option(names = "--origin-timeout", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (origin-timeout).")
  String originTimeout;
  @Option(names = "--max-uploads", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (max-uploads).")
  String maxUploads;
  @Option(names = "--max-downloads", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (max-downloads).")
  String maxDownloads;
  @Option(names = "--content-version", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (content-version).")
  String contentVersion;
  @Option(names = "--token", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (token).")
  String token;
  @Option(names = "--tls-insecure", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (tls-insecure).")
  String tlsInsecure;
  @Option(names = "--hosted-cache", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (hosted-cache).")
  List<String> hostedCache;
  @Option(names = "--hosted-cache-domain", paramLabel = "VALUE",
      description = "See docs/CONFIGURATION.md (hosted-cache-domain).")
  String hostedCacheDomain;
  @Option(names = "--hosted-cache-cert", paramLabel = "VALUE",
      description = "See docs/CONFIGURATION.md (hosted-cache-cert).")
  String hostedCacheCert;
  @Option(names = "--pchc-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (pchc-port).")
  String pchcPort;
  @Option(names = "--pchc-http-port", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (pchc-http-port).")
  String pchcHttpPort;
  @Option(names = "--proxy", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (proxy).")
  String proxy;
  @Option(names = "--publisher-key", paramLabel = "VALUE", description = "See docs/CONFIGURATION.md (publisher-key).")
  List<String> publisherKey;
  @Option(names = "--log-format", paramLabel = "text|json", description = "See docs/CONFIGURATION.md (log-format).")
  String logFormat;
  /** The flags given, by key. */
  public Map<ConfigKey, List<String>> flags() {
    Map<ConfigKey, List<String>> m = new EnumMap<>(ConfigKey.class);
    put(m, ConfigKey.PUBLISHER, publisher);
    put(m, ConfigKey.STORE, store == null ? null : List.of(store));
    put(m, ConfigKey.CACHE_SIZE, cacheSize == null ? null : List.of(cacheSize));
    put(m, ConfigKey.BIND, bind == null ? null : List.of(bind));
    put(m, ConfigKey.INTERFACE, interfaceName == null ? null : List.of(interfaceName));
    put(m, ConfigKey.PCCRR_PORT, pccrrPort == null ? null : List.of(pccrrPort));
    put(m, ConfigKey.ADMIN_BIND, adminBind == null ? null : List.of(adminBind));
    put(m, ConfigKey.ADMIN_PORT, adminPort == null ? null : List.of(adminPort));
    put(m, ConfigKey.MIRROR_PORT, mirrorPort == null ? null : List.of(mirrorPort));
    put(m, ConfigKey.ROLE, role == null ? null : List.of(role));
    put(m, ConfigKey.PREPOPULATE, prepopulate);
    put(m, ConfigKey.PEER, peer);
    put(m, ConfigKey.DNSSD, dnssd == null ? null : List.of(dnssd));
    put(m, ConfigKey.DISCOVERY_PORT, discoveryPort == null ? null : List.of(discoveryPort));
    put(m, ConfigKey.DISCOVERY_WAIT, discoveryWait == null ? null : List.of(discoveryWait));
    put(m, ConfigKey.READ_AHEAD, readAhead == null ? null : List.of(readAhead));
    put(m, ConfigKey.WAN_BUDGET, wanBudget == null ? null : List.of(wanBudget));
    put(m, ConfigKey.PEER_TIMEOUT, peerTimeout == null ? null : List.of(peerTimeout));
    put(m, ConfigKey.ORIGIN_TIMEOUT, originTimeout == null ? null : List.of(originTimeout));
    put(m, ConfigKey.MAX_UPLOADS, maxUploads == null ? null : List.of(maxUploads));
    put(m, ConfigKey.MAX_DOWNLOADS, maxDownloads == null ? null : List.of(maxDownloads));
    put(m, ConfigKey.CONTENT_VERSION, contentVersion == null ? null : List.of(contentVersion));
    put(m, ConfigKey.TOKEN, token == null ? null : List.of(token));
    put(m, ConfigKey.TLS_INSECURE, tlsInsecure == null ? null : List.of(tlsInsecure));
    put(m, ConfigKey.HOSTED_CACHE, hostedCache);
    put(m, ConfigKey.HOSTED_CACHE_DOMAIN, hostedCacheDomain == null ? null : List.of(hostedCacheDomain));
    put(m, ConfigKey.HOSTED_CACHE_CERT, hostedCacheCert == null ? null : List.of(hostedCacheCert));
    put(m, ConfigKey.PCHC_PORT, pchcPort == null ? null : List.of(pchcPort));
    put(m, ConfigKey.PCHC_HTTP_PORT, pchcHttpPort == null ? null : List.of(pchcHttpPort));
    put(m, ConfigKey.PROXY, proxy == null ? null : List.of(proxy));
    put(m, ConfigKey.PUBLISHER_KEY, publisherKey);
    put(m, ConfigKey.LOG_FORMAT, logFormat == null ? null : List.of(logFormat));
    return m;
  }

  private static void put(Map<ConfigKey, List<String>> m, ConfigKey k, List<String> v) {
    if (v != null && !v.isEmpty()) {
      m.put(k, new ArrayList<>(v));
    }
  }

  /** Loads the configuration: these flags > {@code PEERDIST_*} > config file > defaults. */
  public NodeConfig load() {
    return NodeConfig.load(config, flags(), System.getenv());
  }
}
