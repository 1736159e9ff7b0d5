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
  /** The longest a timer waits before it looks again: the shortest deadline. */
  private final long stepNanos;
  private final PeerServerStats stats;
  private ChannelHandlerContext ctx;
  private State state = State.WAITING_FIRST;
  /** When the current state's deadline passes (the event loop's ticker); none while SERVING. */
  private long deadline;
  private ScheduledFuture<?> timer;
  private long timerAt;

  RequestDeadlines(Duration firstRequest, Duration requestRead, Duration idle, PeerServerStats stats) {
    this.firstRequestNanos = firstRequest.toNanos();
    this.requestReadNanos = requestRead.toNanos();
    this.idleNanos = idle.toNanos();
    this.stepNanos = Math.min(firstRequestNanos, Math.min(requestReadNanos, idleNanos));
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
  }

  /** Its answer has been written: the connection may idle until the next request. */
  void answered() {
    if (ctx.channel().isActive()) {
      state = State.IDLE;
      arm(idleNanos);
    }
  }

  /**
   * Sets the deadline of the current state. One timer serves every deadline of the connection: it
   * fires at least every {@link #stepNanos} while a deadline runs and looks again, so a request
   * does not schedule and cancel timers of its own (two of each before, per request).
   */
  private void arm(long nanos) {
    long now = ctx.executor().ticker().nanoTime();
    deadline = now + nanos;
    if (timer == null || timerAt - deadline > 0) {
      schedule(now, deadline);
    }
  }

  private void schedule(long now, long until) {
    if (timer != null) {
      timer.cancel(false);
    }
    timerAt = Math.min(until, now + stepNanos);
    timer = ctx.executor().schedule(this::check, timerAt - now, TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    if (state == State.SERVING || !ctx.channel().isActive()) {
      return; // answered() arms again
    }
    long now = ctx.executor().ticker().nanoTime();
    if (deadline - now > 0) {
      schedule(now, deadline);
      return;
    }
    stats.countTimeout();
    ctx.close();
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
