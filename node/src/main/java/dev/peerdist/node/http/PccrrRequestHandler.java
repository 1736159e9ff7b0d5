package dev.peerdist.node.http;

import dev.peerdist.node.pccrr.MessageType;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrDecodeException;
import dev.peerdist.node.pccrr.PccrrMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers PCCRR requests on one connection (PROTOCOL.md §4.1): {@code POST
 * /116B50EB-ECE2-41ac-8429-9F9E963361B7/}, path compared case-insensitively; 404 for other paths,
 * 405 for other methods on the PCCRR path. A body that is not one valid request is dropped by
 * closing the connection (PROTOCOL.md §4.3: malformed requests are dropped) and counted.
 *
 * <p>Store reads run on the event loop while they have been fast, else on the store executor
 * ({@link StoreReadCost}, {@link PeerServerConfig#inlineReadsBelow()}). While a request is waiting or in progress the
 * connection stops reading (a block list, answered at once from the store's accounts, is written
 * before the next request is read; reading stops only while its answer waits for the socket), so
 * answers leave in request order and one connection holds at most one request. Requests are
 * admitted by the server's {@link UploadScheduler}: started when a slot is free, else queued
 * fairly by client address for at most {@code maxQueueWait}; the spec's empty answer for a busy
 * server (PROTOCOL.md §4.6) goes out only when the queue is full or the wait is over. Block-list
 * requests take no slot: they are answered on the event loop from the store's in-memory
 * accounts (a virtual segment's on the store executor); queued behind block uploads they would
 * hide what a busy holder holds exactly when the swarm needs to learn it.
 */
final class PccrrRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  /** The PCCRR path ([MS-PCCRR] 2.1.1). */
  static final String PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/";

  private static final Logger log = LoggerFactory.getLogger(PccrrRequestHandler.class);

  private final PccrrResponder responder;
  private final Executor storeExecutor;
  private final UploadScheduler uploads;
  private final long maxWaitNanos;
  private final PeerServerStats stats;
  private final RequestDeadlines deadlines;
  private final StoreReadCost readCost;
  /** The request of this connection waiting in the upload queue, if any (event loop only). */
  private UploadScheduler.Ticket waiting;
  /** Where answers are written: the HTTP encoder's context, so that they pass the handlers before it. */
  private ChannelHandlerContext encoded;
  /** {@link #answerHead}'s bytes for {@link #headLength} and {@link #headKeepAlive} (null: none yet; event loop only). */
  private byte[] head;
  private int headLength;
  private boolean headKeepAlive;

  PccrrRequestHandler(PccrrResponder responder, Executor storeExecutor, UploadScheduler uploads,
      java.time.Duration maxWait, PeerServerStats stats, RequestDeadlines deadlines, StoreReadCost readCost) {
    this.responder = responder;
    this.storeExecutor = storeExecutor;
    this.uploads = uploads;
    this.maxWaitNanos = maxWait.toNanos();
    this.stats = stats;
    this.deadlines = deadlines;
    this.readCost = readCost;
  }

  /**
   * The status line and headers of a PCCRR answer whose body is {@code contentLength} bytes, ending
   * with the empty line: the bytes Netty's HTTP encoder wrote for the same response (status 200,
   * Content-Type, Content-Length, and Connection: close when the connection closes after it, in
   * that order, lower-case names; {@code PccrrAnswerHeadTest} compares them).
   */
  static byte[] answerHead(int contentLength, boolean keepAlive) {
    String h = HttpVersion.HTTP_1_1 + " " + HttpResponseStatus.OK + "\r\n"
        + HttpHeaderNames.CONTENT_TYPE + ": " + HttpHeaderValues.APPLICATION_OCTET_STREAM + "\r\n"
        + HttpHeaderNames.CONTENT_LENGTH + ": " + contentLength + "\r\n"
        + (keepAlive ? "" : HttpHeaderNames.CONNECTION + ": " + HttpHeaderValues.CLOSE + "\r\n")
        + "\r\n";
    return h.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    encoded = ctx.pipeline().context(PeerChannelInitializer.RESPONSE_ENCODER);
    if (encoded == null) {
      throw new IllegalStateException("PCCRR answers need the pipeline's \"" + PeerChannelInitializer.RESPONSE_ENCODER
          + "\" handler before this one");
    }
  }

  /** The PCCRR path, compared case-insensitively, with or without a query (no allocation). */
  static boolean isPccrrPath(String uri) {
    int end = uri.indexOf('?');
    return (end < 0 ? uri.length() : end) == PATH.length() && uri.regionMatches(true, 0, PATH, 0, PATH.length());
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    deadlines.requestReceived();
    if (!request.decoderResult().isSuccess()) {
      stats.countMalformed();
      log.debug("{}: bad HTTP request: {}", ctx.channel().remoteAddress(), request.decoderResult().cause());
      sendStatus(ctx, HttpResponseStatus.BAD_REQUEST, false);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (!isPccrrPath(request.uri())) {
      stats.countHttpRejected();
      sendStatus(ctx, HttpResponseStatus.NOT_FOUND, keepAlive);
      return;
    }
    if (!HttpMethod.POST.equals(request.method())) {
      stats.countHttpRejected();
      sendStatus(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, keepAlive);
      return;
    }
    ByteBuf body = request.content();
    PccrrMessage message;
    try {
      message = PccrrCodec.decodeRequest(body);
      if (message == null || body.isReadable()) {
        throw new PccrrDecodeException("body", body.readerIndex(), message == null
            ? "HTTP body of " + body.readableBytes() + " bytes ends inside the message"
            : body.readableBytes() + " bytes follow the message");
      }
    } catch (PccrrDecodeException.UnsupportedVersionException e) {
      // Unsupported major version: say which versions we speak ([MS-PCCRR] 3.2.5.1).
      stats.countRequest(MessageType.NEGO_REQ);
      send(ctx, PccrrResponder.negotiation(0), keepAlive, false);
      return;
    } catch (PccrrDecodeException e) {
      stats.countMalformed();
      log.debug("{}: dropped malformed PCCRR request: {}", ctx.channel().remoteAddress(), e.getMessage());
      ctx.close();
      return;
    }
    stats.countRequest(message.type());
    if (message.type() == MessageType.NEGO_REQ) {
      send(ctx, responder.answer(message), keepAlive, false);
      return;
    }
    PccrrMessage req = message;
    if (req instanceof PccrrMessage.GetBlockList list) {
      // A block list is a few bytes, read from the store's accounts: it takes no upload slot and
      // does not queue behind block uploads, or a busy holder would hide what it holds exactly
      // when the swarm needs to learn it (PROTOCOL.md §4.4). Those accounts are in memory, so
      // it is answered here, without the two thread hops to the store executor and back (most
      // requests on a live site are block lists); a virtual segment still goes there.
      PccrrMessage answer = answerOrEmpty(req, () -> responder.blockListFromAccounts(list));
      if (answer != null) {
        send(ctx, answer, keepAlive, false); // answered before the next request is read
        return;
      }
    }
    ctx.channel().config().setAutoRead(false);
    if (req instanceof PccrrMessage.GetBlockList) {
      serve(ctx, req, keepAlive, false);
      return;
    }
    Object client = ConnectionLimiter.clientOf(ctx.channel().remoteAddress());
    UploadScheduler.Ticket t = uploads.submit(client, new UploadScheduler.Job() {
      @Override
      public void start() {
        serve(ctx, req, keepAlive, true);
      }

      @Override
      public void busy() {
        stats.countBusy();
        ctx.executor().execute(() -> {
          waiting = null;
          send(ctx, PccrrResponder.emptyAnswer(req), keepAlive, false);
        });
      }
    });
    if (t != null) {
      waiting = t;
      stats.countQueued();
      ctx.executor().schedule(() -> uploads.expire(t), maxWaitNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  /**
   * What {@code answer} gives for {@code req}, or the spec's empty answer when the store fails
   * (closed, I/O): that is our problem, not the peer's.
   */
  private PccrrMessage answerOrEmpty(PccrrMessage req, java.util.function.Supplier<PccrrMessage> answer) {
    try {
      return answer.get();
    } catch (RuntimeException e) {
      log.debug("store failed answering {}: {}", req.type(), e.toString());
      return PccrrResponder.emptyAnswer(req);
    }
  }

  /** {@link PccrrResponder#answer} (or the empty answer), its time counted in {@link #readCost}. */
  private PccrrMessage timedAnswer(PccrrMessage req) {
    long start = System.nanoTime();
    PccrrMessage a = answerOrEmpty(req, () -> responder.answer(req));
    readCost.took(System.nanoTime() - start);
    return a;
  }

  /**
   * Answers a request: on the event loop while store reads are fast ({@link StoreReadCost}), else
   * on the store executor; {@code slot}: it holds an upload slot, released once the
   * answer is written.
   */
  private void serve(ChannelHandlerContext ctx, PccrrMessage req, boolean keepAlive, boolean slot) {
    if (ctx.executor().inEventLoop()) {
      waiting = null;
      if (readCost.inline()) {
        // Reads have been fast: answered here, without the hand-offs to a store thread and back.
        send(ctx, timedAnswer(req), keepAlive, slot);
        return;
      }
    } else {
      ctx.executor().execute(() -> waiting = null);
    }
    try {
      storeExecutor.execute(() -> {
        PccrrMessage a = timedAnswer(req);
        try {
          ctx.executor().execute(() -> send(ctx, a, keepAlive, slot));
        } catch (RejectedExecutionException e) {
          // The server is closing: the connection goes with its event loop.
          if (slot) {
            uploads.finished();
          }
        }
      });
    } catch (RejectedExecutionException e) {
      stats.countBusy();
      ctx.executor().execute(() -> send(ctx, PccrrResponder.emptyAnswer(req), keepAlive, slot));
    }
  }

  /**
   * Writes {@code answer} as a 200 response (PROTOCOL.md §4.1): the status line and headers from
   * {@link #answerHead}'s bytes and the message after them in the same buffer, written past the
   * HTTP encoder ({@link PeerChannelInitializer#RESPONSE_ENCODER}). Netty's encoder built a
   * header map and wrote the same bytes for every block (DefaultFullHttpResponse, two writes).
   */
  private void send(ChannelHandlerContext ctx, PccrrMessage answer, boolean keepAlive, boolean releasePermit) {
    int length = PccrrCodec.TRANSPORT_HEADER_LENGTH + PccrrCodec.messageSize(answer);
    if (head == null || headLength != length || headKeepAlive != keepAlive) {
      head = answerHead(length, keepAlive);
      headLength = length;
      headKeepAlive = keepAlive;
    }
    ByteBuf response = PccrrCodec.encode(head, answer, ctx.alloc());
    ChannelFuture written = encoded.writeAndFlush(response);
    written.addListener((ChannelFutureListener) f -> {
      if (releasePermit) {
        uploads.finished();
      }
      deadlines.answered();
      f.channel().config().setAutoRead(true);
      if (!keepAlive || !f.isSuccess()) {
        f.channel().close();
      }
    });
    if (!written.isDone()) {
      // The answer waits for the socket (an answer from the event loop itself usually leaves at
      // once, and then reading never stopped): read no further request until it is out.
      ctx.channel().config().setAutoRead(false);
    }
  }

  private void sendStatus(ChannelHandlerContext ctx, HttpResponseStatus status, boolean keepAlive) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    HttpUtil.setContentLength(response, 0);
    HttpUtil.setKeepAlive(response, keepAlive);
    if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
      response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.POST.name());
    }
    ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
      deadlines.answered();
      if (!keepAlive || !f.isSuccess()) {
        f.channel().close();
      }
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (waiting != null) {
      uploads.cancel(waiting); // Nobody is left to answer.
      waiting = null;
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof io.netty.handler.timeout.WriteTimeoutException) {
      stats.countTimeout();
    }
    log.debug("{}: closing after {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
