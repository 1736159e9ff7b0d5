package dev.peerdist.node.hostedcache;

import dev.peerdist.node.pchc.PchcCodec;
import dev.peerdist.node.pchc.PchcDecodeException;
import dev.peerdist.node.pchc.PchcMessage;
import dev.peerdist.node.publish.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosted cache's MS-PCHC listeners (PROTOCOL.md §6.1): v1.0 offers over HTTPS on {@link
 * PchcCodec#V1_PATH}, v2.0 offers over plain HTTP on {@link PchcCodec#V2_PATH}; each listener takes
 * only its own version ("The HTTPS URL does not accept v2.0 messages and the HTTP URL does not
 * accept v1.0 messages"). Clients may be in any subnet: nothing here checks where they are.
 *
 * <p>One pipeline per connection (HOUSE-STYLE 9): connection limits → [TLS] → HTTP codec →
 * aggregator bounded at the largest request → idle timeout → {@link Handler} on a small executor
 * group (it reads the store), which decodes with {@link PchcCodec}, asks {@link OfferResponder}
 * and writes the RESPONSE_MESSAGE. A body that does not decode gets 400 and is counted; a wrong
 * path 404; another method than POST 405.
 */
public final class PchcServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PchcServer.class);

  /** Where offers and refusals are counted. */
  public interface Listener {
    /** One answered segment of an offer ({@code messageType} e.g. {@code initial_offer}). */
    void offer(String messageType, String result);

    /** A request that was not a valid offer (body, path, method or version). */
    void malformed();
  }

  private final HostedCacheConfig config;
  private final OfferResponder responder;
  private final Listener listener;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final EventExecutorGroup handlers;
  private final List<Channel> listeners = new ArrayList<>();
  private final Limits limits;
  private final AtomicBoolean closed = new AtomicBoolean();
  private InetSocketAddress httpAddress;
  private InetSocketAddress tlsAddress;

  private PchcServer(HostedCacheConfig config, OfferResponder responder, Listener listener) {
    this.config = config;
    this.responder = responder;
    this.listener = listener;
    this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pchc-accept", true),
        NioIoHandler.newFactory());
    this.workers = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pchc-io", true),
        NioIoHandler.newFactory());
    this.handlers = new DefaultEventExecutorGroup(2, new DefaultThreadFactory("pchc-handler", true));
    this.limits = new Limits(config.maxConnections(), config.maxConnectionsPerAddress());
  }

  /**
   * Binds the configured listeners.
   *
   * @throws IOException naming the address when a bind fails or the TLS material cannot be made
   */
  public static PchcServer start(HostedCacheConfig config, OfferResponder responder, Listener listener)
      throws IOException {
    PchcServer s = new PchcServer(config, responder, listener);
    try {
      if (config.httpPort() >= 0) {
        s.httpAddress = s.listen(config.httpPort(), null);
      }
      if (config.tlsPort() >= 0) {
        SslContext ssl = TlsContexts.selfSigned(config.tlsDir(), config.bind());
        s.tlsAddress = s.listen(config.tlsPort(), ssl);
      }
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** The v2.0 (HTTP) listener's address, or null when it is off. */
  public InetSocketAddress httpAddress() {
    return httpAddress;
  }

  /** The v1.0 (HTTPS) listener's address, or null when it is off. */
  public InetSocketAddress tlsAddress() {
    return tlsAddress;
  }

  private InetSocketAddress listen(int port, SslContext ssl) throws IOException {
    boolean v1 = ssl != null;
    ServerBootstrap b = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 128)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("limit", limits);
            if (ssl != null) {
              ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
            }
            ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("aggregate", new HttpObjectAggregator(PchcCodec.MAX_REQUEST_SIZE, true))
                .addLast("idle", new IdleStateHandler(0, 0, config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS))
                .addLast(handlers, "pchc", new Handler(v1));
          }
        });
    try {
      Channel ch = b.bind(config.bind(), port).sync().channel();
      listeners.add(ch);
      return (InetSocketAddress) ch.localAddress();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding the hosted cache on " + config.bind().getHostAddress() + ":" + port, e);
    } catch (Exception e) {
      String hint = port > 0 && port < 1024 ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "";
      throw new IOException("cannot listen for hosted-cache offers on " + config.bind().getHostAddress() + ":" + port
          + ": " + e.getMessage() + hint, e);
    }
  }

  /** True when {@code path} is {@code expected} with or without its trailing slash, in any case (http.sys). */
  static boolean samePath(String path, String expected) {
    String p = path.toLowerCase(Locale.ROOT);
    String e = expected.toLowerCase(Locale.ROOT);
    return p.equals(e) || p.equals(e.substring(0, e.length() - 1));
  }

  /** One request → one RESPONSE_MESSAGE (or an HTTP error). Not shared: one per connection. */
  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final boolean v1;

    Handler(boolean v1) {
      this.v1 = v1;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (!req.decoderResult().isSuccess()) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, "unreadable HTTP request", false);
        return;
      }
      String path = req.uri();
      int q = path.indexOf('?');
      if (q >= 0) {
        path = path.substring(0, q);
      }
      if (!samePath(path, v1 ? PchcCodec.V1_PATH : PchcCodec.V2_PATH)) {
        refuse(ctx, HttpResponseStatus.NOT_FOUND, "no such path", keepAlive);
        return;
      }
      if (!req.method().equals(HttpMethod.POST)) {
        FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "offers are POSTed\n");
        r.headers().set("Allow", "POST");
        listener.malformed();
        write(ctx, r, keepAlive);
        return;
      }
      byte[] body = new byte[req.content().readableBytes()];
      req.content().readBytes(body);
      PchcMessage m;
      try {
        m = PchcCodec.decodeRequest(java.nio.ByteBuffer.wrap(body));
      } catch (PchcDecodeException e) {
        LOG.debug("malformed PCHC offer from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage(), keepAlive);
        return;
      }
      if ((m.majorVersion() == 1) != v1) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, "version " + m.majorVersion() + ".0 offers go to the "
            + (m.majorVersion() == 1 ? "HTTPS " + PchcCodec.V1_PATH : "HTTP " + PchcCodec.V2_PATH) + " listener", keepAlive);
        return;
      }
      InetAddress from = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
      OfferResponder.Answer a;
      try {
        a = responder.answer(m, from);
      } catch (RuntimeException e) {
        LOG.warn("hosted cache: cannot answer an offer from {}: {}", from.getHostAddress(), e.toString());
        write(ctx, text(HttpResponseStatus.SERVICE_UNAVAILABLE, "store unavailable\n"), false);
        return;
      }
      for (String result : a.results()) {
        listener.offer(m.label(), result);
      }
      if (a.refused() != null) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, a.refused(), keepAlive);
        return;
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
          Unpooled.wrappedBuffer(PchcCodec.encodeResponse(a.code())));
      r.headers().set("Content-Type", "application/octet-stream");
      r.headers().set("Content-Length", PchcCodec.RESPONSE_LENGTH);
      write(ctx, r, keepAlive);
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String why, boolean keepAlive) {
      listener.malformed();
      write(ctx, text(status, why + "\n"), keepAlive);
    }

    private FullHttpResponse text(HttpResponseStatus status, String body) {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(b));
      r.headers().set("Content-Type", "text/plain; charset=utf-8");
      r.headers().set("Content-Length", b.length);
      return r;
    }

    private void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
      HttpUtil.setKeepAlive(r, keepAlive);
      var f = ctx.writeAndFlush(r);
      if (!keepAlive) {
        f.addListener(x -> ctx.close());
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
        return;
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("PCHC connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  /** Closes connections beyond {@code total} in all or {@code perAddress} from one address, as they open. */
  @ChannelHandler.Sharable
  private static final class Limits extends ChannelInboundHandlerAdapter {
    private final int total;
    private final int perAddress;
    private final Map<InetAddress, Integer> open = new HashMap<>();
    private int all;

    Limits(int total, int perAddress) {
      this.total = total;
      this.perAddress = perAddress;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      InetAddress a = address(ctx.channel().remoteAddress());
      boolean ok;
      synchronized (this) {
        int mine = open.getOrDefault(a, 0);
        ok = all < total && mine < perAddress;
        if (ok) {
          all++;
          open.put(a, mine + 1);
        }
      }
      if (!ok) {
        ctx.close();
        return;
      }
      ctx.channel().closeFuture().addListener(f -> {
        synchronized (this) {
          all--;
          open.computeIfPresent(a, (k, v) -> v <= 1 ? null : v - 1);
        }
      });
      super.channelActive(ctx);
    }

    private static InetAddress address(SocketAddress s) {
      return s instanceof InetSocketAddress i ? i.getAddress() : InetAddress.getLoopbackAddress();
    }
  }

  /** Stops listening and closes connections. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Channel ch : listeners) {
      ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    handlers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
