package dev.peerdist.node.http;

import dev.peerdist.node.pccrr.PccrrCodec;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.WriteTimeoutHandler;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The one pipeline of a PCCRR connection: connection limits (per address, in all) → request
 * deadlines → upload timer → HTTP response encoder, request decoder → aggregator bounded at the
 * largest request (98,304 bytes, PROTOCOL.md §4.2; larger bodies get 413) → one request at a time
 * → {@link PccrrRequestHandler}, which admits requests through the server's {@link
 * UploadScheduler}.
 */
public final class PeerChannelInitializer extends ChannelInitializer<Channel> {
  /**
   * The HTTP response encoder's name. {@link PccrrRequestHandler} writes its answers, already
   * encoded, from this handler's context: they pass every handler before it (the upload timer,
   * the limits), not the encoder.
   */
  static final String RESPONSE_ENCODER = "http-out";

  private final PeerServerConfig config;
  private final PccrrResponder responder;
  private final Executor storeExecutor;
  private final UploadScheduler uploads;
  private final PeerServerStats stats;
  private final ConnectionLimiter limiter;
  /** Store reads' recent cost, shared by every connection of the server. */
  private final StoreReadCost readCost;
  private final dev.peerdist.chunkstore.ChunkStore store;

  PeerChannelInitializer(PeerServerConfig config, PccrrResponder responder, Executor storeExecutor,
      UploadScheduler uploads, PeerServerStats stats) {
    this(config, responder, storeExecutor, uploads, stats, null);
  }

  /** @param store where {@link BlockHashesHandler} finds segment records; null = no hash lists */
  PeerChannelInitializer(PeerServerConfig config, PccrrResponder responder, Executor storeExecutor,
      UploadScheduler uploads, PeerServerStats stats, dev.peerdist.chunkstore.ChunkStore store) {
    this.store = store;
    this.config = config;
    this.responder = responder;
    this.storeExecutor = storeExecutor;
    this.uploads = uploads;
    this.stats = stats;
    this.readCost = new StoreReadCost(config.inlineReadsBelow());
    this.limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerAddress(),
        config.crowdedPerAddress(), stats);
  }

  /** The shared connection limiter (for tests). */
  ConnectionLimiter limiter() {
    return limiter;
  }

  @Override
  protected void initChannel(Channel ch) {
    RequestDeadlines deadlines = new RequestDeadlines(config.firstRequestTimeout(), config.requestReadTimeout(),
        config.idleTimeout(), stats);
    ch.pipeline()
        .addLast("limit", limiter)
        .addLast("deadlines", deadlines)
        // Before the encoder, so that it times every write: the PCCRR answers, which
        // PccrrRequestHandler writes as bytes from the encoder's place in the pipeline (past it),
        // and the responses the encoder makes.
        .addLast("upload", new WriteTimeoutHandler(config.uploadTimeout().toMillis(), TimeUnit.MILLISECONDS))
        // The decoder and the encoder apart, not HttpServerCodec: its encoder takes one entry per
        // request from a queue its decoder fills, and PCCRR answers do not go through the encoder.
        // The codec's HEAD rule (no body) changes nothing here: every response to a HEAD request
        // (404, 405) has an empty body.
        .addLast(RESPONSE_ENCODER, new HttpResponseEncoder())
        .addLast("http", new HttpRequestDecoder())
        .addLast("aggregate", new HttpObjectAggregator(PccrrCodec.MAX_REQUEST_SIZE, true))
        // While a request is answered the connection does not read (PccrrRequestHandler), but
        // requests a client sent back to back may arrive in one read and be decoded together:
        // this holds the later ones until the answer is written and reading resumes, so the
        // handler still sees one request at a time and answers leave in order.
        .addLast("one-at-a-time", new FlowControlHandler());
    if (store != null) {
      ch.pipeline().addLast("hashes", new BlockHashesHandler(store, storeExecutor));
    }
    ch.pipeline()
        .addLast("pccrr", new PccrrRequestHandler(responder, storeExecutor, uploads, config.maxQueueWait(), stats,
            deadlines, readCost));
  }
}
