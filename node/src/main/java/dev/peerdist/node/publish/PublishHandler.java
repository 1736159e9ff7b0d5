package dev.peerdist.node.publish;

import dev.peerdist.node.pccrtp.PeerDistHeaderCodec;
import dev.peerdist.node.pccrtp.PeerDistVersion;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedFile;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one connection's requests, one at a time in arrival order (pipelined requests wait in
 * a bounded queue). Runs on an executor of the publisher's I/O group, never on the event loop,
 * because it touches the file system.
 *
 * <p>Per request: {@link PublishResponder} routes it and decides the answer (conditional
 * headers, 412/304, authorization, PeerDist negotiation per PROTOCOL.md §5.3, ranges); this
 * handler resolves the path, waits for hashing within {@code hashWait}, and moves the bytes:
 * content information, or the file (whole, or one range: 206/416).
 */
final class PublishHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(PublishHandler.class);
  /** Requests pipelined on one connection beyond this close it. */
  static final int MAX_PIPELINED = 16;
  private static final int CHUNK = 64 * 1024;
  /** Pipeline name of the upload cap; with it, files go out in chunks it can pace (not one file region). */
  static final String SHAPER = "upload-cap";
  /** Bodies up to this size are read into memory and written at once. */
  static final int SMALL_BODY = 16 * 1024;

  private final PublisherConfig config;
  private final ResourceResolver resolver;
  private final ContentInformationCache cache;
  private final PublisherMeters meters;
  private final PublishResponder responder;
  private final ArrayDeque<FullHttpRequest> pending = new ArrayDeque<>();
  private boolean busy;
  private boolean closed;

  PublishHandler(PublisherConfig config, ResourceResolver resolver, ContentInformationCache cache,
      PublisherMeters meters) {
    super(false);
    this.config = config;
    this.resolver = resolver;
    this.cache = cache;
    this.meters = meters;
    this.responder = new PublishResponder(config);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (closed || pending.size() >= MAX_PIPELINED) {
      req.release();
      ctx.close();
      return;
    }
    pending.add(req);
    drain(ctx);
  }

  private void drain(ChannelHandlerContext ctx) {
    while (!busy && !closed) {
      FullHttpRequest req = pending.poll();
      if (req == null) {
        return;
      }
      busy = true;
      try {
        handle(ctx, new Exchange(req, System.nanoTime()));
      } catch (RuntimeException e) {
        LOG.debug("request failed: {}", e.toString());
        ctx.close();
      } finally {
        req.release();
      }
    }
  }

  /** What the handler remembers of a request after its buffer is released. */
  private record Exchange(
      HttpMethod method, String uri, HttpHeaders headers, boolean keepAlive, boolean decodedOk, Throwable cause, long t0) {
    Exchange(FullHttpRequest r, long t0) {
      this(
          r.method(),
          r.uri(),
          r.headers().copy(),
          HttpUtil.isKeepAlive(r),
          r.decoderResult().isSuccess(),
          r.decoderResult().cause(),
          t0);
    }

    boolean head() {
      return method.equals(HttpMethod.HEAD);
    }
  }

  private void handle(ChannelHandlerContext ctx, Exchange ex) {
    PublishResponder.Route route = responder.route(ex.method().name(), ex.uri(), ex.decodedOk(),
        ex.cause() instanceof TooLongFrameException);
    if (route instanceof PublishResponder.Reject reject) {
      HttpResponseStatus status = HttpResponseStatus.valueOf(reject.status());
      if (reject.allow() == null) {
        sendError(ctx, ex, status, ex.decodedOk() && ex.keepAlive());
      } else {
        FullHttpResponse r = error(status, ex.head());
        r.headers().set("Allow", reject.allow());
        finish(ctx, ex, r, ex.keepAlive(), "method");
      }
      return;
    }
    String path = ((PublishResponder.Resolve) route).path();
    CompletableFuture<Optional<ServedFile>> f;
    try {
      f = resolver.resolve(path);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (file, err) ->
            ctx.executor()
                .execute(
                    () -> {
                      try {
                        if (err != null) {
                          LOG.debug("upstream failure for {}: {}", path, err.toString());
                          sendError(ctx, ex, HttpResponseStatus.BAD_GATEWAY, ex.keepAlive());
                        } else if (file.isEmpty()) {
                          sendError(ctx, ex, HttpResponseStatus.NOT_FOUND, ex.keepAlive());
                        } else {
                          serve(ctx, ex, file.get());
                        }
                      } catch (RuntimeException e) {
                        LOG.debug("request failed: {}", e.toString());
                        ctx.close();
                      }
                    }));
  }

  private void serve(ChannelHandlerContext ctx, Exchange ex, ServedFile file) {
    PublishResponder.Plan plan = responder.decide(ex.head(), ex.headers()::getAll, file);
    plan.startHashing().ifPresent(v -> cache.request(file, v));
    PublishResponder.Decision d = plan.decision();
    if (d instanceof PublishResponder.PreconditionFailed) {
      FullHttpResponse r = error(HttpResponseStatus.PRECONDITION_FAILED, ex.head());
      r.headers().set("ETag", file.etag());
      finish(ctx, ex, r, ex.keepAlive(), "If-Match failed");
    } else if (d instanceof PublishResponder.NotModified) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED);
      entityHeaders(r, file);
      finish(ctx, ex, r, ex.keepAlive(), "not modified");
    } else if (d instanceof PublishResponder.SendFile f) {
      sendFile(ctx, ex, file, f.range(), f.makeHashRequest(), f.why());
    } else {
      PublishResponder.SendContentInformation ci = (PublishResponder.SendContentInformation) d;
      serveContentInformation(ctx, ex, file, ci.range(), ci.negotiation());
    }
  }

  /** Content information once the cache has it, or the file with MakeHashRequest after the hash wait. */
  private void serveContentInformation(ChannelHandlerContext ctx, Exchange ex, ServedFile file, RangeRequest range,
      PeerDistNegotiation.Result n) {
    Optional<byte[]> ready = cache.ready(file, n.contentVersion());
    meters.contentInformation(ready.isPresent());
    if (ready.isPresent()) {
      sendContentInformation(ctx, ex, file, range, n, ready.get());
      return;
    }
    CompletableFuture<byte[]> job = cache.request(file, n.contentVersion());
    CompletableFuture<byte[]> waited = new CompletableFuture<>();
    if (config.hashWait().isZero()) {
      // No wait at all: decided before the job can finish on another thread and win the race.
      waited.complete(null);
    } else {
      ctx.executor().schedule(() -> waited.complete(null), config.hashWait().toNanos(), TimeUnit.NANOSECONDS);
    }
    job.whenComplete((ci, err) -> waited.complete(err == null ? ci : null));
    waited.thenAccept(
        ci ->
            ctx.executor()
                .execute(
                    () -> {
                      if (ci != null) {
                        sendContentInformation(ctx, ex, file, range, n, ci);
                      } else {
                        // PROTOCOL.md §5.1/§5.3: hashes not ready, here is the content.
                        sendFile(ctx, ex, file, range, true, "hashing: MakeHashRequest");
                      }
                    }));
  }

  private void sendContentInformation(
      ChannelHandlerContext ctx,
      Exchange ex,
      ServedFile file,
      RangeRequest range,
      PeerDistNegotiation.Result n,
      byte[] full) {
    byte[] body = full;
    HttpResponseStatus status = HttpResponseStatus.OK;
    String contentRange = null;
    if (range instanceof RangeRequest.Partial p) {
      // PROTOCOL.md §5.3: a range request gets the segments that intersect the range. The status
      // used by Windows is unconfirmed (§8 item 4): we answer 206 with Content-Range in identity
      // coordinates, so the client can tell which bytes the structure describes.
      body = cache.source().restrict(full, p.start(), p.endExclusive());
      status = HttpResponseStatus.PARTIAL_CONTENT;
      contentRange = p.contentRange(file.size());
    }
    FullHttpResponse r =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    entityHeaders(r, file);
    r.headers().set("Content-Encoding", PeerDistHeaders.PEERDIST_CODING);
    r.headers()
        .set(PeerDistHeaders.X_P2P_PEERDIST, PeerDistHeaderCodec.responsePeerDist(n.replyVersion(), file.size()));
    r.headers().set("Content-Length", body.length);
    if (contentRange != null) {
      r.headers().set("Content-Range", contentRange);
    }
    if (config.signer() != null) {
      // Signed content information (docs/SITES.md): the exact bytes of this answer, bound to the path.
      r.headers().set(dev.peerdist.node.signing.ContentSignature.HEADER,
          config.signer().sign(new io.netty.handler.codec.http.QueryStringDecoder(ex.uri()).path(), body));
    }
    finish(ctx, ex, r, ex.keepAlive(), "content information " + n.contentVersion());
  }

  private void sendFile(
      ChannelHandlerContext ctx, Exchange ex, ServedFile file, RangeRequest range, boolean makeHash, String why) {
    if (range instanceof RangeRequest.Unsatisfiable) {
      FullHttpResponse r = error(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, ex.head());
      r.headers().set("Content-Range", "bytes */" + file.size());
      finish(ctx, ex, r, ex.keepAlive(), why);
      return;
    }
    long start = 0;
    long length = file.size();
    HttpResponse r;
    if (range instanceof RangeRequest.Partial p) {
      start = p.start();
      length = p.length();
      r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
      r.headers().set("Content-Range", p.contentRange(file.size()));
    } else {
      r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    }
    entityHeaders(r, file);
    r.headers().set("Content-Length", length);
    if (makeHash) {
      r.headers().set(PeerDistHeaders.X_P2P_PEERDIST, PeerDistHeaderCodec.requestPeerDist(PeerDistVersion.V1_1));
      r.headers().set(PeerDistHeaders.X_P2P_PEERDIST_EX, PeerDistHeaderCodec.MAKE_HASH_REQUEST);
    }
    HttpUtil.setKeepAlive(r, ex.keepAlive());
    String label = why + " " + r.status().code();
    if (ex.head()) {
      ctx.write(r);
      complete(ctx, ex, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), ex.keepAlive(), r.status(), 0, label);
      return;
    }
    RandomAccessFile raf;
    try {
      raf = new RandomAccessFile(file.file().toFile(), "r");
    } catch (IOException e) {
      sendError(ctx, ex, HttpResponseStatus.NOT_FOUND, ex.keepAlive());
      return;
    }
    ChannelFuture last;
    try {
      if (length <= SMALL_BODY) {
        // Small bodies (metadata, indexes) go out in one write: cheaper than a file region.
        byte[] body = new byte[(int) length];
        try (raf) {
          raf.seek(start);
          raf.readFully(body);
        }
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.wrappedBuffer(body));
        full.headers().set(r.headers());
        last = ctx.writeAndFlush(full);
      } else if (ctx.pipeline().get(SslHandler.class) == null && ctx.pipeline().get(SHAPER) == null) {
        ctx.write(r);
        // Zero copy on plain HTTP (HOUSE-STYLE 10).
        ctx.write(new DefaultFileRegion(raf.getChannel(), start, length));
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      } else {
        ctx.write(r);
        last = ctx.writeAndFlush(new HttpChunkedInput(new ChunkedFile(raf, start, length, CHUNK)));
      }
    } catch (IOException e) {
      closeQuietly(raf);
      ctx.close();
      return;
    }
    complete(ctx, ex, last, ex.keepAlive(), r.status(), length, label);
  }

  private static void closeQuietly(RandomAccessFile raf) {
    try {
      raf.close();
    } catch (IOException e) {
      // Nothing to do.
    }
  }

  // Header names are written in their canonical case (not Netty's lower-case constants): HTTP
  // says case does not matter, but old PeerDist clients are not all known to agree.
  private static void entityHeaders(HttpResponse r, ServedFile file) {
    HttpHeaders h = r.headers();
    h.set("Date", DateFormatter.format(new Date()));
    h.set("Server", "peerdist-publisher");
    h.set("ETag", file.etag());
    h.set("Last-Modified", DateFormatter.format(Date.from(file.lastModified())));
    h.set("Accept-Ranges", "bytes");
    h.set("Content-Type", file.contentType());
    // The body depends on the PeerDist negotiation headers, so shared caches must key on them.
    h.set("Vary", "Accept-Encoding, X-P2P-PeerDist, X-P2P-PeerDistEx, Authorization");
  }

  private static FullHttpResponse error(HttpResponseStatus status, boolean head) {
    byte[] text = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII);
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(text));
    r.headers().set("Content-Type", "text/plain; charset=us-ascii");
    r.headers().set("Content-Length", text.length);
    r.headers().set("Date", DateFormatter.format(new Date()));
    return r;
  }

  private void sendError(ChannelHandlerContext ctx, Exchange ex, HttpResponseStatus status, boolean keepAlive) {
    finish(ctx, ex, error(status, ex.head()), keepAlive, "error");
  }

  private void finish(ChannelHandlerContext ctx, Exchange ex, FullHttpResponse r, boolean keepAlive, String why) {
    HttpUtil.setKeepAlive(r, keepAlive);
    int bytes = r.content().readableBytes();
    complete(ctx, ex, ctx.writeAndFlush(r), keepAlive, r.status(), bytes, why + " " + r.status().code());
  }

  private void complete(
      ChannelHandlerContext ctx,
      Exchange ex,
      ChannelFuture last,
      boolean keepAlive,
      HttpResponseStatus status,
      long bytes,
      String why) {
    last.addListener(
        f -> {
          meters.request(status.code(), why, f.isSuccess() ? bytes : 0);
          if (LOG.isDebugEnabled()) {
            LOG.debug(
                "{} {} {} {} -> {} {} bytes in {} ms ({})",
                ctx.channel().remoteAddress(),
                ex.method(),
                ex.uri(),
                ex.headers().get(HttpHeaderNames.RANGE, "-"),
                status.code(),
                bytes,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ex.t0()),
                f.isSuccess() ? why : "write failed: " + f.cause());
          }
          if (!f.isSuccess() || !keepAlive) {
            ctx.close();
            return;
          }
          try {
            ctx.executor()
                .execute(
                    () -> {
                      busy = false;
                      drain(ctx);
                    });
          } catch (RejectedExecutionException e) {
            ctx.close(); // the server is shutting down
          }
        });
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
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closed = true;
    FullHttpRequest r;
    while ((r = pending.poll()) != null) {
      r.release();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
