package dev.peerdist.node.admin;

import dev.peerdist.node.engine.Downloads;
import dev.peerdist.node.metrics.NodeMeters;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin endpoint and the local mirror of a node, with the bounded pool of download streamers
 * they share ({@code maxDownloads} at once; more get 503). {@link #close()} unbinds both and
 * stops the streamers; idempotent.
 */
public final class AdminServer implements AutoCloseable {
  private final ThreadPoolExecutor workers;
  private final HttpServerHandle admin;
  private final HttpServerHandle mirror;
  private volatile boolean closed;

  private AdminServer(ThreadPoolExecutor workers, HttpServerHandle admin, HttpServerHandle mirror) {
    this.workers = workers;
    this.admin = admin;
    this.mirror = mirror;
  }

  /**
   * Starts the admin endpoint on {@code bind:adminPort} and, when {@code mirrorPort >= 0}, the
   * local mirror on {@code bind:mirrorPort}. Both refuse requests with a foreign {@code Host} or a
   * cross-site {@code Origin}; {@code /download} fetches only what {@code scope} permits.
   *
   * @throws IOException naming the server and address that could not bind
   */
  public static AdminServer start(EventLoopGroup group, InetAddress bind, int adminPort, int mirrorPort,
      NodeMeters meters, NodeStatus status, Downloads downloads, MirrorMap map, DownloadScope scope,
      int maxDownloads) throws IOException {
    AdminRequestGuard guard = new AdminRequestGuard(bind);
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor workers = new ThreadPoolExecutor(maxDownloads, maxDownloads, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(maxDownloads), r -> {
          Thread t = new Thread(r, "peerdist-stream-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    workers.allowCoreThreadTimeOut(true);
    DownloadStreamer streamer = new DownloadStreamer(downloads, workers);
    HttpServerHandle a = null;
    try {
      a = HttpServerHandle.bind("admin endpoint", group, bind, adminPort,
          () -> new AdminHandler(meters, status, downloads, streamer, guard, scope));
      HttpServerHandle m = mirrorPort < 0 ? null : HttpServerHandle.bind("local mirror", group, bind, mirrorPort,
          () -> new MirrorHandler(map, meters, streamer, guard));
      return new AdminServer(workers, a, m);
    } catch (IOException | RuntimeException e) {
      if (a != null) {
        a.close();
      }
      workers.shutdownNow();
      throw e;
    }
  }

  /** The admin endpoint's port. */
  public int adminPort() {
    return admin.port();
  }

  /** The local mirror's port, or -1 when it is off. */
  public int mirrorPort() {
    return mirror == null ? -1 : mirror.port();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Stop accepting first, then end the streams in flight.
    if (mirror != null) {
      mirror.close();
    }
    admin.close();
    workers.shutdownNow();
  }
}
