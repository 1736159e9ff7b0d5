package dev.peerdist.node.http;

import dev.peerdist.chunkstore.ChunkStore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PCCRR server: Netty HTTP/1.1 with keep-alive serving blocks from a {@link ChunkStore}
 * (PROTOCOL.md §4). Owns its event loops and its store-read executor; {@link #close()} stops
 * both and is idempotent. The store is not owned.
 *
 * <pre>{@code
 * try (PeerHttpServer server = PeerHttpServer.start(store, PeerServerConfig.defaults())) {
 *   int port = server.port(); // advertise in PCCRD XAddrs
 * }
 * }</pre>
 */
public final class PeerHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerHttpServer.class);

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ThreadPoolExecutor storeExecutor;
  private final Channel serverChannel;
  private final PeerServerStats stats;
  private final AtomicBoolean closed = new AtomicBoolean();

  private PeerHttpServer(EventLoopGroup boss, EventLoopGroup workers, ThreadPoolExecutor storeExecutor,
      Channel serverChannel, PeerServerStats stats) {
    this.boss = boss;
    this.workers = workers;
    this.storeExecutor = storeExecutor;
    this.serverChannel = serverChannel;
    this.stats = stats;
  }

  /**
   * Binds and starts serving.
   *
   * @throws IllegalStateException naming the address when the bind fails
   */
  public static PeerHttpServer start(ChunkStore store, PeerServerConfig config) {
    return start(store, config, new PeerServerStats());
  }

  /** As {@link #start(ChunkStore, PeerServerConfig)}, counting into {@code stats}. */
  public static PeerHttpServer start(ChunkStore store, PeerServerConfig config, PeerServerStats stats) {
    return start(store, VirtualSegments.NONE, config, stats);
  }

  /**
   * As {@link #start(ChunkStore, PeerServerConfig, PeerServerStats)}, also serving {@code
   * virtual} segments (the V1/V2 content bridge) for ids the store does not know.
   */
  public static PeerHttpServer start(ChunkStore store, VirtualSegments virtual, PeerServerConfig config,
      PeerServerStats stats) {
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pccrr-accept"),
        NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(config.ioThreads(),
        new DefaultThreadFactory("pccrr-io"), NioIoHandler.newFactory());
    // Bounded: at most maxActiveClients requests are started (the upload scheduler queues the
    // rest), so this queue never overflows; if it does anyway the request gets the busy answer.
    ThreadPoolExecutor storeExecutor = new ThreadPoolExecutor(config.storeThreads(), config.storeThreads(),
        30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.maxActiveClients()),
        new DefaultThreadFactory("pccrr-store", true));
    boolean ok = false;
    try {
      PccrrResponder responder = new PccrrResponder(store, virtual, stats);
      UploadScheduler uploads = new UploadScheduler(config.maxActiveClients(), config.maxQueuedPerClient(),
          config.maxQueued());
      ServerBootstrap b = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 256)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new PeerChannelInitializer(config, responder, storeExecutor, uploads, stats, store));
      InetSocketAddress bind = new InetSocketAddress(config.bindAddress(), config.port());
      Channel ch;
      try {
        ch = b.bind(bind).sync().channel();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted binding the PCCRR server to " + bind, e);
      } catch (Exception e) {
        throw new IllegalStateException("cannot bind the PCCRR server to " + bind + ": " + e.getMessage(), e);
      }
      PeerHttpServer server = new PeerHttpServer(boss, workers, storeExecutor, ch, stats);
      log.info("PCCRR server listening on {}", ch.localAddress());
      ok = true;
      return server;
    } finally {
      if (!ok) {
        boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        storeExecutor.shutdownNow();
      }
    }
  }

  /** The bound address (the real port when the config asked for 0). */
  public InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  /** The bound port. */
  public int port() {
    return address().getPort();
  }

  /** Live counters. */
  public PeerServerStats stats() {
    return stats;
  }

  /** Stops accepting, closes connections, stops the store executor. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Reverse order of start: stop accepting, then the connections, then the store readers.
    serverChannel.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    storeExecutor.shutdown();
    try {
      if (!storeExecutor.awaitTermination(2, TimeUnit.SECONDS)) {
        storeExecutor.shutdownNow();
      }
    } catch (InterruptedException e) {
      storeExecutor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
