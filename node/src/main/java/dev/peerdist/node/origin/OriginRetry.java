package dev.peerdist.node.origin;

import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the origin again after a failure that may pass: a request for content information that timed
 * out, could not connect, was cut short or got a "later" status (408, 429, 5xx). A congested WAN
 * drops SYN-ACKs and stalls responses; one such request used to fail a whole download (issue 8:
 * "one bad range never fails a download" — content information is asked per segment, lazily, so it
 * needs the same care as the ranges, which the download loop retries itself). Pauses start at
 * {@code firstPause} and double up to 16 s; after {@code giveUpAfter} the last failure is thrown,
 * so a publisher that is really gone still fails the download with its reason. Failures that would
 * come back the same (404, malformed content information, a changed ETag) are thrown at once.
 */
public final class OriginRetry {
  private static final Logger LOG = LoggerFactory.getLogger(OriginRetry.class);
  private static final long MAX_PAUSE_NANOS = Duration.ofSeconds(16).toNanos();

  /** No retry: every failure is thrown at once. */
  public static final OriginRetry NONE = new OriginRetry(Duration.ofMillis(1), Duration.ZERO);

  /** One request to the origin. */
  @FunctionalInterface
  public interface Request<T> {
    T send() throws IOException, InterruptedException;
  }

  private final long firstPauseNanos;
  private final long giveUpAfterNanos;

  /**
   * @param firstPause the pause after the first failure (then doubled, at most 16 s)
   * @param giveUpAfter how long after the first attempt no new attempt starts; zero: none
   */
  public OriginRetry(Duration firstPause, Duration giveUpAfter) {
    if (firstPause.isNegative() || firstPause.isZero()) {
      throw new IllegalArgumentException("firstPause must be positive, got " + firstPause);
    }
    if (giveUpAfter.isNegative()) {
      throw new IllegalArgumentException("giveUpAfter must not be negative, got " + giveUpAfter);
    }
    this.firstPauseNanos = firstPause.toNanos();
    this.giveUpAfterNanos = giveUpAfter.toNanos();
  }

  /** As the download loop retries origin ranges (`originRetry` 1 s, `originGiveUp` 2 min). */
  public static OriginRetry defaults() {
    return new OriginRetry(Duration.ofSeconds(1), Duration.ofMinutes(2));
  }

  /** Whether {@code e} may pass if the same request is sent again later. */
  public static boolean transientFailure(IOException e) {
    if (e instanceof OriginException o) {
      return o.transientFailure();
    }
    // The network, not the answer: refused, reset, timed out, closed mid-way. Any other I/O error
    // (a refused signature, content that changed) would come back the same.
    return e instanceof java.net.SocketException || e instanceof java.net.SocketTimeoutException
        || e instanceof java.net.http.HttpTimeoutException || e instanceof java.io.EOFException
        || e instanceof java.nio.channels.ClosedChannelException || closedBeforeAnswer(e);
  }

  /**
   * The JDK's HTTP client reports a connection closed before the first byte of the answer as a
   * plain {@link IOException} ("HTTP/1.1 header parser received no bytes") caused by the
   * {@link java.io.EOFException} of its reader, after it has tried a second connection itself.
   * Seen on a live site whose publisher side was starved of CPU: three of sixteen nodes lost a
   * download's content information this way.
   */
  private static boolean closedBeforeAnswer(IOException e) {
    return e.getClass() == IOException.class && e.getCause() instanceof IOException cause && transientFailure(cause);
  }

  /**
   * Sends {@code request} until it succeeds, fails for good, or {@link #giveUpAfter} has passed.
   *
   * @param what what is asked, for the log ("content information of URL")
   */
  public <T> T send(String what, Request<T> request) throws IOException, InterruptedException {
    long start = System.nanoTime();
    long pause = firstPauseNanos;
    int attempts = 0;
    while (true) {
      try {
        return request.send();
      } catch (IOException e) {
        attempts++;
        long left = start + giveUpAfterNanos - System.nanoTime();
        if (!transientFailure(e) || left <= 0) {
          if (attempts > 1) {
            e.addSuppressed(new IOException("gave up after " + attempts + " attempts over "
                + (System.nanoTime() - start) / 1_000_000 + " ms"));
          }
          throw e;
        }
        long sleep = Math.min(pause, left);
        LOG.info("{} failed ({}); asking again in {} ms", what, e.getMessage(), sleep / 1_000_000);
        Thread.sleep(Math.max(1, sleep / 1_000_000));
        pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
      }
    }
  }
}
