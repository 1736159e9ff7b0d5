package dev.peerdist.node.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The header-read deadlines of a PCCRR connection (issue 11): a new connection must deliver a
 * whole request within {@code firstRequest}; a request whose first byte arrived must be complete
 * within {@code requestRead}; between requests a keep-alive connection may stay silent for
 * {@code idle}. While a request is being answered no deadline runs (the upload timer and the
 * upload queue bound that part). A connection past its deadline is closed and counted as a
 * timeout.
 *
 * <p>Sits first in the pipeline, so it sees raw bytes arrive; {@link PccrrRequestHandler} tells it
 * when a request is complete ({@link #requestReceived}) and when its answer has been written
 * ({@link #answered}). All calls happen on the connection's event loop.
 */
final class RequestDeadlines extends ChannelDuplexHandler {
  private enum State { WAITING_FIRST, READING, SERVING, IDLE }

  private final long firstRequestNanos;
  private final long requestReadNanos;
  private final long idleNanos;
  private final PeerServerStats stats;
  private ChannelHandlerContext ctx;
  private State state = State.WAITING_FIRST;
  private ScheduledFuture<?> timer;

  RequestDeadlines(Duration firstRequest, Duration requestRead, Duration idle, PeerServerStats stats) {
    this.firstRequestNanos = firstRequest.toNanos();
    this.requestReadNanos = requestRead.toNanos();
    this.idleNanos = idle.toNanos();
    this.stats = stats;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      arm(firstRequestNanos);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (timer == null && state == State.WAITING_FIRST) {
      arm(firstRequestNanos);
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (state == State.IDLE && msg instanceof ByteBuf b && b.isReadable()) {
      state = State.READING;
      arm(requestReadNanos);
    }
    super.channelRead(ctx, msg);
  }

  /** A complete request arrived: no deadline while it is answered. */
  void requestReceived() {
    state = State.SERVING;
    cancel();
  }

  /** Its answer has been written: the connection may idle until the next request. */
  void answered() {
    if (ctx.channel().isActive()) {
      state = State.IDLE;
      arm(idleNanos);
    }
  }

  private void arm(long nanos) {
    cancel();
    State armedFor = state;
    timer = ctx.executor().schedule(() -> {
      if (state == armedFor && ctx.channel().isActive()) {
        stats.countTimeout();
        ctx.close();
      }
    }, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.channelInactive(ctx);
  }
}
