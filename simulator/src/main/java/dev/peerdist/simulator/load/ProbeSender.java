package dev.peerdist.simulator.load;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.pccrd.PccrdProfile;
import dev.peerdist.discovery.pccrd.PccrdQuery;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Virtual peers' PCCRD probes: WS-Discovery Probes built with the project's codec ({@link
 * PccrdProfile}, {@link WsdCodec}), sent unicast to a node's discovery port or to the multicast
 * group on one interface from one UDP socket; ProbeMatches come back to it by unicast (PROTOCOL.md
 * §3.6) and are matched to their probe by {@code wsa:RelatesTo}. A probe nobody answers within
 * the timeout counts as empty: a PCCRD responder stays silent when it holds nothing (§3.4), and
 * the wire does not tell that from a rate limit.
 */
final class ProbeSender implements AutoCloseable {
  private static final InetSocketAddress GROUP = new InetSocketAddress("239.255.255.250",
      dev.peerdist.discovery.pccrd.PccrdTiming.PORT);

  private final WsdCodec codec = new WsdCodec();
  private final DatagramChannel channel;
  private final InetSocketAddress to;
  private final LoadStats stats;
  private final long timeoutNanos;
  private final ScheduledExecutorService timers;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Thread receiver;
  private volatile boolean closed;

  private record Pending(long sentAt, CompletableFuture<Void> done) {}

  /**
   * @param unicast the node's discovery address, or null for multicast
   * @param multicastPort the group's port when multicasting
   * @param iface the interface to multicast on (required for multicast)
   */
  ProbeSender(InetSocketAddress unicast, int multicastPort, String iface, LoadStats stats, long timeoutNanos,
      ScheduledExecutorService timers) throws IOException {
    this.stats = stats;
    this.timeoutNanos = timeoutNanos;
    this.timers = timers;
    this.channel = DatagramChannel.open(StandardProtocolFamily.INET);
    channel.bind(new InetSocketAddress(0));
    if (unicast != null) {
      this.to = unicast;
    } else {
      NetworkInterface ni = NetworkInterface.getByName(iface);
      if (ni == null) {
        channel.close();
        throw new IOException("no network interface " + iface);
      }
      channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, ni);
      this.to = new InetSocketAddress(GROUP.getAddress(), multicastPort);
    }
    receiver = new Thread(this::receive, "load-probe-replies");
    receiver.setDaemon(true);
    receiver.start();
  }

  /** Sends one probe for {@code keys}; completes when answered or timed out. */
  CompletableFuture<Void> probe(List<DiscoveryKey> keys) {
    String id = "urn:uuid:" + UUID.randomUUID();
    byte[] bytes = codec.encode(PccrdProfile.probe(id, new PccrdQuery(keys.get(0).form(), keys)));
    CompletableFuture<Void> done = new CompletableFuture<>();
    Pending p = new Pending(System.nanoTime(), done);
    pending.put(id, p);
    stats.sent();
    try {
      synchronized (channel) {
        channel.send(ByteBuffer.wrap(bytes), to);
      }
    } catch (IOException e) {
      pending.remove(id);
      stats.error();
      done.complete(null);
      return done;
    }
    timers.schedule(() -> {
      if (pending.remove(id) != null) {
        stats.empty(-1);
        done.complete(null);
      }
    }, timeoutNanos, TimeUnit.NANOSECONDS);
    return done;
  }

  private void receive() {
    ByteBuffer buf = ByteBuffer.allocate(65536);
    while (!closed) {
      try {
        buf.clear();
        channel.receive(buf);
        long now = System.nanoTime();
        buf.flip();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        WsdMessage m;
        try {
          m = codec.decode(bytes);
        } catch (RuntimeException e) {
          stats.error();
          continue;
        }
        if (m instanceof ProbeMatches pm) {
          // With multicast several nodes answer; the first answer counts, later ones are dropped.
          Pending p = pending.remove(pm.relatesTo());
          if (p != null) {
            stats.ok(now - p.sentAt(), bytes.length);
            p.done().complete(null);
          }
        }
      } catch (IOException e) {
        if (!closed) {
          stats.error();
        }
      }
    }
  }

  /** Probes still waiting. */
  int inFlight() {
    return pending.size();
  }

  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      // Closing: nothing more to do.
    }
    pending.values().forEach(p -> p.done().complete(null));
  }
}
