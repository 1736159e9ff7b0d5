package dev.peerdist.node.publish;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Frees connection slots fast without cutting off slow clients (issue 11). One per connection,
 * after the aggregator. Checked once a second on the channel's event loop:
 *
 * <ul>
 *   <li><b>Header deadline.</b> A request must arrive complete within {@code headerTimeout} of its
 *       first byte, and a new connection must send its first request within {@code headerTimeout}:
 *       half-open and slowloris connections go in seconds, not after the idle timeout.
 *   <li><b>Keep-alive idle.</b> Between requests, a connection that sends nothing for {@code
 *       idleTimeout} is closed.
 *   <li><b>Slow is not idle.</b> While a response is being written, the connection is idle only
 *       when nothing moved for {@code idleTimeout}: neither write progress of the current message
 *       (a file region's bytes), nor the bytes pending, nor a completed write. A client that
 *       reads a large range slowly keeps its connection. (Netty's IdleStateHandler fires its
 *       first event even when output progressed, which is what closed such clients.)
 * </ul>
 */
final class ConnectionGuard extends ChannelDuplexHandler {
  private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final long headerTimeoutNanos;
  private final long idleTimeoutNanos;
  private final LongSupplier nanoTime;
  private ScheduledFuture<?> check;
  /** When the connection started waiting for a request (connect, or the end of a response). */
  private long waitingSince;
  /** When the first bytes of an incomplete request arrived, or 0. */
  private long requestStarted;
  /** Responses being written (pipelined requests are answered one by one). */
  private int responding;
  private boolean servedOne;
  private long lastActivity;
  private long lastProgress = -1;
  private long lastPending = -1;
  private int lastCurrent;

  ConnectionGuard(long headerTimeoutNanos, long idleTimeoutNanos, LongSupplier nanoTime) {
    this.headerTimeoutNanos = headerTimeoutNanos;
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.nanoTime = nanoTime;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    long now = nanoTime.getAsLong();
    waitingSince = now;
    lastActivity = now;
    check = ctx.executor().scheduleAtFixedRate(() -> check(ctx), CHECK_NANOS, CHECK_NANOS, TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (check != null) {
      check.cancel(false);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Fired after every read of raw bytes, whether or not they completed a request.
    long now = nanoTime.getAsLong();
    lastActivity = now;
    if (requestStarted == 0 && responding == 0) {
      requestStarted = now;
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest) {
      requestStarted = 0;
      responding++;
      servedOne = true;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    // The last message of a response: its end, a full response, or a chunked body (TLS) whose
    // chunks the ChunkedWriteHandler before us writes.
    if (msg instanceof LastHttpContent || msg instanceof FullHttpResponse
        || msg instanceof io.netty.handler.stream.ChunkedInput) {
      promise = promise.unvoid();
      promise.addListener(f -> {
        long now = nanoTime.getAsLong();
        lastActivity = now;
        if (responding > 0) {
          responding--;
        }
        if (responding == 0) {
          waitingSince = now;
        }
      });
    } else {
      promise = promise.unvoid();
      promise.addListener(f -> lastActivity = nanoTime.getAsLong());
    }
    ctx.write(msg, promise);
  }

  private void check(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive()) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (responding > 0) {
      ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
      if (out != null) {
        long progress = out.currentProgress();
        long pending = out.totalPendingWriteBytes();
        int current = System.identityHashCode(out.current());
        if (progress != lastProgress || pending != lastPending || current != lastCurrent) {
          lastProgress = progress;
          lastPending = pending;
          lastCurrent = current;
          lastActivity = now;
        }
      }
      if (now - lastActivity > idleTimeoutNanos) {
        ctx.close(); // Nothing moved for the idle timeout: a client that stopped reading.
      }
      return;
    }
    if (requestStarted != 0) {
      if (now - requestStarted > headerTimeoutNanos) {
        ctx.close(); // An incomplete request head for too long: slowloris.
      }
      return;
    }
    long limit = servedOne ? idleTimeoutNanos : headerTimeoutNanos;
    if (now - waitingSince > limit) {
      ctx.close(); // A new connection that never asked, or a keep-alive connection left idle.
    }
  }
}
