package dev.peerdist.node.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the PCCRR server ({@link PeerHttpServer}). Every limit is checked here.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>bindAddress</td><td>127.0.0.1</td><td>the daemon sets the LAN address</td></tr>
 *   <tr><td>port</td><td>0 (ephemeral)</td><td>Windows uses 80 (PROTOCOL.md §1, §4.1)</td></tr>
 *   <tr><td>maxActiveClients</td><td>64</td><td>Windows peer default ([MS-PCCRR] note 12, PROTOCOL.md §4.6);
 *       requests beyond it get the empty answer</td></tr>
 *   <tr><td>maxConnections</td><td>256</td><td>accepted sockets; more are closed at once</td></tr>
 *   <tr><td>storeThreads</td><td>2</td><td>store reads (RocksDB get ~64 µs) run off the event loop</td></tr>
 *   <tr><td>idleTimeout</td><td>60 s</td><td>a keep-alive connection with no traffic is closed</td></tr>
 *   <tr><td>uploadTimeout</td><td>15 s</td><td>server Upload Timer (PROTOCOL.md §4.6): a response not
 *       written by then closes the connection</td></tr>
 *   <tr><td>ioThreads</td><td>1</td><td>event-loop threads</td></tr>
 * </table>
 */
public record PeerServerConfig(
    InetAddress bindAddress,
    int port,
    int maxActiveClients,
    int maxConnections,
    int storeThreads,
    Duration idleTimeout,
    Duration uploadTimeout,
    int ioThreads) {

  public PeerServerConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 0..65535");
    }
    checkPositive("maxActiveClients", maxActiveClients);
    checkPositive("maxConnections", maxConnections);
    checkPositive("storeThreads", storeThreads);
    checkPositive("ioThreads", ioThreads);
    checkDuration("idleTimeout", idleTimeout);
    checkDuration("uploadTimeout", uploadTimeout);
  }

  /** The defaults of the table above. */
  public static PeerServerConfig defaults() {
    return new PeerServerConfig(InetAddress.getLoopbackAddress(), 0, 64, 256, 2, Duration.ofSeconds(60),
        Duration.ofSeconds(15), 1);
  }

  public PeerServerConfig withBind(InetAddress address, int port) {
    return new PeerServerConfig(address, port, maxActiveClients, maxConnections, storeThreads, idleTimeout,
        uploadTimeout, ioThreads);
  }

  public PeerServerConfig withMaxActiveClients(int n) {
    return new PeerServerConfig(bindAddress, port, n, maxConnections, storeThreads, idleTimeout, uploadTimeout,
        ioThreads);
  }

  public PeerServerConfig withMaxConnections(int n) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, n, storeThreads, idleTimeout, uploadTimeout,
        ioThreads);
  }

  public PeerServerConfig withThreads(int io, int store) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxConnections, store, idleTimeout,
        uploadTimeout, io);
  }

  public PeerServerConfig withTimeouts(Duration idle, Duration upload) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxConnections, storeThreads, idle, upload,
        ioThreads);
  }

  private static void checkPositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  private static void checkDuration(String name, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
    }
  }
}
