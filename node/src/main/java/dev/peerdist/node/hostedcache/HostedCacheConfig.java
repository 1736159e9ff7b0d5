package dev.peerdist.node.hostedcache;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a hosted cache's MS-PCHC listeners and pulls (PROTOCOL.md §6).
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>httpPort</td><td>config {@code pchc-port}; -1 = off</td><td>v2.0 offers (plain HTTP)</td></tr>
 *   <tr><td>tlsPort</td><td>config {@code pchc-tls-port}; -1 = off</td><td>v1.0 offers (HTTPS),
 *       with a self-signed certificate kept in {@code tlsDir}</td></tr>
 *   <tr><td>maxConnections</td><td>256</td><td>offers are small and short</td></tr>
 *   <tr><td>maxConnectionsPerAddress</td><td>16</td><td>one client cannot take every slot</td></tr>
 *   <tr><td>requestTimeout</td><td>15 s</td><td>a connection with no complete request for this
 *       long is closed (clients give up after 10–15 s, §6.4)</td></tr>
 *   <tr><td>pullThreads</td><td>4</td><td>segments pulled at once</td></tr>
 *   <tr><td>maxQueuedPulls</td><td>1024</td><td>segments waiting; beyond, offers get OK and are
 *       not pulled</td></tr>
 *   <tr><td>maxPullsPerClient</td><td>64</td><td>segments running or waiting per client address</td></tr>
 *   <tr><td>blockTimeout</td><td>10 s</td><td>one block from an offering client</td></tr>
 * </table>
 */
public record HostedCacheConfig(
    InetAddress bind,
    int httpPort,
    int tlsPort,
    Path tlsDir,
    int maxConnections,
    int maxConnectionsPerAddress,
    Duration requestTimeout,
    int pullThreads,
    int maxQueuedPulls,
    int maxPullsPerClient,
    Duration blockTimeout) {

  /** Checks every value; the messages name the setting. */
  public HostedCacheConfig {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(tlsDir, "tlsDir");
    if (httpPort < -1 || httpPort > 65535 || tlsPort < -1 || tlsPort > 65535) {
      throw new IllegalArgumentException("PCHC ports must be -1..65535, got " + httpPort + " and " + tlsPort);
    }
    if (httpPort == -1 && tlsPort == -1) {
      throw new IllegalArgumentException("a hosted cache needs pchc-port or pchc-tls-port");
    }
    if (maxConnections < 1 || maxConnectionsPerAddress < 1 || pullThreads < 1 || maxQueuedPulls < 1
        || maxPullsPerClient < 1) {
      throw new IllegalArgumentException("connection and pull limits must be >= 1");
    }
    if (requestTimeout.isZero() || requestTimeout.isNegative() || blockTimeout.isZero() || blockTimeout.isNegative()) {
      throw new IllegalArgumentException("timeouts must be > 0");
    }
  }

  /** The defaults of the table above with the given listeners. */
  public static HostedCacheConfig defaults(InetAddress bind, int httpPort, int tlsPort, Path tlsDir) {
    return new HostedCacheConfig(bind, httpPort, tlsPort, tlsDir, 256, 16, Duration.ofSeconds(15), 4, 1024, 64,
        Duration.ofSeconds(10));
  }

  /** A copy with other pull limits (tests). */
  public HostedCacheConfig withPulls(int threads, int maxQueued, int maxPerClient) {
    return new HostedCacheConfig(bind, httpPort, tlsPort, tlsDir, maxConnections, maxConnectionsPerAddress,
        requestTimeout, threads, maxQueued, maxPerClient, blockTimeout);
  }
}
