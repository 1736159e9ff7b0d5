package dev.peerdist.node.admin;

import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.engine.Downloads;
import dev.peerdist.node.metrics.InputSource;
import dev.peerdist.node.metrics.NodeMeters;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
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
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The admin endpoint (local only by default):
 *
 * <ul>
 *   <li>{@code GET /}: the status page ({@link StatusPage}), which polls {@code /status};
 *   <li>{@code GET /metrics}: Prometheus text exposition of {@link NodeMeters};
 *   <li>{@code GET /healthz}: 200 while the process serves requests;
 *   <li>{@code GET /readyz}: 200 once every component listens, else 503;
 *   <li>{@code GET /status}: JSON status; {@code ?format=text} for the readable form;
 *   <li>{@code GET /download?url=URL}: the content of URL through the node, streamed in order
 *       (see {@link DownloadStreamer} for headers);
 *   <li>{@code GET /downloads/ID}: the JSON record of a recent download (sources, reasons, time).
 * </ul>
 *
 * Malformed requests get 400 and count as malformed admin inputs. Requests a web page could
 * have sent (foreign {@code Host}, cross-site {@code Origin}) get 403 ({@link AdminRequestGuard}),
 * and {@code /download} fetches only URLs within the {@link DownloadScope} (403 otherwise).
 */
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private final NodeMeters meters;
  private final NodeStatus status;
  private final Downloads downloads;
  private final DownloadStreamer streamer;
  private final AdminRequestGuard guard;
  private final DownloadScope scope;

  AdminHandler(NodeMeters meters, NodeStatus status, Downloads downloads, DownloadStreamer streamer,
      AdminRequestGuard guard, DownloadScope scope) {
    this.meters = meters;
    this.status = status;
    this.downloads = downloads;
    this.streamer = streamer;
    this.guard = guard;
    this.scope = scope;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!req.decoderResult().isSuccess()) {
      meters.malformed(InputSource.ADMIN);
      sendText(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request\n", false);
      return;
    }
    Optional<String> refused = guard.refusal(req.headers());
    if (refused.isPresent()) {
      meters.malformed(InputSource.ADMIN);
      sendText(ctx, HttpResponseStatus.FORBIDDEN, "refused: " + refused.get() + "\n", false);
      return;
    }
    if (!req.method().equals(HttpMethod.GET)) {
      sendText(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n", keepAlive);
      return;
    }
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    String path = q.path();
    switch (path) {
      case "/" -> {
        FullHttpResponse page = response(HttpResponseStatus.OK, "text/html; charset=utf-8", StatusPage.html(),
            keepAlive);
        page.headers().set("Content-Security-Policy", StatusPage.CONTENT_SECURITY_POLICY);
        page.headers().set("X-Content-Type-Options", "nosniff");
        page.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        write(ctx, page, keepAlive);
      }
      case "/metrics" -> send(ctx, HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
          meters.scrape(), keepAlive);
      case "/healthz" -> {
        // Alive unless the store has failed: a node that can neither store nor serve is not healthy.
        String store = status.storeHealth();
        boolean failed = store.startsWith("failed");
        sendText(ctx, failed ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
            (failed ? "unhealthy" : "ok") + (store.isEmpty() ? "" : "; store " + store) + "\n", keepAlive);
      }
      case "/readyz" -> {
        boolean ready = status.ready();
        String store = status.storeHealth();
        sendText(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            (ready ? "ready" : "not ready") + (store.isEmpty() ? "" : "; store " + store) + "\n", keepAlive);
      }
      case "/status" -> {
        String format = first(q, "format").orElse("json").toLowerCase(Locale.ROOT);
        if (format.equals("text")) {
          sendText(ctx, HttpResponseStatus.OK, StatusText.render(status.status()), keepAlive);
        } else {
          send(ctx, HttpResponseStatus.OK, "application/json", Json.write(status.status()) + "\n", keepAlive);
        }
      }
      case "/download" -> {
        Optional<String> url = first(q, "url");
        URI uri = url.map(AdminHandler::httpUri).orElse(null);
        if (uri == null) {
          meters.malformed(InputSource.ADMIN);
          sendText(ctx, HttpResponseStatus.BAD_REQUEST, "need ?url=http(s)://...\n", keepAlive);
          return;
        }
        if (!scope.permits(uri)) {
          meters.malformed(InputSource.ADMIN);
          sendText(ctx, HttpResponseStatus.FORBIDDEN, "refused: " + scope.explain(uri) + "\n", keepAlive);
          return;
        }
        streamer.stream(ctx, uri, keepAlive);
      }
      default -> {
        if (path.startsWith("/downloads/")) {
          Optional<DownloadRecord> r = downloads.find(path.substring("/downloads/".length()));
          if (r.isPresent()) {
            send(ctx, HttpResponseStatus.OK, "application/json", Json.write(r.get().toMap()) + "\n", keepAlive);
            return;
          }
        }
        sendText(ctx, HttpResponseStatus.NOT_FOUND, "not found\n", keepAlive);
      }
    }
  }

  static URI httpUri(String s) {
    try {
      URI u = new URI(s);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
        return u;
      }
    } catch (URISyntaxException e) {
      // Falls through to null: the caller answers 400.
    }
    return null;
  }

  private static Optional<String> first(QueryStringDecoder q, String name) {
    List<String> v = q.parameters().get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  static void sendText(ChannelHandlerContext ctx, HttpResponseStatus code, String body, boolean keepAlive) {
    send(ctx, code, "text/plain; charset=utf-8", body, keepAlive);
  }

  static void send(ChannelHandlerContext ctx, HttpResponseStatus code, String type, String body, boolean keepAlive) {
    write(ctx, response(code, type, body, keepAlive), keepAlive);
  }

  private static FullHttpResponse response(HttpResponseStatus code, String type, String body, boolean keepAlive) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code,
        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    HttpUtil.setContentLength(r, r.content().readableBytes());
    HttpUtil.setKeepAlive(r, keepAlive);
    return r;
  }

  private static void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
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
