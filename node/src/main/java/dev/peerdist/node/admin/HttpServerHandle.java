package dev.peerdist.node.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A small local HTTP/1.1 server (admin endpoint or local mirror) on a caller-owned event loop
 * group: one pipeline of codec → 16 KiB aggregator (requests carry no bodies) → idle timeout →
 * the given handler. Closing unbinds; the group belongs to the caller.
 */
public final class HttpServerHandle implements AutoCloseable {
  /** Requests here are GETs with a URL; anything larger is refused by the aggregator (413). */
  static final int MAX_REQUEST_BYTES = 16 * 1024;
  /** Connections with no traffic for this long are closed (a download in flight is traffic). */
  static final int IDLE_SECONDS = 300;
  /**
   * Bytes queued for a client socket before a streaming download waits for it to drain. Netty's
   * default (64 KiB) is one block, so a reader stopped after every block until the event loop had
   * written it: a thread hand-off and a wake-up per 64 KiB (docs/PERFORMANCE.md). Per connection
   * at most this plus one block of verified plaintext is queued (heap), and the admin server
   * streams at most {@code max-downloads} at once: 8 × 576 KiB by default.
   */
  static final int WRITE_HIGH_WATER = 512 << 10;
  /** Writable again below this. */
  static final int WRITE_LOW_WATER = 256 << 10;

  private final Channel channel;
  private final String name;

  private HttpServerHandle(String name, Channel channel) {
    this.name = name;
    this.channel = channel;
  }

  /**
   * Binds {@code address:port} (0 = any free port).
   *
   * @throws IOException naming the server and address when the bind fails
   */
  public static HttpServerHandle bind(String name, EventLoopGroup group, InetAddress address, int port,
      Supplier<ChannelHandler> handler) throws IOException {
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 64)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(WRITE_LOW_WATER, WRITE_HIGH_WATER))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast(new HttpServerCodec())
                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                .addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS))
                .addLast(handler.get());
          }
        });
    try {
      Channel ch = b.bind(address, port).sync().channel();
      return new HttpServerHandle(name, ch);
    } catch (Exception e) {
      throw new IOException("cannot start the " + name + " on " + address.getHostAddress() + ":" + port
          + ": " + e.getMessage(), e);
    }
  }

  /** The bound port. */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** The bound address and port. */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  @Override
  public String toString() {
    return name + " on " + channel.localAddress();
  }
}
