package dev.peerdist.node;

import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.dnssd.PeerdistService;
import dev.peerdist.discovery.dnssd.ServiceAnnouncer;
import dev.peerdist.discovery.dnssd.ServiceBrowser;
import dev.peerdist.discovery.dnssd.ServiceRole;
import dev.peerdist.node.hostedcache.HostedCache;
import dev.peerdist.node.hostedcache.HostedCacheTarget;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS-SD for cache servers ({@code _peerdist._tcp}, TXT {@code role=cache-server},
 * {@code pccrr=PORT}): a cache server announces itself; a client browses every
 * {@link #REFRESH} and hands each cache server found to the engine as an always-asked peer, so
 * segments are requested from it directly (MSG_GETBLKS) even when it did not answer a probe.
 * DNS-SD is a convenience: when mDNS cannot start, the node runs on with PCCRD alone.
 */
final class CacheServerDirectory implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheServerDirectory.class);
  /** Browse period. */
  static final Duration REFRESH = Duration.ofSeconds(30);
  /** Browses in the first minute after start, STARTUP_PERIOD apart. */
  static final int STARTUP_BROWSES = 6;
  static final Duration STARTUP_PERIOD = Duration.ofSeconds(5);
  /** TXT key of a hosted cache's HTTPS (v1.0) offer port. */
  static final String TXT_PCHC_TLS = "pchc-tls";
  /** TXT key of a hosted cache's HTTP (v2.0) offer port. */
  static final String TXT_PCHC_HTTP = "pchc";
  /** Most cache servers taken from DNS-SD. */
  static final int MAX_CACHE_SERVERS = 16;

  private final AutoCloseable resource;
  private final ScheduledExecutorService timer;

  private CacheServerDirectory(AutoCloseable resource, ScheduledExecutorService timer) {
    this.resource = resource;
    this.timer = timer;
  }

  /** The address mDNS runs on: the bind address, else the interface's first IPv4, else the host's. */
  static InetAddress mdnsAddress(NodeConfig config) throws UnknownHostException, SocketException {
    if (!config.bind().isAnyLocalAddress()) {
      return config.bind();
    }
    if (!config.interfaceName().isEmpty()) {
      NetworkInterface nif = NetworkInterface.getByName(config.interfaceName());
      if (nif != null) {
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a;
          }
        }
      }
    }
    return InetAddress.getLocalHost();
  }

  /** Announces this cache server; null when mDNS cannot start (logged). */
  static CacheServerDirectory announce(NodeConfig config, int pccrrPort, HostedCache hosted) {
    try {
      InetAddress at = mdnsAddress(config);
      String name = "peerdist cache " + at.getHostAddress() + ":" + pccrrPort;
      Map<String, String> txt = new java.util.HashMap<>();
      txt.put("pccrr", Integer.toString(pccrrPort));
      if (hosted != null) {
        // A hosted cache (PROTOCOL.md §6) also names its offer listeners.
        if (hosted.tlsAddress() != null) {
          txt.put(TXT_PCHC_TLS, Integer.toString(hosted.tlsAddress().getPort()));
        }
        if (hosted.httpAddress() != null) {
          txt.put(TXT_PCHC_HTTP, Integer.toString(hosted.httpAddress().getPort()));
        }
      }
      ServiceAnnouncer a = ServiceAnnouncer.start(at, name, ServiceRole.CACHE_SERVER, pccrrPort, txt);
      LOG.info("announced by DNS-SD as '{}'", a.instanceName());
      return new CacheServerDirectory(a, null);
    } catch (Exception e) {
      LOG.warn("DNS-SD announcement failed, clients find this cache server by PCCRD only: {}", e.getMessage());
      return null;
    }
  }

  /** Browses for cache servers and reports each to {@code found}; null when mDNS cannot start. */
  static CacheServerDirectory browse(NodeConfig config, BiConsumer<PeerEndpoint, String> found,
      BiConsumer<HostedCacheTarget, String> hostedFound) {
    try {
      ServiceBrowser b = ServiceBrowser.start(mdnsAddress(config));
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peerdist-dnssd");
        t.setDaemon(true);
        return t;
      });
      Runnable browseOnce = () -> {
        try {
          int n = 0;
          for (PeerdistService s : b.list(ServiceRole.CACHE_SERVER, Duration.ofSeconds(1))) {
            if (s.addresses().isEmpty() || n++ >= MAX_CACHE_SERVERS) {
              continue;
            }
            int port = s.pccrrPort().orElse(s.port());
            int tls = portOf(s.txt().get(TXT_PCHC_TLS));
            if (tls < 0) {
              found.accept(new PeerEndpoint(new InetSocketAddress(s.addresses().get(0), port)), "dnssd");
            } else {
              hostedFound.accept(HostedCacheTarget.of(s.addresses().get(0), true, tls, port), "dnssd");
            }
          }
        } catch (RuntimeException e) {
          LOG.debug("DNS-SD browse failed: {}", e.getMessage());
        }
      };
      // Often while starting (a cache server may be announcing right now), then every REFRESH.
      for (int k = 0; k < STARTUP_BROWSES; k++) {
        timer.schedule(browseOnce, k * STARTUP_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
      }
      timer.scheduleWithFixedDelay(browseOnce, REFRESH.toSeconds(), REFRESH.toSeconds(), TimeUnit.SECONDS);
      return new CacheServerDirectory(b, timer);
    } catch (Exception e) {
      LOG.warn("DNS-SD browsing failed, cache servers are found by PCCRD only: {}", e.getMessage());
      return null;
    }
  }

  /** A TXT port value, or -1. */
  static int portOf(String v) {
    if (v == null || v.isEmpty() || v.length() > 5 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int p = Integer.parseInt(v);
    return p >= 1 && p <= 65535 ? p : -1;
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
    try {
      resource.close();
    } catch (Exception e) {
      LOG.debug("closing DNS-SD: {}", e.getMessage());
    }
  }
}
