package dev.peerdist.node.publish;

import dev.peerdist.node.admin.HttpServerHandle;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's {@code /metrics} (and {@code /healthz}) on a port of its own, loopback by
 * default, so that the served tree keeps every path and metrics are not offered to the whole LAN.
 * The same small HTTP server as the node's admin endpoint ({@link HttpServerHandle}) on one
 * event-loop thread of its own.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private final EventLoopGroup group;
  private final HttpServerHandle server;

  private MetricsEndpoint(EventLoopGroup group, HttpServerHandle server) {
    this.group = group;
    this.server = server;
  }

  /**
   * Listens on {@code bind:port} (0: any free port).
   *
   * @throws IOException naming the address that could not be bound
   */
  public static MetricsEndpoint start(InetAddress bind, int port, PublisherMeters meters) throws IOException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("publisher-metrics", true),
        NioIoHandler.newFactory());
    try {
      return new MetricsEndpoint(group, HttpServerHandle.bind("publisher metrics endpoint", group, bind, port,
          () -> new Handler(meters)));
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** {@code http://host:port/metrics}. */
  public URI uri() {
    InetSocketAddress a = server.address();
    String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/metrics");
  }

  @Override
  public void close() {
    server.close();
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      } else {
        super.userEventTriggered(ctx, evt);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
