package dev.peerdist.simulator.bench;

import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrDecodeException;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.retrieval.Outcome;
import dev.peerdist.node.retrieval.PeerClientConfig;
import dev.peerdist.node.retrieval.PeerExchangeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.AbstractChannelPoolMap;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.ChannelPoolMap;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The PCCRR client's exchange path as it was before 2026-12-04 (main at 31ea6d8): Netty's
 * FixedChannelPool per peer, and a connection closed on every failed exchange, timeouts included.
 * Kept only so that {@link PccrrExchangeBenchmark} can print before/after ratios in one run; the
 * node uses {@code dev.peerdist.node.retrieval.PeerClient}.
 */
final class BaselinePeerClient implements AutoCloseable {
  private static final String PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/";

  private final PeerClientConfig config;
  private final EventLoopGroup group;
  private final ChannelPoolMap<InetSocketAddress, FixedChannelPool> pools;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Connections this client opened (the benchmark's addition). */
  final java.util.concurrent.atomic.LongAdder connectionsOpened = new java.util.concurrent.atomic.LongAdder();

  BaselinePeerClient(PeerClientConfig config) {
    this.config = config;
    this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("pccrr-client", true),
        NioIoHandler.newFactory());
    Bootstrap bootstrap = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis());
    this.pools = new AbstractChannelPoolMap<>() {
      @Override
      protected FixedChannelPool newPool(InetSocketAddress key) {
        return new FixedChannelPool(bootstrap.clone().remoteAddress(key), new AbstractChannelPoolHandler() {
          @Override
          public void channelCreated(Channel ch) {
            connectionsOpened.increment();
            ch.pipeline()
                .addLast("http", new HttpClientCodec())
                .addLast("aggregate", new HttpObjectAggregator(PccrrCodec.MAX_RESPONSE_BODY))
                .addLast("pccrr", new ResponseHandler());
          }
        }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL,
            config.requestTimeout().toMillis(), config.maxConnectionsPerPeer(), config.maxPendingPerPeer());
      }
    };
  }

  public PeerClientConfig config() {
    return config;
  }

  /**
   * Sends one request and returns the decoded response. Fails with {@link PeerExchangeException}
   * carrying TIMEOUT, IO_ERROR, BAD_DATA (undecodable answer) or BUSY (pool full).
   */
  public CompletableFuture<PccrrMessage> exchange(PeerEndpoint peer, PccrrMessage request) {
    CompletableFuture<PccrrMessage> result = new CompletableFuture<>();
    if (closed.get()) {
      result.completeExceptionally(new PeerExchangeException(Outcome.IO_ERROR, "client closed"));
      return result;
    }
    FixedChannelPool pool;
    try {
      pool = pools.get(peer.address());
    } catch (IllegalStateException e) {
      result.completeExceptionally(new PeerExchangeException(Outcome.IO_ERROR, "client closed", e));
      return result;
    }
    pool.acquire().addListener(f -> {
      if (!f.isSuccess()) {
        Throwable cause = f.cause();
        boolean full = cause instanceof IllegalStateException
            || cause instanceof java.util.concurrent.TimeoutException;
        result.completeExceptionally(new PeerExchangeException(full ? Outcome.BUSY : Outcome.IO_ERROR,
            (full ? "no free connection to " : "cannot connect to ") + peer + ": " + cause, cause));
        return;
      }
      Channel ch = (Channel) f.getNow();
      // The pool hands the connection over on an event loop, usually the connection's own: send
      // at once rather than queueing behind the responses that loop is decoding and verifying
      // (measured 1–13 ms per request on the loaded machine, docs/PERFORMANCE.md).
      if (ch.eventLoop().inEventLoop()) {
        send(pool, ch, peer, request, result);
      } else {
        ch.eventLoop().execute(() -> send(pool, ch, peer, request, result));
      }
    });
    return result;
  }

  private void send(FixedChannelPool pool, Channel ch, PeerEndpoint peer, PccrrMessage request,
      CompletableFuture<PccrrMessage> result) {
    ResponseHandler handler = ch.pipeline().get(ResponseHandler.class);
    if (handler == null || !ch.isActive()) {
      pool.release(ch);
      result.completeExceptionally(new PeerExchangeException(Outcome.IO_ERROR, "connection to " + peer + " lost"));
      return;
    }
    result.whenComplete((m, e) -> {
      if (e != null) {
        ch.close(); // a late or partial answer must never be read as the next one
      }
      pool.release(ch);
    });
    handler.begin(result, config.requestTimeout().toMillis());
    ByteBuf body = PccrrCodec.encode(request, ch.alloc());
    FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, PATH, body);
    http.headers()
        .set(HttpHeaderNames.HOST, peer.toString())
        .set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    ch.writeAndFlush(http).addListener(w -> {
      if (!w.isSuccess()) {
        handler.fail(new PeerExchangeException(Outcome.IO_ERROR, "sending to " + peer + " failed: " + w.cause(),
            w.cause()));
      }
    });
  }

  /** Stops the event loop; pending exchanges fail. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (pools instanceof AbstractChannelPoolMap<?, ?> map) {
      map.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Completes the exchange in progress on its connection; all methods run on the channel's loop. */
  private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private CompletableFuture<PccrrMessage> pending;
    private ScheduledFuture<?> timer;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    void begin(CompletableFuture<PccrrMessage> promise, long timeoutMillis) {
      pending = promise;
      timer = ctx.executor().schedule(() -> fail(new PeerExchangeException(Outcome.TIMEOUT,
          "no answer from " + ctx.channel().remoteAddress() + " within " + timeoutMillis + " ms")),
          timeoutMillis, TimeUnit.MILLISECONDS);
    }

    void fail(PeerExchangeException e) {
      CompletableFuture<PccrrMessage> p = take();
      if (p != null) {
        p.completeExceptionally(e);
      }
    }

    private CompletableFuture<PccrrMessage> take() {
      CompletableFuture<PccrrMessage> p = pending;
      pending = null;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      return p;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      CompletableFuture<PccrrMessage> p = take();
      if (p == null) {
        ctx.close(); // an answer nobody asked for
        return;
      }
      if (response.status().code() != 200) {
        p.completeExceptionally(new PeerExchangeException(Outcome.IO_ERROR, "HTTP " + response.status()));
        return;
      }
      ByteBuf body = response.content();
      try {
        PccrrMessage m = PccrrCodec.decodeResponse(body);
        if (m == null || body.isReadable()) {
          p.completeExceptionally(new PeerExchangeException(Outcome.BAD_DATA,
              "HTTP body is not exactly one PCCRR response"));
          return;
        }
        p.complete(m);
      } catch (PccrrDecodeException e) {
        p.completeExceptionally(new PeerExchangeException(Outcome.BAD_DATA, e.getMessage(), e));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      fail(new PeerExchangeException(Outcome.IO_ERROR, "connection closed before the answer"));
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(new PeerExchangeException(Outcome.IO_ERROR, cause.toString(), cause));
      ctx.close();
    }
  }
}
