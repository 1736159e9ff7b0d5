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
 *   <tr><td>maxActiveClients</td><td>64</td><td>requests served at once (Windows peer default, [MS-PCCRR]
 *       note 12, PROTOCOL.md §4.6); the daemon sets {@code max-uploads}</td></tr>
 *   <tr><td>maxQueuedPerClient</td><td>64</td><td>requests of one client address waiting for a slot; more get
 *       the empty answer at once. Covers iPXE's 32 requests in flight</td></tr>
 *   <tr><td>maxQueued</td><td>512</td><td>requests waiting in all</td></tr>
 *   <tr><td>maxQueueWait</td><td>1 s</td><td>a request not started by then gets the empty answer (inside the
 *       clients' 2–3 s request timers)</td></tr>
 *   <tr><td>maxConnections</td><td>256</td><td>open connections; more are closed at once</td></tr>
 *   <tr><td>maxConnectionsPerAddress</td><td>64</td><td>open connections from one client address (iPXE opens
 *       up to 32)</td></tr>
 *   <tr><td>crowdedPerAddress</td><td>8</td><td>headroom: once three quarters of maxConnections are open, only
 *       addresses with fewer than this many connections get another, so a crowd cannot shut out a new
 *       client</td></tr>
 *   <tr><td>firstRequestTimeout</td><td>5 s</td><td>a new connection must deliver a complete request by then
 *       (a connection that sends nothing frees its slot quickly)</td></tr>
 *   <tr><td>requestReadTimeout</td><td>5 s</td><td>once a request's first byte arrived, the whole request must
 *       arrive by then (slow headers)</td></tr>
 *   <tr><td>idleTimeout</td><td>30 s</td><td>a keep-alive connection with no request is closed</td></tr>
 *   <tr><td>uploadTimeout</td><td>15 s</td><td>server Upload Timer (PROTOCOL.md §4.6): a response not
 *       written by then closes the connection</td></tr>
 *   <tr><td>storeThreads</td><td>2</td><td>store reads (RocksDB get ~64 µs) run off the event loop</td></tr>
 *   <tr><td>inlineReadsBelow</td><td>0.5 ms</td><td>while store reads take less than this on average (a
 *       moving average over the server's reads), a request is answered on the event loop without the
 *       two hand-offs to a store thread and back (a third of the server's CPU per block, warm); slower
 *       reads (a disk, not the page cache) go to the store threads; 0: always the store threads</td></tr>
 *   <tr><td>ioThreads</td><td>1</td><td>event-loop threads</td></tr>
 * </table>
 */
public record PeerServerConfig(
    InetAddress bindAddress,
    int port,
    int maxActiveClients,
    int maxQueuedPerClient,
    int maxQueued,
    Duration maxQueueWait,
    int maxConnections,
    int maxConnectionsPerAddress,
    int crowdedPerAddress,
    Duration firstRequestTimeout,
    Duration requestReadTimeout,
    Duration idleTimeout,
    Duration uploadTimeout,
    int storeThreads,
    int ioThreads,
    Duration inlineReadsBelow) {

  public PeerServerConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " outside 0..65535");
    }
    checkPositive("maxActiveClients", maxActiveClients);
    checkNotNegative("maxQueuedPerClient", maxQueuedPerClient);
    checkNotNegative("maxQueued", maxQueued);
    checkDuration("maxQueueWait", maxQueueWait);
    checkPositive("maxConnections", maxConnections);
    checkPositive("maxConnectionsPerAddress", maxConnectionsPerAddress);
    checkPositive("crowdedPerAddress", crowdedPerAddress);
    checkDuration("firstRequestTimeout", firstRequestTimeout);
    checkDuration("requestReadTimeout", requestReadTimeout);
    checkDuration("idleTimeout", idleTimeout);
    checkDuration("uploadTimeout", uploadTimeout);
    checkPositive("storeThreads", storeThreads);
    checkPositive("ioThreads", ioThreads);
    if (inlineReadsBelow == null || inlineReadsBelow.isNegative()) {
      throw new IllegalArgumentException("inlineReadsBelow must be zero or a positive duration, got " + inlineReadsBelow);
    }
  }

  /** The defaults of the table above. */
  public static PeerServerConfig defaults() {
    return new PeerServerConfig(InetAddress.getLoopbackAddress(), 0, 64, 64, 512, Duration.ofSeconds(1), 256, 64, 8,
        Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(15), 2, 1,
        Duration.ofNanos(500_000));
  }

  public PeerServerConfig withBind(InetAddress address, int port) {
    return new PeerServerConfig(address, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, inlineReadsBelow);
  }

  public PeerServerConfig withMaxActiveClients(int n) {
    return new PeerServerConfig(bindAddress, port, n, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, inlineReadsBelow);
  }

  /** The upload queue: waiting requests per client address and in all, and how long each may wait. */
  public PeerServerConfig withQueue(int perClient, int total, Duration maxWait) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, perClient, total, maxWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, inlineReadsBelow);
  }

  public PeerServerConfig withMaxConnections(int n) {
    return withConnectionLimits(n, maxConnectionsPerAddress, crowdedPerAddress);
  }

  /** Open connections in all, per client address, and the per-address bound in the headroom. */
  public PeerServerConfig withConnectionLimits(int total, int perAddress, int crowded) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        total, perAddress, crowded, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, inlineReadsBelow);
  }

  public PeerServerConfig withThreads(int io, int store) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, store, io, inlineReadsBelow);
  }

  public PeerServerConfig withTimeouts(Duration idle, Duration upload) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idle, upload, storeThreads, ioThreads, inlineReadsBelow);
  }

  /** The header-read deadlines: first request after accept, and one request once it started. */
  public PeerServerConfig withRequestDeadlines(Duration firstRequest, Duration requestRead) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequest, requestRead,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, inlineReadsBelow);
  }

  /** Store reads answered on the event loop while they average less than {@code limit} (zero: never). */
  public PeerServerConfig withInlineReadsBelow(Duration limit) {
    return new PeerServerConfig(bindAddress, port, maxActiveClients, maxQueuedPerClient, maxQueued, maxQueueWait,
        maxConnections, maxConnectionsPerAddress, crowdedPerAddress, firstRequestTimeout, requestReadTimeout,
        idleTimeout, uploadTimeout, storeThreads, ioThreads, limit);
  }

  private static void checkPositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  private static void checkNotNegative(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative, got " + value);
    }
  }

  private static void checkDuration(String name, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
    }
  }
}
