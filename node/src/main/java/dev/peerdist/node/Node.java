package dev.peerdist.node;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.HeardProbe;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.PeerDirectory;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.pccrd.ProbeTag;
import dev.peerdist.node.download.LoopSettings;
import dev.peerdist.node.download.SubnetView;
import dev.peerdist.node.admin.AdminServer;
import dev.peerdist.node.admin.DownloadScope;
import dev.peerdist.node.bridge.BridgeRegistrar;
import dev.peerdist.node.bridge.ContentBridge;
import dev.peerdist.node.admin.MirrorMap;
import dev.peerdist.node.admin.NodeStatus;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadEngine;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.engine.ContentInfoResolver;
import dev.peerdist.node.engine.LoopDriver;
import dev.peerdist.node.engine.PublisherOrigin;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.http.PeerServerStats;
import dev.peerdist.node.metrics.InputSource;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.metrics.NodeMeters;
import dev.peerdist.node.origin.OriginClient;
import dev.peerdist.node.origin.OriginClientConfig;
import dev.peerdist.node.origin.OriginRetry;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of a node: opens the chunk store, starts the PCCRR server, the discovery
 * responder and prober, the PCCRR client, the download engine and the admin endpoint with the
 * local mirror, and closes them in reverse order. {@link #close()} is idempotent.
 *
 * <p>The discovery responder answers from the store (PROTOCOL.md §3.7): the key of a segment is
 * {@code DiscoveryKey.of(form, segmentId.toBytes())}, the BlockCount is the number of blocks held.
 */
public final class Node implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  /** Makes the discovery directory once the PCCRR port is known. */
  @FunctionalInterface
  public interface DirectoryFactory {
    /**
     * @param config the node's configuration (interface, wait)
     * @param pccrrPort the bound PCCRR port to advertise in ProbeMatch XAddrs
     * @param meters for malformed-datagram counts
     */
    PeerDirectory create(NodeConfig config, int pccrrPort, NodeMeters meters) throws IOException;
  }

  /** Opens the chunk store of a node. */
  @FunctionalInterface
  public interface StoreFactory {
    ChunkStore open(NodeConfig config) throws IOException;
  }

  /**
   * RocksDB's native memory, outside the JVM's heap and direct-memory limits (docs/INSTALL.md
   * "Memory"): a small block cache (the OS page cache serves 64 KiB block reads) and at most
   * 32 MiB of memtables over all column families, so a node stays within its RSS budget.
   */
  static final long NATIVE_BLOCK_CACHE_BYTES = 8L << 20;

  private static final dev.peerdist.chunkstore.rocksdb.RocksOptions.Tuner NATIVE_BUDGET =
      new dev.peerdist.chunkstore.rocksdb.RocksOptions.Tuner() {
        @Override
        public void tuneDatabase(org.rocksdb.DBOptions options) {
          options.setDbWriteBufferSize(32L << 20);
        }

        @Override
        public void tuneColumnFamily(String name, org.rocksdb.ColumnFamilyOptions options) {
          options.setWriteBufferSize(16L << 20).setMaxWriteBufferNumber(2);
        }
      };

  /**
   * The RocksDB store under {@code --store}. Its capacity follows the rule for persisted values
   * (docs/CONFIGURATION.md, "Persisted and configured values"): a {@code cache-size} that was set
   * (flag, environment, config file) is applied and persisted, evicting if the store holds more; one
   * left at its default never overrides the capacity the store keeps (set by {@code peerdist cache
   * capacity} or an earlier start), and a new store starts at the default.
   */
  public static ChunkStore rocksStore(NodeConfig config) throws IOException {
    try {
      java.nio.file.Files.createDirectories(config.store());
      RocksChunkStore.Builder b = RocksChunkStore.at(config.store());
      if (config.isSet(ConfigKey.CACHE_SIZE)) {
        b.capacityBytes(config.cacheSize());
      }
      ChunkStore s = b.blockCacheBytes(NATIVE_BLOCK_CACHE_BYTES).tuner(NATIVE_BUDGET).recoverDamage(true).open();
      if (s.stats().capacityBytes() == 0) {
        LOG.warn("cache-size is 0: pass-through only; downloads are delivered but nothing is cached or served"
            + " to peers");
      }
      if (s.health().state() != dev.peerdist.chunkstore.StoreHealth.State.OK) {
        LOG.warn("store at {}: {}", config.store(), s.health());
      }
      return s;
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot open the store at " + config.store() + ": " + e.getMessage(), e);
    }
  }

  private final NodeConfig config;
  private final Clock clock;
  private final Instant started;
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();
  /** The {@code peer} entries of the configuration last applied (reload replaces exactly these). */
  private List<PeerEndpoint> configuredPeers = List.of();
  /** The configuration last applied by {@link #reconfigure} (start-up's until the first reload). */
  private volatile NodeConfig applied;
  private NodeMeters meters;
  private ChunkStore store;
  private PeerHttpServer pccrr;
  private ContentBridge bridge;
  private PeerDirectory directory;
  private LoopDriver driver;
  private long nodeId;
  private DownloadEngine engine;
  private dev.peerdist.node.hostedcache.HostedCache hostedCache;
  private dev.peerdist.node.hostedcache.OfferClient offers;
  private AdminServer admin;
  private volatile boolean ready;
  private volatile boolean closed;

  private Node(NodeConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.started = clock.instant();
  }

  /**
   * Starts a node.
   *
   * @param directories makes the PCCRD directory (the real multicast one in production)
   * @throws IOException naming the component and address that failed; everything already
   *     started is closed again
   */
  public static Node start(NodeConfig config, DirectoryFactory directories, Clock clock) throws IOException {
    return start(config, directories, Node::rocksStore, clock);
  }

  /** As {@link #start(NodeConfig, DirectoryFactory, Clock)} with another store (tests, simulator). */
  public static Node start(NodeConfig config, DirectoryFactory directories, StoreFactory stores, Clock clock)
      throws IOException {
    Node n = new Node(config, clock);
    try {
      n.startAll(directories, stores);
      return n;
    } catch (IOException | RuntimeException e) {
      n.close();
      throw e;
    }
  }

  private void startAll(DirectoryFactory directories, StoreFactory stores) throws IOException {
    meters = NodeMeters.prometheus();
    closers.push(meters);
    meters.bindJvm();

    store = dev.peerdist.node.metrics.StoreErrorCounting.wrap(stores.open(config), meters);
    closers.push(store);
    ChunkStore s = store;
    meters.bindStore(s::stats);
    meters.bindStoreHealth(s::health);

    bridge = new ContentBridge(store, clock, new java.security.SecureRandom());
    try {
      bridge.sweep();
    } catch (RuntimeException e) {
      LOG.warn("bridge: clean-up at start failed: {}", e.toString());
    }
    pccrr = startPccrr();
    closers.push(pccrr);
    PeerHttpServer server = pccrr;
    meters.bindServed(() -> server.stats().bytesServed());
    meters.bindPccrrServer(server.stats().droppedByReason(), () -> server.stats().queued());

    directory = directories.create(config, pccrr.port(), meters);
    closers.push(directory);

    configuredPeers = config.peers().stream().map(Node::parsePeer).toList();
    applied = config;

    PeerClient client = new PeerClient(PeerClientConfig.defaults().withRequestTimeout(config.peerTimeout()));
    closers.push(client);
    meters.bindPccrrClient(() -> client.stats().connectionsOpened(), () -> client.stats().lateAnswersDiscarded(),
        () -> client.stats().lateAnswersMissing());
    OriginClientConfig oc = OriginClientConfig.defaults()
        .withTimeouts(Duration.ofSeconds(5), config.originTimeout())
        .withTrustAll(config.tlsInsecure())
        .withProxy(proxySettings(config))
        .withContentInformationCheck(signatureCheck(config.publisherKeys(), meters));
    if (!config.token().isEmpty()) {
      oc = oc.withBearerToken(config.token());
    }
    OriginClient origin = new OriginClient(oc);
    closers.push(origin);
    // The token goes to the configured publishers only; every other URL gets a client without it.
    DownloadScope scope = new DownloadScope(config.publishers(), config.downloadAllow());
    OriginClient plain = origin;
    if (!config.token().isEmpty()) {
      plain = new OriginClient(oc.withBearerToken(null));
      closers.push(plain);
    }
    OriginClient tokenless = plain;
    // The one download loop of this node (issue 8); the simulator runs the same loop with the same
    // LoopSettings. Its timers run on the real monotonic clock, not the node's (injected) wall clock.
    LoopSettings loopSettings = loopSettings(config);
    SubnetView view = new SubnetView(loopSettings);
    SplittableRandom random = new SplittableRandom();
    nodeId = random.nextLong() & ProbeTag.MAX_NODE_ID;
    LoopDriver.OriginRanges withToken = PublisherOrigin.ranges(origin);
    LoopDriver.OriginRanges withoutToken = PublisherOrigin.ranges(tokenless);
    LoopDriver.OriginRanges ranges = (url, start, end, etag, readTimeout) -> (scope.isPublisher(url) ? withToken
        : withoutToken).open(url, start, end, etag, readTimeout);
    driver = new LoopDriver(store, client, ranges, directory, meters, loopSettings, view,
        nodeId, pccrr.port(), config.role().dedicated(), this::isSelf, clock, random);
    closers.push(driver);
    // Answer thinning counts a segment this node just finished as still wanted here (SubnetView).
    driver.onSegmentComplete(r -> view.finishedHere(r.id(), System.nanoTime()));
    directory.serve(new LocalHoldings() {
      @Override
      public Holding holding(DiscoveryKey key) {
        return Node.this.holding(key);
      }

      @Override
      public Holding holding(DiscoveryKey key, HeardProbe probe) {
        return Node.this.holding(key, probe);
      }
    });
    meters.bindLoop(loopCounters(driver));
    for (PeerEndpoint p : configuredPeers) {
      driver.alwaysAsk(p, "configured");
    }
    // The V1/V2 bridge learns each V1 package the node fetches and asks the publisher for its V2 map.
    // In a large swarm only the eight best-ranked nodes for a content do (its V2 content information
    // would otherwise cross the WAN once per node: 1/964 of the package each).
    BridgeRegistrar registrar = new BridgeRegistrar(bridge, url -> origin.fetchContentInformation(url, true), clock);
    closers.push(registrar);
    java.util.function.BiConsumer<URI, dev.peerdist.node.origin.ContentInformationResponse.Encoded> bridgeHook =
        (url, pd) -> {
          if (driver.view().betterRanked(pd.info().segmentId(0), nodeId, System.nanoTime(), 8).size() < 8) {
            registrar.contentInformation(url, pd);
          }
        };
    // Content information for V1 packages: descriptions from the publisher, block-hash lists from
    // subnet-mates where they have them (ContentInfoResolver, docs/DOWNLOAD.md).
    // A request that times out or cannot connect on a congested WAN is sent again (OriginRetry): one
    // lost SYN-ACK must not fail a download.
    OriginRetry originRetry = OriginRetry.defaults();
    ContentInfoResolver resolver = new ContentInfoResolver((url, first, last) -> {
      OriginClient c = scope.isPublisher(url) ? origin : tokenless;
      var r = originRetry.send("content information of " + url + " bytes " + first + "-" + last,
          () -> c.fetchContentInformation(url, false, first, last));
      if (r instanceof dev.peerdist.node.origin.ContentInformationResponse.Encoded pd) {
        return pd.info();
      }
      ((dev.peerdist.node.origin.ContentInformationResponse.Plain) r).body().close();
      throw new IOException("the publisher no longer answers " + url + " with content information (did it change?)");
    }, driver.subnet(), store, config.discoveryWait(), Duration.ofSeconds(2));
    closers.push(resolver);
    dev.peerdist.node.engine.OriginSource originPath = new PublisherOrigin(origin, config.contentVersion() == 2,
        bridgeHook).withResolver(resolver).withRetry(originRetry);
    if (tokenless != origin) {
      originPath = new ScopedOrigin(scope, originPath,
          new PublisherOrigin(tokenless, config.contentVersion() == 2).withResolver(resolver).withRetry(originRetry));
    }
    engine = new DownloadEngine(store, originPath, driver, meters,
        (long) config.readAhead() * SegmentRecord.V1_SEGMENT_SIZE, clock);
    closers.push(engine);

    startHostedCacheParts();
    if (config.dnssd()) {
      // PROTOCOL.md has no discovery for hosted caches beyond PCCRD; DNS-SD is peerdist's own.
      CacheServerDirectory d = config.role().dedicated()
          ? CacheServerDirectory.announce(config, pccrr.port(), hostedCache)
          : CacheServerDirectory.browse(config, this::addAlwaysAskedPeer, this::addHostedCache);
      if (d != null) {
        closers.push(d);
      }
    }

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("peerdist-admin", true),
        NioIoHandler.newFactory());
    closers.push(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS));
    meters.bindNetty(group);
    admin = AdminServer.start(group, config.adminBind(), config.adminPort(), config.mirrorPort(), meters,
        new Status(), engine, new MirrorMap(config.publishers()), scope, config.maxDownloads());
    closers.push(admin);
    ready = true;
    LOG.info("node ready: role {}, PCCRR on {}, admin on http://{}:{}/, mirror on http://{}:{}/, node id {} (in its probes'"
        + " MessageIDs, docs/DISCOVERY.md)", config.role(), pccrr.address(), config.adminBind().getHostAddress(),
        admin.adminPort(), config.adminBind().getHostAddress(), admin.mirrorPort(), Long.toHexString(nodeId));
  }

  /**
   * The MS-PCHC parts (PROTOCOL.md §6): a hosted cache's offer listeners, and on every node with
   * {@code hosted-cache} set (or a hosted cache found by DNS-SD) the offers of finished segments and
   * the hosted cache asked for every segment before the origin.
   */
  private void startHostedCacheParts() throws IOException {
    if (config.role() == NodeRole.HOSTED_CACHE) {
      java.nio.file.Path tls = config.store().resolveSibling(config.store().getFileName() + "-pchc-tls");
      hostedCache = dev.peerdist.node.hostedcache.HostedCache.start(
          dev.peerdist.node.hostedcache.HostedCacheConfig.defaults(config.bind(), config.pchcHttpPort(),
              config.pchcPort(), tls), store, meters);
      closers.push(hostedCache);
      LOG.info("hosted cache: v1.0 offers on https://{}{}, v2.0 offers on http://{}{}", hostedCache.tlsAddress(),
          dev.peerdist.node.pchc.PchcCodec.V1_PATH, hostedCache.httpAddress(), dev.peerdist.node.pchc.PchcCodec.V2_PATH);
      return;
    }
    javax.net.ssl.SSLContext tls = null;
    if (config.tlsInsecure()) {
      tls = dev.peerdist.node.origin.TrustAll.sslContext();
    } else if (!config.hostedCacheCert().isEmpty()) {
      try {
        tls = dev.peerdist.node.hostedcache.OfferClient.pinned(java.nio.file.Path.of(config.hostedCacheCert()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(ConfigKey.HOSTED_CACHE_CERT.key(), config.source(ConfigKey.HOSTED_CACHE_CERT),
            e.getMessage());
      }
    }
    offers = new dev.peerdist.node.hostedcache.OfferClient(pccrr.port(), tls, meters::pchcOfferSent);
    closers.push(offers);
    driver.onSegmentComplete(offers::segmentComplete);
    if (!config.hostedCacheDomain().isEmpty()) {
      browseHostedCaches(config.hostedCacheDomain());
    }
    for (String h : config.hostedCaches()) {
      try {
        addHostedCache(dev.peerdist.node.hostedcache.HostedCacheTarget.parse(h), "configured");
      } catch (IllegalArgumentException e) {
        throw new ConfigException(ConfigKey.HOSTED_CACHE.key(), config.source(ConfigKey.HOSTED_CACHE), e.getMessage());
      }
    }
  }

  /** Unicast DNS-SD for hosted caches in {@code domain}: at start, then every 5 minutes, on its own thread. */
  private void browseHostedCaches(String domain) {
    java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors
        .newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "peerdist-dns-sd");
          t.setDaemon(true);
          return t;
        });
    closers.push(timer::shutdownNow);
    timer.scheduleWithFixedDelay(() -> {
      try {
        for (dev.peerdist.node.hostedcache.HostedCacheTarget t : dev.peerdist.node.hostedcache.UnicastDnsSd.browse(domain)) {
          addHostedCache(t, "dns-sd");
        }
      } catch (javax.naming.NamingException | RuntimeException e) {
        LOG.info("unicast DNS-SD in {} found no hosted cache: {}", domain, e.getMessage());
      }
    }, 0, 300, TimeUnit.SECONDS);
  }

  /**
   * Offers finished segments to a hosted cache and asks it for every segment (its PCCRR port). A
   * hosted cache found by DNS-SD gets offers only when its certificate can be checked: a SEGMENT_INFO
   * carries the segment secret, which must not go to whoever answers a multicast query.
   */
  public void addHostedCache(dev.peerdist.node.hostedcache.HostedCacheTarget target, String via) {
    if (offers != null && (via.equals("configured") || config.tlsInsecure() || !config.hostedCacheCert().isEmpty())) {
      offers.addTarget(target, via);
    }
    addAlwaysAskedPeer(target.pccrr(), via.equals("configured") ? "hosted-cache" : "hosted-cache-" + via);
  }

  /**
   * With {@code publisher-key} set, every content-information answer (whole or a piece) must be
   * signed by a pinned key (docs/SITES.md); without it, anything passes (the default).
   */
  static dev.peerdist.node.origin.ContentInformationCheck signatureCheck(List<java.security.PublicKey> keys,
      NodeMeters meters) {
    if (keys.isEmpty()) {
      return dev.peerdist.node.origin.ContentInformationCheck.NONE;
    }
    Map<String, java.security.PublicKey> byId = dev.peerdist.node.signing.ContentSignature.byId(keys);
    return (uri, status, headers, body) -> {
      try {
        dev.peerdist.node.signing.ContentSignature.verify(byId, uri.getPath() == null ? "/" : uri.getPath(),
            headers.firstValue(dev.peerdist.node.signing.ContentSignature.HEADER).orElse(null), body);
      } catch (dev.peerdist.node.signing.ContentSignature.RejectedException e) {
        meters.malformed(InputSource.PCCRTP);
        throw new dev.peerdist.node.origin.OriginException(uri, status, "content information rejected: " + e.getMessage());
      }
    };
  }

  /** The proxy to publishers: config {@code proxy}, else the environment (never for peers). */
  static dev.peerdist.node.origin.ProxySettings proxySettings(NodeConfig config) {
    try {
      return dev.peerdist.node.origin.ProxySettings.resolve(config.proxy(), System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(ConfigKey.PROXY.key(), config.source(ConfigKey.PROXY), e.getMessage());
    }
  }

  /** This node's hosted-cache listeners, when its role is hosted-cache. */
  public Optional<dev.peerdist.node.hostedcache.HostedCache> hostedCache() {
    return Optional.ofNullable(hostedCache);
  }

  private PeerHttpServer startPccrr() throws IOException {
    try {
      return PeerHttpServer.start(store, bridge, PeerServerConfig.defaults()
          .withBind(config.bind(), config.pccrrPort())
          .withMaxActiveClients(config.maxUploads()), new PeerServerStats(() -> meters.malformed(InputSource.PCCRR)));
    } catch (IllegalStateException e) {
      String hint = config.pccrrPort() < 1024 ? " (ports below 1024 need root; try --pccrr-port 8080)" : "";
      throw new IOException(e.getMessage() + hint, e);
    }
  }

  static PeerEndpoint parsePeer(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new ConfigException("peer", "value " + hostPort, "expected address:port");
    }
    try {
      String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      return new PeerEndpoint(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("peer", "value " + hostPort, "expected address:port (" + e.getMessage() + ")");
    }
  }

  /** The download loop's settings from the node's configuration; everything else is the defaults. */
  static LoopSettings loopSettings(NodeConfig config) {
    return LoopSettings.defaults()
        .withDiscoveryWait(config.discoveryWait())
        .withWanBudget(config.wanBudget())
        .withReadAheadBytes((long) config.readAhead() * SegmentRecord.V1_SEGMENT_SIZE);
  }

  private static Map<String, java.util.function.LongSupplier> loopCounters(LoopDriver d) {
    Map<String, java.util.function.LongSupplier> m = new LinkedHashMap<>();
    m.put("probe", () -> d.stats().probes);
    m.put("block_request", () -> d.stats().blockRequests);
    m.put("hedge", () -> d.stats().hedges);
    m.put("block_list", () -> d.stats().listRequests);
    m.put("origin_request", () -> d.stats().originRequests);
    m.put("origin_cancel", () -> d.stats().originCancels);
    m.put("takeover", () -> d.stats().takeovers);
    m.put("peer_banned", () -> d.stats().peersBanned);
    m.put("peer_forgotten", () -> d.stats().peersForgotten);
    return m;
  }

  /** The responder's view of the store (PROTOCOL.md §3.7): blocks held of a probed segment. */
  private LocalHoldings.Holding holding(DiscoveryKey key) {
    if (dev.peerdist.node.doctor.DiagnosticProbe.is(key)) {
      return new LocalHoldings.Holding(1, false); // peerdist doctor asks who is there (DiagnosticProbe)
    }
    try {
      SegmentId id = SegmentId.of(key.toBytes());
      Optional<SegmentRecord> r = store.segment(id);
      if (r.isEmpty()) {
        // A V2 segment of a package held as V1 blocks (issue 10): one block, all of it.
        return bridge.holds(id) ? new LocalHoldings.Holding(1, true, bridge.age(id)) : LocalHoldings.Holding.NONE;
      }
      int held = store.presentBlocks(id).cardinality();
      Optional<java.time.Duration> age = store.segmentInfo(id)
          .map(i -> java.time.Duration.between(i.lastAccess(), clock.instant()))
          .filter(d -> !d.isNegative());
      return held == 0 ? LocalHoldings.Holding.NONE : new LocalHoldings.Holding(held, held == r.get().blockCount(), age);
    } catch (RuntimeException e) {
      // A closed store or an odd key length: we hold nothing for it.
      return LocalHoldings.Holding.NONE;
    }
  }

  /**
   * What this node answers a probe with: its holding, unless the segment's swarm is so large that
   * this holder stays silent for this probe (answer thinning, {@link SubnetView}); a cache server
   * always answers.
   */
  private LocalHoldings.Holding holding(DiscoveryKey key, HeardProbe probe) {
    LocalHoldings.Holding h = holding(key);
    if (h == LocalHoldings.Holding.NONE || config.role().dedicated() || dev.peerdist.node.doctor.DiagnosticProbe.is(key)) {
      return h;
    }
    double p = driver.view().answerProbability(SegmentId.of(key.toBytes()), nodeId, h.complete(), System.nanoTime());
    return SubnetView.answers(p, probe.messageId().hashCode() * 0x9E3779B97F4A7C15L, nodeId) ? h
        : LocalHoldings.Holding.NONE;
  }

  private boolean isSelf(PeerEndpoint p) {
    if (pccrr == null || p.address().getPort() != pccrr.port()) {
      return false;
    }
    InetAddress a = p.address().getAddress();
    if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.equals(pccrr.address().getAddress())) {
      return pccrr.address().getAddress().isAnyLocalAddress() || a.equals(pccrr.address().getAddress())
          || pccrr.address().getAddress().isLoopbackAddress();
    }
    try {
      return pccrr.address().getAddress().isAnyLocalAddress() && NetworkInterface.getByInetAddress(a) != null;
    } catch (SocketException e) {
      return false;
    }
  }

  /** Adds a peer asked for every segment (a cache server found by DNS-SD, for instance). */
  public void addAlwaysAskedPeer(PeerEndpoint peer, String via) {
    driver.alwaysAsk(peer, via);
  }

  /**
   * Applies a re-read configuration (SIGHUP, {@code systemctl reload}): {@code log-format},
   * {@code peer} and {@code cache-size} change at once; any other changed key is reported as
   * needing a restart and keeps its running value.
   *
   * @return one line per changed key, saying whether it was applied
   * @throws ConfigException when a new value cannot be used (nothing is changed then)
   */
  public synchronized List<String> reconfigure(NodeConfig fresh) {
    List<PeerEndpoint> peers = fresh.peers().stream().map(Node::parsePeer).toList();
    NodeConfig before = applied;
    List<String> report = new ArrayList<>();
    for (ConfigKey k : ConfigKey.values()) {
      if (java.util.Objects.equals(before.value(k), fresh.value(k))) {
        continue;
      }
      String change = k == ConfigKey.TOKEN ? k.key() + " changed"
          : k.key() + " " + before.value(k) + " -> " + fresh.value(k);
      switch (k) {
        case LOG_FORMAT -> dev.peerdist.node.logging.LogSettings.format(fresh.logFormat());
        case PEER -> {
          driver.replaceAlwaysAsk(configuredPeers, peers, "configured");
          configuredPeers = peers;
        }
        case CACHE_SIZE -> {
          if (!fresh.isSet(ConfigKey.CACHE_SIZE)) {
            // The same rule as at start-up: a default never overrides the store's capacity.
            report.add(change + " (default): not applied, the store keeps its capacity of "
                + store.stats().capacityBytes() + " bytes");
            continue;
          }
          store.setCapacity(fresh.cacheSize());
        }
        default -> {
          report.add(change + ": needs a restart (running value kept)");
          continue;
        }
      }
      report.add(change + ": applied");
    }
    // Keys that need a restart stay at their running values, so they are reported again next time.
    NodeConfig.Builder next = before.toBuilder();
    for (ConfigKey k : List.of(ConfigKey.LOG_FORMAT, ConfigKey.PEER, ConfigKey.CACHE_SIZE)) {
      next.copy(k, fresh);
    }
    applied = next.build();
    return report;
  }

  /** Downloads {@code url} completely into the store and pins its segments (cache-server prepopulation). */
  public DownloadRecord prepopulate(URI url) throws IOException {
    try (Download d = engine.open(url)) {
      while (d.next() != null) {
        // The bytes are in the store; the caller here only wants them cached.
      }
      for (SegmentId id : d.segmentIds()) {
        store.pin(id);
      }
      return d.record();
    }
  }

  /** The status document of {@code /status}. */
  public Map<String, Object> status() {
    return new Status().status();
  }

  /** The download engine (what {@code /download} and the mirror use). */
  public DownloadEngine engine() {
    return engine;
  }

  /** The V1/V2 content bridge (V2 segments served from stored V1 blocks). */
  public ContentBridge bridge() {
    return bridge;
  }

  public ChunkStore store() {
    return store;
  }

  public NodeMeters meters() {
    return meters;
  }

  public NodeConfig config() {
    return config;
  }

  /** Where PCCRR listens. */
  public InetSocketAddress pccrrAddress() {
    return pccrr.address();
  }

  public int adminPort() {
    return admin.adminPort();
  }

  public int mirrorPort() {
    return admin.mirrorPort();
  }

  /** The admin endpoint's base URL. */
  public URI adminUri() {
    return NodeConfig.localUri(config.adminBind(), admin.adminPort());
  }

  private final class Status implements NodeStatus {
    @Override
    public Map<String, Object> status() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("role", config.role().label());
      m.put("ready", ready);
      m.put("uptime_s", Duration.between(started, clock.instant()).toSeconds());
      m.put("pccrr", pccrr.address().getAddress().getHostAddress() + ":" + pccrr.port());
      m.put("admin", adminUri().toString());
      if (admin.mirrorPort() >= 0) {
        m.put("mirror", "http://" + config.adminBind().getHostAddress() + ":" + admin.mirrorPort() + "/");
      }
      m.put("publishers", config.publishers().stream().map(URI::toString).toList());
      StoreStats st = store.stats();
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("path", config.store().toString());
      sm.put("used_bytes", st.usedBytes());
      sm.put("capacity_bytes", st.capacityBytes());
      sm.put("pinned_bytes", st.pinnedBytes());
      sm.put("segments", st.segments());
      sm.put("blocks", st.blocks());
      sm.put("evicted_segments", st.evictedSegments());
      sm.put("dropped_corrupt_blocks", st.droppedCorruptBlocks());
      sm.put("health", store.health().toString());
      m.put("store", sm);
      Map<String, Object> t = new LinkedHashMap<>();
      for (ByteSource b : ByteSource.values()) {
        t.put(b.label(), meters.downloadedBytes(b));
      }
      t.put("served", pccrr.stats().bytesServed());
      m.put("totals", t);
      m.put("peers", driver.peersSeen());
      List<Map<String, Object>> ds = new ArrayList<>();
      for (DownloadRecord r : engine.recent()) {
        ds.add(r.toMap());
      }
      m.put("downloads", ds);
      return m;
    }

    @Override
    public boolean ready() {
      return ready && !closed && store.health().state() != dev.peerdist.chunkstore.StoreHealth.State.FAILED;
    }

    @Override
    public String storeHealth() {
      return store == null ? "" : store.health().toString();
    }
  }

  /** Closes every component in reverse start order; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ready = false;
    while (!closers.isEmpty()) {
      AutoCloseable c = closers.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {}: {}", c, e.getMessage());
      }
    }
  }
}
