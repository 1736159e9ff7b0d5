package dev.peerdist.node.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts open PCCRR connections and closes, as soon as they are accepted, those beyond the
 * limits (issue 11: 300 idle connections from one address locked every client out):
 *
 * <ul>
 *   <li>at most {@code perAddress} from one client address;
 *   <li>at most {@code total} in all;
 *   <li>headroom: once three quarters of {@code total} are open, an address that already has
 *       {@code crowded} or more gets no more, so a crowd of addresses cannot fill the last
 *       quarter and a new client still gets in.
 * </ul>
 *
 * Shared by every connection of a server; one lock guards the counts (a connection opens and
 * closes once, so contention is negligible).
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private static final AttributeKey<Object> COUNTED = AttributeKey.valueOf("peerdist.counted-address");

  private final int total;
  private final int perAddress;
  private final int crowded;
  private final PeerServerStats stats;
  private final Map<Object, Integer> byAddress = new HashMap<>();
  private int open;

  ConnectionLimiter(int total, int perAddress, int crowded, PeerServerStats stats) {
    this.total = total;
    this.perAddress = perAddress;
    this.crowded = crowded;
    this.stats = stats;
  }

  /** Takes a place for a connection from {@code a}; false when it must be refused. */
  synchronized boolean admit(Object a) {
    int mine = byAddress.getOrDefault(a, 0);
    boolean headroom = open >= total - total / 4;
    if (open >= total || mine >= perAddress || (headroom && mine >= crowded)) {
      return false;
    }
    open++;
    byAddress.put(a, mine + 1);
    return true;
  }

  synchronized void release(Object a) {
    open--;
    byAddress.computeIfPresent(a, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Open connections now (for tests and status). */
  synchronized int open() {
    return open;
  }

  /** The client a connection counts for: its IP address (the port does not matter). */
  static Object clientOf(java.net.SocketAddress remote) {
    return remote instanceof InetSocketAddress s && s.getAddress() != null ? s.getAddress() : String.valueOf(remote);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Object a = clientOf(ctx.channel().remoteAddress());
    if (!admit(a)) {
      stats.countConnectionRefused();
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(a);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    Object a = ctx.channel().attr(COUNTED).getAndSet(null);
    if (a != null) {
      release(a);
    }
    super.channelInactive(ctx);
  }
}
