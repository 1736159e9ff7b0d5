package dev.peerdist.simulator.live;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy that delays each direction by a fixed one-way time: the user-space delay line of the
 * live harness (this kernel has {@code tc tbf} but no netem). Every byte read from one side is
 * written to the other side {@code oneWay} later, in order: a timestamped queue per direction,
 * kept as Netty scheduled writes on the connection's event loop (both channels of a connection
 * share one loop, so the queue has one owner).
 *
 * <p>What it models and what not: a request waits one {@code oneWay} to reach the server, and its
 * answer one more to come back, so every request/response costs the full round trip. It is a
 * split connection, though: each TCP leg has the short RTT of its own link, so congestion control
 * does not see the long RTT (no slow-start penalty of a real long path). The rate limit is not
 * here: {@code tc tbf} on the WAN link (root mode) or the publisher's upload cap (loopback mode).
 *
 * <p>Bounds: at most {@code maxConnections} connections (more are closed at once), and at most
 * {@code maxBuffered} bytes queued per direction per connection: beyond it the proxy stops reading
 * that side until half is written (back-pressure, so memory stays bounded). At 100 Mbit/s and a
 * 10 ms one-way delay a connection holds 125 kB in flight.
 *
 * <p>What a cut connection loses: the bytes that crossed the WAN but were not yet read by the
 * client. On a real path that is at most the client's receive window (a few round trips' worth);
 * here it is also what the proxy holds, its queue and both sockets' kernel buffers. So the
 * harness gives {@link #start} a bound of a few bandwidth-delay products (see
 * {@code LiveSite.delayLineBuffer}) and the proxy's sockets kernel buffers of a quarter of it
 * each (the kernel doubles the value): a cancelled origin range then wastes about what it would on
 * the real path, not 4 MiB or more (docs/SIMULATOR.md, "Cancelled ranges in the live harness, 2026-12-05").
 */
public final class DelayLine implements AutoCloseable {
  private final InetSocketAddress target;
  private final long delayNanos;
  private final int maxConnections;
  private final long maxBuffered;
  private final EventLoopGroup group;
  private final Channel listener;
  private final AtomicLong bytesUp = new AtomicLong();
  private final AtomicLong bytesDown = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong accepted = new AtomicLong();

  private DelayLine(InetSocketAddress listen, InetSocketAddress target, Duration oneWay, int maxConnections,
      long maxBuffered, int threads) throws InterruptedException {
    this.target = target;
    this.delayNanos = oneWay.toNanos();
    this.maxConnections = maxConnections;
    this.maxBuffered = maxBuffered;
    this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("delay-line"),
        NioIoHandler.newFactory());
    try {
      this.listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 512)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.SO_RCVBUF, socketBuffer(maxBuffered))
          .childOption(ChannelOption.SO_SNDBUF, socketBuffer(maxBuffered))
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              accept(ch);
            }
          }).bind(listen).sync().channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Starts a delay line.
   *
   * @param listen where clients connect
   * @param target where it connects for each client
   * @param oneWay the delay of each direction (half the round trip it adds)
   * @param maxConnections connections beyond this are closed at once
   * @param maxBuffered bytes queued per direction per connection before reading that side pauses
   */
  public static DelayLine start(InetSocketAddress listen, InetSocketAddress target, Duration oneWay,
      int maxConnections, long maxBuffered) throws InterruptedException {
    if (oneWay.isNegative() || maxConnections < 1 || maxBuffered < 64 * 1024) {
      throw new IllegalArgumentException("delay >= 0, connections >= 1, buffer >= 64 KiB");
    }
    return new DelayLine(listen, target, oneWay, maxConnections, maxBuffered, 2);
  }

  /** Kernel buffer per socket and direction: a quarter of the proxy's own queue, at least 32 KiB. */
  static int socketBuffer(long maxBuffered) {
    return (int) Math.max(32 * 1024, Math.min(maxBuffered / 4, 1 << 20));
  }

  /** Where clients connect. */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** Payload bytes forwarded client → target so far. */
  public long bytesUp() {
    return bytesUp.get();
  }

  /** Payload bytes forwarded target → client so far. */
  public long bytesDown() {
    return bytesDown.get();
  }

  /** Connections open now. */
  public int connections() {
    return open.get();
  }

  /** Connections accepted so far. */
  public long accepted() {
    return accepted.get();
  }

  private void accept(SocketChannel client) {
    accepted.incrementAndGet();
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      client.close();
      return;
    }
    client.closeFuture().addListener(f -> open.decrementAndGet());
    Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.SO_RCVBUF, socketBuffer(maxBuffered))
        .option(ChannelOption.SO_SNDBUF, socketBuffer(maxBuffered))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(new ChannelInboundHandlerAdapter());
    b.connect(target).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        client.close();
        return;
      }
      Channel server = f.channel();
      client.pipeline().addLast(new Forward(server, bytesUp));
      server.pipeline().addLast(new Forward(client, bytesDown));
      client.config().setAutoRead(true);
      server.config().setAutoRead(true);
    });
  }

  /** Reads one side and writes to the other {@code delayNanos} later. One instance per direction. */
  private final class Forward extends ChannelInboundHandlerAdapter {
    private final Channel to;
    private final AtomicLong counter;
    /** Bytes read but not yet written out: owned by the shared event loop. */
    private long pending;

    Forward(Channel to, AtomicLong counter) {
      this.to = to;
      this.counter = counter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      int size = buf.readableBytes();
      counter.addAndGet(size);
      pending += size;
      Channel from = ctx.channel();
      if (pending > maxBuffered) {
        from.config().setAutoRead(false);
      }
      // Same delay for every chunk of a direction: deadlines are in read order, so writes are too.
      ctx.executor().schedule(() -> {
        if (!to.isActive()) {
          buf.release();
          return;
        }
        to.writeAndFlush(buf).addListener(w -> {
          pending -= size;
          if (pending <= maxBuffered / 2 && from.isActive() && !from.config().isAutoRead()) {
            from.config().setAutoRead(true);
          }
        });
      }, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      // The close travels like data: after everything read before it.
      ctx.executor().schedule(() -> {
        if (to.isActive()) {
          to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
      }, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Stops listening and closes every connection; idempotent. */
  @Override
  public void close() {
    listener.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
