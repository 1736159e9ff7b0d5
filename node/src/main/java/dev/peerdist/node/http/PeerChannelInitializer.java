package dev.peerdist.node.http;

import dev.peerdist.node.pccrr.PccrrCodec;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.WriteTimeoutHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one pipeline of a PCCRR connection: connection limit → HTTP codec → aggregator bounded at
 * the largest request (98,304 bytes, PROTOCOL.md §4.2; larger bodies get 413) → idle timer →
 * upload timer → {@link PccrrRequestHandler}.
 */
public final class PeerChannelInitializer extends ChannelInitializer<Channel> {
  private final PeerServerConfig config;
  private final PccrrResponder responder;
  private final Executor storeExecutor;
  private final Semaphore activeClients;
  private final PeerServerStats stats;
  private final ConnectionLimiter limiter;

  PeerChannelInitializer(PeerServerConfig config, PccrrResponder responder, Executor storeExecutor,
      Semaphore activeClients, PeerServerStats stats) {
    this.config = config;
    this.responder = responder;
    this.storeExecutor = storeExecutor;
    this.activeClients = activeClients;
    this.stats = stats;
    this.limiter = new ConnectionLimiter(config.maxConnections(), stats);
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline()
        .addLast("limit", limiter)
        .addLast("http", new HttpServerCodec())
        .addLast("aggregate", new HttpObjectAggregator(PccrrCodec.MAX_REQUEST_SIZE, true))
        .addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .addLast("upload", new WriteTimeoutHandler(config.uploadTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .addLast("pccrr", new PccrrRequestHandler(responder, storeExecutor, activeClients, stats));
  }

  /** Counts open connections and closes those beyond the limit. */
  @ChannelHandler.Sharable
  static final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private final int max;
    private final PeerServerStats stats;
    private final AtomicInteger open = new AtomicInteger();

    ConnectionLimiter(int max, PeerServerStats stats) {
      this.max = max;
      this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      if (open.incrementAndGet() > max) {
        stats.countConnectionRefused();
        ctx.close();
        return;
      }
      super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      open.decrementAndGet();
      super.channelInactive(ctx);
    }
  }
}
