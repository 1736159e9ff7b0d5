package dev.peerdist.node;

import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.dnssd.PeerdistService;
import dev.peerdist.discovery.dnssd.ServiceAnnouncer;
import dev.peerdist.discovery.dnssd.ServiceBrowser;
import dev.peerdist.discovery.dnssd.ServiceRole;
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
  static CacheServerDirectory announce(NodeConfig config, int pccrrPort) {
    try {
      InetAddress at = mdnsAddress(config);
      String name = "peerdist cache " + at.getHostAddress() + ":" + pccrrPort;
      ServiceAnnouncer a = ServiceAnnouncer.start(at, name, ServiceRole.CACHE_SERVER, pccrrPort,
          Map.of("pccrr", Integer.toString(pccrrPort)));
      LOG.info("announced by DNS-SD as '{}'", a.instanceName());
      return new CacheServerDirectory(a, null);
    } catch (Exception e) {
      LOG.warn("DNS-SD announcement failed, clients find this cache server by PCCRD only: {}", e.getMessage());
      return null;
    }
  }

  /** Browses for cache servers and reports each to {@code found}; null when mDNS cannot start. */
  static CacheServerDirectory browse(NodeConfig config, BiConsumer<PeerEndpoint, String> found) {
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
            found.accept(new PeerEndpoint(new InetSocketAddress(s.addresses().get(0), port)), "dnssd");
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
