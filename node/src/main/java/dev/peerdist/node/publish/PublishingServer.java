package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PeerDist publishing server: a static HTTP/1.1 (and HTTPS) file server for a directory or
 * an upstream origin that hands out MS-PCCRC content information to clients that ask for it
 * (MS-PCCRTP, PROTOCOL.md §5.3).
 *
 * <p>One pipeline per connection (HOUSE-STYLE 9): [TLS] → HTTP codec with size limits →
 * aggregator (request bodies up to 8 KiB; GET and HEAD carry none) → chunked writer →
 * {@link ConnectionGuard} (header deadline, keep-alive idle timeout, write-progress-aware idle
 * detection) → {@link PublishHandler} on the I/O executor group.
 *
 * <p>Connection limits (issue 11: ~1,030 half-open connections from one host locked everyone
 * out): at most {@code maxConnectionsPerAddress} from one address; at most {@code
 * maxConnections} in all; and once three quarters of the global limit are taken, an address that
 * already holds more than {@link #CROWDED_SHARE} connections gets no more, so the last quarter is
 * headroom for addresses with few connections. Refused connections are closed as they arrive.
 *
 * <pre>{@code
 * try (PublishingServer s = PublishingServer.start(config)) {
 *   URI base = s.httpUri().orElseThrow();
 *   ...
 * }
 * }</pre>
 */
public final class PublishingServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PublishingServer.class);
  /** Largest request body accepted (GET/HEAD have none). */
  static final int MAX_REQUEST_BODY = 8 * 1024;
  /** Connections one address may hold once the server is three quarters full. */
  static final int CROWDED_SHARE = 4;

  private final PublisherConfig config;
  private final PublisherState state;
  private final ContentInformationCache cache;
  private final ResourceResolver resolver;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final EventExecutorGroup io;
  /** Shared by every connection: the upload cap is for all clients together (null = no cap). */
  private final GlobalTrafficShapingHandler shaper;
  private final List<Channel> listeners = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final java.util.concurrent.ConcurrentHashMap<InetAddress, AtomicInteger> perAddress =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
  private final ChannelGroup open = new DefaultChannelGroup("publisher-connections", GlobalEventExecutor.INSTANCE);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final PublisherMeters meters = new PublisherMeters();
  private final Path realRoot;
  private URI httpUri;
  private URI httpsUri;

  private PublishingServer(
      PublisherConfig config,
      Path realRoot,
      PublisherState state,
      ContentInformationCache cache,
      ResourceResolver resolver) {
    this.config = config;
    this.realRoot = realRoot;
    this.state = state;
    this.cache = cache;
    this.resolver = resolver;
    this.boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("publisher-accept"), NioIoHandler.newFactory());
    this.workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("publisher-net"), NioIoHandler.newFactory());
    this.io = new DefaultEventExecutorGroup(config.ioThreads(), new DefaultThreadFactory("publisher-io"));
    this.shaper = config.uploadBytesPerSecond() == 0 ? null
        : new GlobalTrafficShapingHandler(workers, config.uploadBytesPerSecond(), 0, 100);
    meters.bind(cache, c -> connections.get());
  }

  /** The publisher's meters ({@code /metrics} of {@link MetricsEndpoint}). */
  public PublisherMeters meters() {
    return meters;
  }

  /** Starts with the PCCRC generator of {@code dev.peerdist.chunkstore.content}. */
  public static PublishingServer start(PublisherConfig config) throws IOException {
    return start(config, new PccrcContentInformationSource());
  }

  /**
   * Starts with the given content-information source (tests count hashing jobs with it).
   *
   * @throws IOException when the root, state directory, TLS material or a port cannot be used
   */
  public static PublishingServer start(PublisherConfig config, ContentInformationSource source) throws IOException {
    Path realRoot = config.root() == null ? null : new RootDirectory(config.root()).realRoot();
    PublisherState state = PublisherState.open(config.stateDir(), realRoot, config.secretKeyMaterial());
    ContentInformationCache cache =
        new ContentInformationCache(
            state.subdirectory("content-information"), source, state, config.hashThreads(), config.maxQueuedHashJobs());
    ResourceResolver resolver;
    if (realRoot != null) {
      resolver = ResourceResolver.of(new RootDirectory(realRoot));
    } else {
      resolver = new UpstreamMirror(config, state.subdirectory("upstream"));
    }
    if (config.contentEtag()) {
      resolver = ContentEtags.wrap(resolver, cache);
    }
    PublishingServer s = new PublishingServer(config, realRoot, state, cache, resolver);
    try {
      s.bind();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void bind() throws IOException {
    if (config.port() >= 0) {
      Channel ch = listen(config.port(), null);
      httpUri = uri("http", ch);
    }
    if (config.tls().enabled()) {
      SslContext ssl =
          config.tls().selfSigned()
              ? TlsContexts.selfSigned(state.subdirectory("tls"), config.bind())
              : TlsContexts.fromPem(config.tls().certificateChain(), config.tls().privateKey());
      Channel ch = listen(config.tlsPort(), ssl);
      httpsUri = uri("https", ch);
    }
    LOG.info(
        "publishing {} at {}{} (state {}, secret fingerprint {})",
        config.root() != null ? config.root() : config.upstream(),
        httpUri != null ? httpUri : "",
        httpsUri != null ? (httpUri != null ? " and " : "") + httpsUri : "",
        state.directory(),
        state.secretFingerprint());
  }

  private Channel listen(int port, SslContext ssl) throws IOException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 256)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new Initializer(ssl));
    try {
      Channel ch = b.bind(new InetSocketAddress(config.bind(), port)).sync().channel();
      listeners.add(ch);
      return ch;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + config.bind() + ":" + port, e);
    } catch (Exception e) {
      throw new IOException("cannot listen on " + config.bind().getHostAddress() + ":" + port + ": " + e.getMessage(), e);
    }
  }

  private final class Initializer extends ChannelInitializer<SocketChannel> {
    private final SslContext ssl;

    Initializer(SslContext ssl) {
      this.ssl = ssl;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
      int n = connections.incrementAndGet();
      InetAddress from = ch.remoteAddress().getAddress();
      AtomicInteger mine = perAddress.computeIfAbsent(from, a -> new AtomicInteger());
      int m = mine.incrementAndGet();
      ch.closeFuture().addListener(f -> {
        connections.decrementAndGet();
        if (mine.decrementAndGet() == 0) {
          perAddress.remove(from, mine);
        }
      });
      String why = null;
      PublisherMeters.Refusal limit = null;
      if (n > config.maxConnections()) {
        why = (n - 1) + " connections already open";
        limit = PublisherMeters.Refusal.TOTAL;
      } else if (m > config.maxConnectionsPerAddress()) {
        why = (m - 1) + " connections from this address already open";
        limit = PublisherMeters.Refusal.PER_ADDRESS;
      } else if (n > config.maxConnections() * 3L / 4 && m > CROWDED_SHARE) {
        why = "the server is crowded and this address holds " + (m - 1) + " connections";
        limit = PublisherMeters.Refusal.CROWDED;
      }
      if (why != null) {
        refused.incrementAndGet();
        meters.refused(limit);
        LOG.debug("closing {}: {}", ch.remoteAddress(), why);
        ch.close();
        return;
      }
      open.add(ch);
      ChannelPipeline p = ch.pipeline();
      if (ssl != null) {
        p.addLast("tls", ssl.newHandler(ch.alloc()));
      }
      if (shaper != null) {
        p.addLast(PublishHandler.SHAPER, shaper);
      }
      p.addLast("http", new HttpServerCodec(config.maxInitialLineBytes(), config.maxHeaderBytes(), 8192));
      p.addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST_BODY));
      p.addLast("chunked", new ChunkedWriteHandler());
      p.addLast("guard", new ConnectionGuard(config.headerTimeout().toNanos(), config.idleTimeout().toNanos(),
          System::nanoTime));
      p.addLast(io, "publish", new PublishHandler(config, resolver, cache, meters));
    }
  }

  private static URI uri(String scheme, Channel ch) {
    InetSocketAddress a = (InetSocketAddress) ch.localAddress();
    InetAddress addr = a.getAddress();
    String host = addr.isAnyLocalAddress() ? "127.0.0.1" : addr.getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return URI.create(scheme + "://" + host + ":" + a.getPort() + "/");
  }

  /**
   * Makes the content information of one file below the root ahead of requests, for every
   * version up to {@code maxContentVersion}, unless it is already cached. Files below {@code
   * minSize} and empty files are skipped (they are always served plainly).
   *
   * @param urlPath the file's URL path, e.g. {@code /pool/pkg.deb}
   * @return completes when the content information is stored; fails when the file is not found,
   *     the hashing queue is full, or hashing fails
   */
  public CompletableFuture<Void> precompute(String urlPath) {
    return resolver
        .resolve(urlPath)
        .thenCompose(
            f -> {
              if (f.isEmpty()) {
                return CompletableFuture.failedFuture(new IOException("not found: " + urlPath));
              }
              ServedFile file = f.get();
              if (file.size() == 0 || file.size() < config.minSize()) {
                return CompletableFuture.completedFuture(null);
              }
              CompletableFuture<byte[]> v1 = cache.request(file, ContentVersion.V1);
              if (config.maxContentVersion() == ContentVersion.V1) {
                return v1.thenApply(b -> null);
              }
              return v1.thenCompose(b -> cache.request(file, ContentVersion.V2)).thenApply(b -> null);
            });
  }

  /**
   * Walks the served root and {@link #precompute precomputes} every regular file, one at a time
   * on a background thread (so the hashing queue never overflows and requests keep a hashing
   * thread). Hidden entries (names starting with a dot) are skipped. Upstream mode has nothing
   * to walk and completes at once.
   *
   * @return completes with the number of files visited when the walk ends
   */
  public CompletableFuture<Integer> precomputeAll() {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    if (config.root() == null) {
      done.complete(0);
      return done;
    }
    Thread walker =
        new Thread(
            () -> {
              int n = 0;
              try (Stream<Path> files = Files.walk(realRoot)) {
                Iterator<Path> it = files.iterator();
                while (it.hasNext() && !closed.get()) {
                  Path p = it.next();
                  Path rel = realRoot.relativize(p);
                  if (!Files.isRegularFile(p) || rel.toString().startsWith(".") || rel.toString().contains("/.")) {
                    continue;
                  }
                  try {
                    precompute("/" + rel.toString().replace('\\', '/')).get();
                    n++;
                  } catch (ExecutionException e) {
                    LOG.warn("cannot precompute {}: {}", rel, e.getCause().toString());
                  }
                }
                done.complete(n);
              } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.completeExceptionally(e);
              }
            },
            "publisher-precompute");
    walker.setDaemon(true);
    walker.start();
    return done;
  }

  /** The plain HTTP base URL ({@code http://host:port/}), when plain HTTP is served. */
  public Optional<URI> httpUri() {
    return Optional.ofNullable(httpUri);
  }

  /** The HTTPS base URL, when TLS is configured. */
  public Optional<URI> httpsUri() {
    return Optional.ofNullable(httpsUri);
  }

  /** The state directory with the secret and caches. */
  public PublisherState state() {
    return state;
  }

  /** The content-information cache (for counters). */
  public ContentInformationCache contentInformation() {
    return cache;
  }

  /** Open client connections. */
  public int openConnections() {
    return connections.get();
  }

  /** Connections closed on arrival by the global or per-address limits since start. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Stops listening, closes connections and stops hashing. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // Listeners first (no new connections), then open connections, then the threads that
    // served them: a handler must never find its executor gone.
    for (Channel ch : listeners) {
      ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    open.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    if (shaper != null) {
      shaper.release();
    }
    // A closing pipeline hops between the event loop and the I/O executor; stop both together
    // with a short quiet period so neither goes away while the other still hands it work.
    var w = workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS);
    var i = io.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS);
    w.awaitUninterruptibly(3, TimeUnit.SECONDS);
    i.awaitUninterruptibly(3, TimeUnit.SECONDS);
    cache.close();
    resolver.close();
    LOG.info("publishing server stopped");
  }
}
