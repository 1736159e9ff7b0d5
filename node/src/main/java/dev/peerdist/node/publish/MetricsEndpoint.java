package dev.peerdist.node.publish;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The publisher's {@code /metrics} (and {@code /healthz}) on a port of its own, loopback by
 * default, so that the served tree keeps every path and metrics are not offered to the whole LAN.
 * One event-loop thread; at most {@link #MAX_CONNECTIONS} connections; 10 s to send a request.
 */
public final class MetricsEndpoint implements AutoCloseable {
  static final int MAX_CONNECTIONS = 16;
  private final EventLoopGroup group;
  private final Channel channel;

  private MetricsEndpoint(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /**
   * Listens on {@code bind:port} (0: any free port).
   *
   * @throws IOException naming the address that could not be bound
   */
  public static MetricsEndpoint start(InetAddress bind, int port, PublisherMeters meters) throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("publisher-metrics", true),
        NioIoHandler.newFactory());
    AtomicInteger open = new AtomicInteger();
    ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            if (open.incrementAndGet() > MAX_CONNECTIONS) {
              open.decrementAndGet();
              ch.close();
              return;
            }
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            ch.pipeline().addLast(new ReadTimeoutHandler(10, TimeUnit.SECONDS), new HttpServerCodec(4096, 8192, 8192),
                new HttpObjectAggregator(4096), new Handler(meters));
          }
        });
    try {
      return new MetricsEndpoint(group, b.bind(new InetSocketAddress(bind, port)).sync().channel());
    } catch (InterruptedException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding the metrics endpoint", e);
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("cannot listen for metrics on " + bind.getHostAddress() + ":" + port + ": "
          + e.getMessage(), e);
    }
  }

  /** {@code http://host:port/metrics}. */
  public URI uri() {
    InetSocketAddress a = (InetSocketAddress) channel.localAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/metrics");
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final PublisherMeters meters;

    Handler(PublisherMeters meters) {
      this.meters = meters;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      HttpResponseStatus status;
      String type = "text/plain; charset=utf-8";
      String body;
      String path = req.decoderResult().isSuccess() ? new QueryStringDecoder(req.uri()).path() : "";
      if (!req.decoderResult().isSuccess()) {
        status = HttpResponseStatus.BAD_REQUEST;
        body = "malformed request\n";
      } else if (!req.method().equals(HttpMethod.GET)) {
        status = HttpResponseStatus.METHOD_NOT_ALLOWED;
        body = "only GET\n";
      } else if (path.equals("/metrics")) {
        status = HttpResponseStatus.OK;
        type = "text/plain; version=0.0.4; charset=utf-8";
        body = meters.scrape();
      } else if (path.equals("/healthz")) {
        status = HttpResponseStatus.OK;
        body = "ok\n";
      } else {
        status = HttpResponseStatus.NOT_FOUND;
        body = "not found\n";
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      HttpUtil.setContentLength(r, r.content().readableBytes());
      boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
      HttpUtil.setKeepAlive(r, keepAlive);
      var f = ctx.writeAndFlush(r);
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
