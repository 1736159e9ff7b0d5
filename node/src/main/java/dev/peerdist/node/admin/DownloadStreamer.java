package dev.peerdist.node.admin;

import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.Downloads;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a download to an HTTP client, in order, as the engine verifies the bytes. Runs each
 * download on a worker of a bounded executor (one blocking reader per download) and waits for
 * the socket when it is not writable, so a slow client holds back the read-ahead instead of
 * filling memory. Headers: {@code Content-Length} when known, {@code X-Peerdist-Download} (the id
 * for {@code GET /downloads/<id>}) and {@code X-Peerdist-Mode: peerdist|plain}. A download that
 * fails after the headers went out is ended by closing the connection, so the client sees a
 * short body and never mistakes it for complete content.
 */
final class DownloadStreamer {
  private static final Logger LOG = LoggerFactory.getLogger(DownloadStreamer.class);
  static final String HEADER_ID = "X-Peerdist-Download";
  static final String HEADER_MODE = "X-Peerdist-Mode";

  private final Downloads downloads;
  private final ExecutorService workers;

  DownloadStreamer(Downloads downloads, ExecutorService workers) {
    this.downloads = downloads;
    this.workers = workers;
  }

  void stream(ChannelHandlerContext ctx, URI url, boolean keepAlive) {
    try {
      workers.execute(() -> run(ctx, url, keepAlive));
    } catch (RejectedExecutionException e) {
      AdminHandler.sendText(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "too many downloads in progress; try again\n", false);
    }
  }

  private void run(ChannelHandlerContext ctx, URI url, boolean keepAlive) {
    Download d;
    try {
      d = downloads.open(url);
    } catch (IOException | RuntimeException e) {
      LOG.info("download of {} failed to start: {}", url, e.getMessage());
      AdminHandler.sendText(ctx, HttpResponseStatus.BAD_GATEWAY, e.getMessage() + "\n", false);
      return;
    }
    boolean ok = false;
    try (d) {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
      head.headers().set(HEADER_ID, d.record().id());
      head.headers().set(HEADER_MODE, d.record().peerdist() ? "peerdist" : "plain");
      if (d.contentLength() >= 0) {
        HttpUtil.setContentLength(head, d.contentLength());
      } else {
        HttpUtil.setTransferEncodingChunked(head, true);
      }
      HttpUtil.setKeepAlive(head, keepAlive);
      ChannelFuture last = ctx.writeAndFlush(head);
      // The last bytes travel in the LastHttpContent itself: a keep-alive client may send its next
      // request the moment it has Content-Length bytes, and the encoder must have finished this
      // response by then, or it would reject the next one.
      byte[] pending = d.next();
      if (pending == null) {
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      }
      while (pending != null) {
        byte[] following = d.next();
        if (!ctx.channel().isActive()) {
          throw new IOException("client went away");
        }
        last = ctx.writeAndFlush(following == null
            ? new DefaultLastHttpContent(Unpooled.wrappedBuffer(pending))
            : new DefaultHttpContent(Unpooled.wrappedBuffer(pending)));
        if (!ctx.channel().isWritable()) {
          // Back-pressure: let the socket drain before pulling more verified bytes.
          last.await(60, TimeUnit.SECONDS);
          if (!last.isSuccess()) {
            throw new IOException("client went away");
          }
        }
        pending = following;
      }
      if (!keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
      ok = true;
    } catch (IOException e) {
      LOG.info("download {} of {} ended early: {}", d.record().id(), url, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!ok) {
        ctx.channel().close();
      }
    }
  }
}
