package dev.peerdist.node.admin;

import dev.peerdist.node.metrics.InputSource;
import dev.peerdist.node.metrics.NodeMeters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.URI;
import java.util.Optional;

/**
 * The local mirror: {@code GET /<path on the publisher>} is downloaded through the node (peers
 * first, the publisher for the rest) and streamed back, so a package manager can use
 * {@code http://127.0.0.1:PORT/} as its repository URL. Mapping: {@link MirrorMap}.
 */
final class MirrorHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private final MirrorMap map;
  private final NodeMeters meters;
  private final DownloadStreamer streamer;
  private final AdminRequestGuard guard;

  MirrorHandler(MirrorMap map, NodeMeters meters, DownloadStreamer streamer, AdminRequestGuard guard) {
    this.map = map;
    this.meters = meters;
    this.streamer = streamer;
    this.guard = guard;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    if (!req.decoderResult().isSuccess()) {
      meters.malformed(InputSource.ADMIN);
      AdminHandler.sendText(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request\n", false);
      return;
    }
    Optional<String> refused = guard.refusal(req.headers());
    if (refused.isPresent()) {
      meters.malformed(InputSource.ADMIN);
      AdminHandler.sendText(ctx, HttpResponseStatus.FORBIDDEN, "refused: " + refused.get() + "\n", false);
      return;
    }
    if (!req.method().equals(HttpMethod.GET)) {
      AdminHandler.sendText(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n", keepAlive);
      return;
    }
    Optional<URI> target = map.resolve(req.uri());
    if (target.isEmpty()) {
      AdminHandler.sendText(ctx, HttpResponseStatus.NOT_FOUND, "no publisher serves " + req.uri() + "\n",
          keepAlive);
      return;
    }
    streamer.stream(ctx, target.get(), keepAlive);
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
