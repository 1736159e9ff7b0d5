package dev.peerdist.node.retrieval;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.BlockOpener;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrDecodeException;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The PCCRR client (PROTOCOL.md §4): HTTP/1.1 keep-alive connections kept per peer (a few each,
 * bounded waiting), one request per connection at a time, a request timer per exchange.
 *
 * <p>{@link #fetchBlock} sends MSG_GETBLKS for one block asking for AES_128, checks the MSG_BLK
 * as iPXE does (type, segment, index, SizeOfBlock, ciphertext length), decrypts by the response's
 * label with the §4.5 fallback, and verifies the hash ({@link BlockOpener}). Only a verified
 * block comes back as {@link Outcome#OK}; everything else is a peer-attributed failure value.
 * Futures complete on the client's event loop; callers that do real work must hop threads.
 *
 * <p>Connections. Each peer's connections live on one event loop, which alone touches the peer's
 * state: at most {@code maxConnectionsPerPeer} connections connecting or carrying an exchange, as
 * many again owing a late answer (below), idle ones, and the exchanges waiting for a connection
 * ({@code maxPendingPerPeer}, each for at most the request timeout, then BUSY). A connection
 * carries one request at a time and is never given a second request before the first one's answer
 * has been read whole, so an answer is always read as the answer to the request before it. When
 * the request timer fires the exchange fails with TIMEOUT, but the connection is kept, used for
 * nothing else, and owes one answer: when the answer arrives it is discarded and the connection
 * goes back to the idle ones; when it has not arrived within {@code lateAnswerWait} (a second
 * timer on that connection) the connection is closed. Any other failure (connection lost, HTTP
 * error, undecodable answer) closes the connection. On the saturated live site many exchanges hit
 * the timer, and re-connecting after each one was a fifth of the client's CPU
 * (docs/PERFORMANCE.md, "PCCRR exchanges, 2026-12-04").
 */
public final class PeerClient implements PeerBlockClient, AutoCloseable {
  static final String PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/";
  /** Headers without Netty's validation (requests are written from {@link #requestHead}). */
  private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
  /**
   * The answer's headers are not validated: the client reads only the status, the framing (which
   * the decoder parses strictly regardless) and Connection; the body is checked whole.
   */
  private static final HttpDecoderConfig DECODER = new HttpDecoderConfig().setHeadersFactory(HEADERS)
      .setTrailersFactory(HEADERS);

  /**
   * The bytes Netty's HTTP encoder wrote for our requests, built once per body length: request line,
   * Host, Content-Length, Content-Type, Connection (in that order, lower-case names), empty line.
   */
  static byte[] requestHead(CharSequence host, int contentLength) {
    String head = "POST " + PATH + " HTTP/1.1\r\n"
        + HttpHeaderNames.HOST + ": " + host + "\r\n"
        + HttpHeaderNames.CONTENT_LENGTH + ": " + contentLength + "\r\n"
        + HttpHeaderNames.CONTENT_TYPE + ": " + HttpHeaderValues.APPLICATION_OCTET_STREAM + "\r\n"
        + HttpHeaderNames.CONNECTION + ": " + HttpHeaderValues.KEEP_ALIVE + "\r\n\r\n";
    return head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private final PeerClientConfig config;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final ConcurrentHashMap<InetSocketAddress, Peer> peers = new ConcurrentHashMap<>();
  private final PeerClientStats stats = new PeerClientStats();
  private final long requestTimeoutNanos;
  private final long lateAnswerWaitNanos;
  private final AtomicBoolean closed = new AtomicBoolean();

  public PeerClient(PeerClientConfig config) {
    this.config = config;
    this.requestTimeoutNanos = config.requestTimeout().toNanos();
    this.lateAnswerWaitNanos = config.lateAnswerWait().toNanos();
    this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("pccrr-client", true),
        NioIoHandler.newFactory());
    this.bootstrap = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis());
  }

  public PeerClientConfig config() {
    return config;
  }

  /** The client's counters (connections opened, timeouts, late answers). */
  public PeerClientStats stats() {
    return stats;
  }

  /** Fetches, decrypts and verifies block {@code index} of {@code record} from {@code peer}. */
  @Override
  public CompletableFuture<BlockFetchResult> fetchBlock(PeerEndpoint peer, SegmentRecord record, int index) {
    long start = System.nanoTime();
    SegmentId id = record.id();
    return exchange(peer, GetBlocks.of(config.cryptoAlgoId(), id, index)).handle((msg, err) -> {
      long took = System.nanoTime() - start;
      if (err != null) {
        return failure(err, took);
      }
      // iPXE's checks on MSG_BLK (PROTOCOL.md §4.6).
      // A well-formed answer to another question is the peer's error, not bad block data: it is
      // counted against the peer (peer_error) but does not ban it the way a block failing its hash does.
      if (!(msg instanceof Blocks blk)) {
        return BlockFetchResult.failed(Outcome.IO_ERROR, "expected MSG_BLK, got " + msg.type(), took);
      }
      if (!blk.segmentId().equals(id)) {
        return BlockFetchResult.failed(Outcome.IO_ERROR, "MSG_BLK for another segment", took);
      }
      if (!blk.available()) {
        return BlockFetchResult.failed(Outcome.NOT_AVAILABLE, "SizeOfBlock 0", took);
      }
      if (blk.blockIndex() != index) {
        return BlockFetchResult.failed(Outcome.IO_ERROR,
            "MSG_BLK BlockIndex " + blk.blockIndex() + ", asked " + index, took);
      }
      BlockOpener.Opened opened = BlockOpener.open(blk.cryptoAlgoId(), blk.iv(), blk.block(), record, index);
      if (!opened.ok()) {
        return BlockFetchResult.failed(Outcome.BAD_DATA, "block " + index + ": " + opened.failure(), took);
      }
      long took2 = System.nanoTime() - start;
      return opened.verified() != null ? BlockFetchResult.ok(opened.verified(), took2)
          : BlockFetchResult.ok(opened.plaintext(), took2);
    });
  }

  /** Asks {@code peer} which of {@code needed} it holds (MSG_GETBLKLIST → MSG_BLKLIST). */
  @Override
  public CompletableFuture<BlockList> blockList(PeerEndpoint peer, SegmentId id, List<BlockRange> needed) {
    return exchange(peer, new GetBlockList(config.cryptoAlgoId(), id, needed)).thenApply(msg -> {
      if (!(msg instanceof BlockList list) || !list.segmentId().equals(id)) {
        throw new PeerExchangeException(Outcome.BAD_DATA, "expected MSG_BLKLIST for " + id + ", got " + msg.type());
      }
      return list;
    });
  }

  private static BlockFetchResult failure(Throwable err, long took) {
    Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (e instanceof PeerExchangeException p) {
      return BlockFetchResult.failed(p.outcome(), p.getMessage(), took);
    }
    return BlockFetchResult.failed(Outcome.IO_ERROR, e.toString(), took);
  }

  /**
   * Sends one request and returns the decoded response. Fails with {@link PeerExchangeException}
   * carrying TIMEOUT, IO_ERROR, BAD_DATA (undecodable answer) or BUSY (no connection free in time).
   */
  public CompletableFuture<PccrrMessage> exchange(PeerEndpoint peer, PccrrMessage request) {
    CompletableFuture<PccrrMessage> result = new CompletableFuture<>();
    if (closed.get()) {
      result.completeExceptionally(new PeerExchangeException(Outcome.IO_ERROR, "client closed"));
      return result;
    }
    InetSocketAddress address = peer.address();
    Peer p = peers.get(address);
    if (p == null) {
      p = peers.computeIfAbsent(address, a -> new Peer(a, peer.toString(), group.next()));
    }
    Exchange x = new Exchange(request, result);
    // One hop to the peer's loop, which then does everything up to the answer without another.
    if (p.loop.inEventLoop()) {
      p.submit(x);
    } else {
      Peer q = p;
      try {
        p.loop.execute(() -> q.submit(x));
      } catch (RejectedExecutionException e) {
        x.fail(Outcome.IO_ERROR, "client closed");
      }
    }
    return result;
  }

  /** Stops the event loop; pending exchanges fail. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Peer p : peers.values()) {
      try {
        p.loop.execute(p::closeAll);
      } catch (RejectedExecutionException e) {
        // already stopping: its channels are closed with it
      }
    }
    // The loops run the tasks above before they stop; stopping closes every channel, which
    // fails the exchanges in progress.
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One request and the future of its answer. */
  private static final class Exchange {
    final PccrrMessage request;
    final CompletableFuture<PccrrMessage> result;
    /** While waiting for a connection: when it stops waiting (the loop's ticker), then BUSY. */
    long waitUntil;

    Exchange(PccrrMessage request, CompletableFuture<PccrrMessage> result) {
      this.request = request;
      this.result = result;
    }

    void fail(Outcome outcome, String message) {
      result.completeExceptionally(new PeerExchangeException(outcome, message));
    }

    void fail(Outcome outcome, String message, Throwable cause) {
      result.completeExceptionally(new PeerExchangeException(outcome, message, cause));
    }
  }

  /** What a connection is doing; {@link Peer} counts connections by state. */
  private enum State { CONNECTING, BUSY, IDLE, OWING, CLOSED }

  /**
   * The connections to one peer; every method runs on {@link #loop}. At most {@code
   * maxConnectionsPerPeer} connections are connecting or carrying an exchange ({@link #busy}); one
   * owing a late answer does not count, and at most twice that many are open in all.
   */
  private final class Peer {
    final EventLoop loop;
    final String name;
    final AsciiString host;
    final Bootstrap connector;
    /** Connections with nothing in flight and nothing owed, most recently used last. */
    final ArrayDeque<Connection> idle = new ArrayDeque<>();
    /** Exchanges waiting for a connection, oldest (and so first to expire) first. */
    final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
    /** Expires waiting exchanges; armed for the oldest one's deadline, or null. */
    ScheduledFuture<?> waitTimer;
    int open;
    int busy;
    int owing;
    boolean closed;

    /** {@link #requestHead(int)}'s bytes, for a body of {@link #headLength} bytes (null: none yet). */
    private byte[] head;
    private int headLength;

    Peer(InetSocketAddress address, String name, EventLoop loop) {
      this.loop = loop;
      this.name = name;
      this.host = AsciiString.of(name);
      this.connector = bootstrap.clone(loop).remoteAddress(address);
    }

    /**
     * The request line and headers of a PCCRR POST (PROTOCOL.md §4.1) whose body is {@code length}
     * bytes, ending with the empty line. Block requests all have one length, so the bytes are kept
     * for the last length asked: Netty's HTTP encoder rebuilt the same ~150 bytes for every block,
     * a sixth of the client thread's samples (JFR, 512 MiB node to node).
     */
    byte[] requestHead(int length) {
      if (length != headLength || head == null) {
        head = PeerClient.requestHead(host, length);
        headLength = length;
      }
      return head;
    }

    void submit(Exchange x) {
      if (closed) {
        x.fail(Outcome.IO_ERROR, "client closed");
        return;
      }
      if (waiting.isEmpty() && busy < config.maxConnectionsPerPeer()) {
        Connection c = takeIdle();
        if (c != null) {
          c.send(x);
          return;
        }
        if (open < 2 * config.maxConnectionsPerPeer()) {
          connect(x);
          return;
        }
      }
      if (waiting.size() >= config.maxPendingPerPeer()) {
        x.fail(Outcome.BUSY, "no free connection to " + name + ": " + waiting.size() + " requests waiting");
        return;
      }
      x.waitUntil = loop.ticker().nanoTime() + requestTimeoutNanos;
      waiting.addLast(x);
      if (waitTimer == null) {
        waitTimer = loop.schedule(this::expireWaiting, requestTimeoutNanos, TimeUnit.NANOSECONDS);
      }
    }

    /** An idle connection that is still open, most recently used first, or null. */
    private Connection takeIdle() {
      Connection c;
      while ((c = idle.pollLast()) != null) {
        if (c.ctx.channel().isActive()) {
          return c;
        }
      }
      return null;
    }

    private void connect(Exchange x) {
      stats.countConnectionOpened();
      Connection c = new Connection(this);
      open++;
      c.to(State.CONNECTING);
      ChannelFuture f = connector.clone().handler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline()
              .addLast("http", new HttpResponseDecoder(DECODER.clone()))
              .addLast("aggregate", new HttpObjectAggregator(PccrrCodec.MAX_RESPONSE_BODY))
              .addLast("pccrr", c);
        }
      }).connect();
      // Whatever happens to the connection, its place is given back exactly once, when it closes.
      f.channel().closeFuture().addListener(done -> {
        c.to(State.CLOSED);
        dispatch();
      });
      f.addListener(done -> {
        if (!done.isSuccess()) {
          x.fail(Outcome.IO_ERROR, "cannot connect to " + name + ": " + done.cause(), done.cause());
          f.channel().close();
        } else if (c.ctx == null) {
          x.fail(Outcome.IO_ERROR, "connection to " + name + " lost");
          f.channel().close();
        } else {
          c.send(x);
        }
      });
    }

    /** {@code c} is free and clean (nothing in flight, nothing owed): the next waiter's, or idle. */
    void released(Connection c) {
      c.to(State.IDLE);
      if (closed) {
        c.ctx.close();
        return;
      }
      idle.addLast(c);
      dispatch();
    }

    /**
     * Starts waiting exchanges while the limits allow. Each is taken off the queue before it is
     * started: starting one may close a connection, which calls this again.
     */
    void dispatch() {
      while (!closed && !waiting.isEmpty() && busy < config.maxConnectionsPerPeer()) {
        Connection c = takeIdle();
        if (c == null && open >= 2 * config.maxConnectionsPerPeer()) {
          return;
        }
        Exchange next = waiting.pollFirst();
        if (c != null) {
          c.send(next);
        } else {
          connect(next);
        }
      }
    }

    private void expireWaiting() {
      waitTimer = null;
      long now = loop.ticker().nanoTime();
      Exchange x;
      while ((x = waiting.peekFirst()) != null && x.waitUntil - now <= 0) {
        waiting.pollFirst();
        x.fail(Outcome.BUSY, "no free connection to " + name + " within " + config.requestTimeout().toMillis()
            + " ms");
      }
      if (x != null) {
        waitTimer = loop.schedule(this::expireWaiting, x.waitUntil - now, TimeUnit.NANOSECONDS);
      }
    }

    void closeAll() {
      closed = true;
      Exchange x;
      while ((x = waiting.pollFirst()) != null) {
        x.fail(Outcome.IO_ERROR, "client closed");
      }
      Connection c;
      while ((c = idle.pollFirst()) != null) {
        c.ctx.close();
      }
    }
  }

  /**
   * One connection: the exchange in flight, or the answer it still owes after a timeout. Every
   * method runs on the connection's event loop (its peer's).
   */
  private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Peer peer;
    private ChannelHandlerContext ctx;
    private State state;
    /** The exchange whose answer is awaited (BUSY), or null. */
    private Exchange current;
    /**
     * When the state's timer runs out (the loop's ticker): the request timer while BUSY, the
     * late-answer wait while OWING. One scheduled task per connection serves every exchange: it
     * is re-armed only when it fires early (a later exchange moved the deadline), so a busy
     * connection schedules a task about once per request timeout, not once per request.
     */
    private long deadline;
    private ScheduledFuture<?> timer;
    private long timerAt;

    Connection(Peer peer) {
      this.peer = peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    /** Moves to {@code next}, keeping the peer's counts. */
    void to(State next) {
      State prev = state;
      if (prev == next || prev == State.CLOSED) {
        return;
      }
      state = next;
      if (prev == State.CONNECTING || prev == State.BUSY) {
        peer.busy--;
      } else if (prev == State.OWING) {
        peer.owing--;
      } else if (prev == State.IDLE) {
        peer.idle.remove(this);
      }
      if (next == State.CONNECTING || next == State.BUSY) {
        peer.busy++;
      } else if (next == State.OWING) {
        peer.owing++;
      } else if (next == State.CLOSED) {
        peer.open--;
      }
    }

    void send(Exchange x) {
      Channel ch = ctx.channel();
      to(State.BUSY);
      if (!ch.isActive()) {
        x.fail(Outcome.IO_ERROR, "connection to " + peer.name + " lost");
        ch.close();
        return;
      }
      current = x;
      stats.countExchange();
      arm(ctx.executor().ticker().nanoTime() + requestTimeoutNanos);
      // A request has no transport header: its body is MsgSize bytes (PROTOCOL.md §4.3). The
      // head and the message go into one buffer, written once.
      byte[] head = peer.requestHead(PccrrCodec.messageSize(x.request));
      ByteBuf request = PccrrCodec.encode(head, x.request, ctx.alloc());
      // A failed write reaches exceptionCaught (void promise), which fails the exchange.
      ctx.writeAndFlush(request, ch.voidPromise());
    }

    private void arm(long when) {
      deadline = when;
      if (timer != null && timerAt - when <= 0) {
        return; // fires first, then re-arms for the rest
      }
      if (timer != null) {
        timer.cancel(false);
      }
      timerAt = when;
      timer = ctx.executor().schedule(this::onTimer, when - ctx.executor().ticker().nanoTime(),
          TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
      timer = null;
      if (state != State.BUSY && state != State.OWING) {
        return;
      }
      long now = ctx.executor().ticker().nanoTime();
      if (deadline - now > 0) {
        arm(deadline);
      } else if (state == State.BUSY) {
        timedOut();
      } else {
        stats.countLateAnswerMissing();
        ctx.close();
      }
    }

    private void timedOut() {
      Exchange x = current;
      current = null;
      to(State.OWING);
      stats.countTimeout();
      arm(ctx.executor().ticker().nanoTime() + lateAnswerWaitNanos);
      peer.dispatch();
      x.fail(Outcome.TIMEOUT, "no answer from " + peer.name + " within " + config.requestTimeout().toMillis() + " ms");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      if (state == State.OWING) {
        // The answer to the request that timed out, read whole: the connection is clean again.
        stats.countLateAnswerDiscarded();
        if (response.decoderResult().isSuccess() && HttpUtil.isKeepAlive(response)) {
          peer.released(this);
        } else {
          ctx.close();
        }
        return;
      }
      Exchange x = current;
      if (x == null) {
        ctx.close(); // an answer nobody asked for
        return;
      }
      current = null;
      if (!response.decoderResult().isSuccess()) {
        ctx.close();
        x.fail(Outcome.BAD_DATA, "malformed HTTP answer: " + response.decoderResult().cause());
        return;
      }
      if (response.status().code() != 200) {
        ctx.close();
        x.fail(Outcome.IO_ERROR, "HTTP " + response.status());
        return;
      }
      ByteBuf body = response.content();
      PccrrMessage m;
      try {
        m = PccrrCodec.decodeResponse(body);
        if (m == null || body.isReadable()) {
          ctx.close();
          x.fail(Outcome.BAD_DATA, "HTTP body is not exactly one PCCRR response");
          return;
        }
      } catch (PccrrDecodeException e) {
        ctx.close();
        x.fail(Outcome.BAD_DATA, e.getMessage(), e);
        return;
      }
      // Free the connection first: whoever the answer wakes may ask this peer again at once.
      if (HttpUtil.isKeepAlive(response)) {
        peer.released(this);
      } else {
        ctx.close();
      }
      x.result.complete(m);
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

    private void fail(PeerExchangeException e) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      Exchange x = current;
      current = null;
      if (x != null) {
        x.result.completeExceptionally(e);
      }
    }
  }
}
