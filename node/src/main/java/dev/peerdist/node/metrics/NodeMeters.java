package dev.peerdist.node.metrics;

import dev.peerdist.chunkstore.StoreStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.EventExecutorGroup;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Every meter of a node, named in one place. Prometheus names (as scraped from {@code /metrics})
 * get the {@code peerdist_} prefix, base units and {@code _total} for counters. Labels are
 * bounded enums only ({@code source}, {@code reason}, {@code result}, {@code message_type},
 * {@code mode}) — never a peer address or a content id, which would grow without bound.
 * {@code docs/METRICS.md} documents each of them.
 */
public final class NodeMeters implements AutoCloseable {
  /** peerdist_download_bytes_total{source}: bytes handed to local callers, by origin of the bytes. */
  public static final String DOWNLOAD_BYTES = "peerdist.download";
  /** peerdist_served_bytes_total: block bytes sent to peers in MSG_BLK answers. */
  public static final String SERVED_BYTES = "peerdist.served";
  /** peerdist_cache_lookups_total{result=hit|miss}: segments found in / missing from the store. */
  public static final String CACHE_LOOKUPS = "peerdist.cache.lookups";
  /** peerdist_discovery_latency_seconds{result=match|none}: time from a PCCRD probe to each answer to it. */
  public static final String DISCOVERY_LATENCY = "peerdist.discovery.latency";
  /** How long this node's own probes took to come back through its listener ({@link #ownProbeReturned}). */
  public static final String OWN_PROBE_RETURN = "peerdist.discovery.own.probe.return";
  /** peerdist_origin_fallbacks_total{reason}: blocks fetched from the origin, by why. */
  public static final String ORIGIN_FALLBACKS = "peerdist.origin.fallbacks";
  /** peerdist_origin_fallback_bytes_total{reason}: bytes fetched from the origin, by why. */
  public static final String ORIGIN_FALLBACK_BYTES = "peerdist.origin.fallback";
  /** peerdist_malformed_inputs_total{source}: inputs dropped as malformed, by protocol. */
  public static final String MALFORMED = "peerdist.malformed.inputs";
  /** peerdist_downloads_total{result=ok|error, mode=peerdist|plain}. */
  public static final String DOWNLOADS = "peerdist.downloads";
  /** peerdist_peer_requests_total{message_type, result}: PCCRR requests this node sent. */
  public static final String PEER_REQUESTS = "peerdist.peer.requests";
  /** peerdist_corrupt_blocks_total: blocks from peers that failed verification (never stored). */
  public static final String CORRUPT_BLOCKS = "peerdist.corrupt.blocks";
  /** peerdist_store_passthrough_bytes_total: verified bytes handed to a reader without being stored. */
  public static final String PASS_THROUGH = "peerdist.store.passthrough";
  /** peerdist_loop_decisions_total{decision}: what the download loop decided (probes, takeovers, …). */
  public static final String LOOP_DECISIONS = "peerdist.loop.decisions";
  /** peerdist_store_errors_total{operation=read|write}: store calls that failed (see StoreErrorCounting). */
  public static final String STORE_ERRORS = "peerdist.store.errors";
  /** peerdist_pccrd_probes_dropped_total{reason}: probes heard and not answered, by why. */
  public static final String PCCRD_PROBES_DROPPED = "peerdist.pccrd.probes.dropped";
  /** peerdist_pccrd_reply_ids_trimmed_total: held ids left out of replies by the 2x byte bound. */
  public static final String PCCRD_IDS_TRIMMED = "peerdist.pccrd.reply.ids.trimmed";
  /** peerdist_pccrr_server_dropped_total{reason}: PCCRR requests or connections this node's server refused. */
  public static final String PCCRR_SERVER_DROPPED = "peerdist.pccrr.server.dropped";
  /** peerdist_pccrr_server_queued_total: PCCRR requests that waited for an upload slot. */
  public static final String PCCRR_SERVER_QUEUED = "peerdist.pccrr.server.queued";
  /** peerdist_pccrr_client_connections_opened_total: TCP connections the PCCRR client opened. */
  public static final String PCCRR_CLIENT_CONNECTIONS = "peerdist.pccrr.client.connections.opened";
  /** peerdist_pccrr_client_late_answers_total{result}: timed-out requests whose answer came late or never. */
  public static final String PCCRR_CLIENT_LATE_ANSWERS = "peerdist.pccrr.client.late.answers";
  /** peerdist_pchc_offers_total{message_type, result}: segments offered to this hosted cache, by answer (§6.3). */
  public static final String PCHC_OFFERS = "peerdist.pchc.offers";
  /** peerdist_pchc_pulled_blocks_total{result}: blocks this hosted cache asked offering clients for. */
  public static final String PCHC_PULLED_BLOCKS = "peerdist.pchc.pulled.blocks";
  /** peerdist_pchc_pulled_bytes_total: verified bytes this hosted cache pulled from offering clients and stored. */
  public static final String PCHC_PULLED_BYTES = "peerdist.pchc.pulled";
  /** peerdist_pchc_offers_sent_total{message_type, result}: offers this node sent to hosted caches, by answer. */
  public static final String PCHC_OFFERS_SENT = "peerdist.pchc.offers.sent";
  /** Store gauges: peerdist_store_used_bytes, _capacity_bytes, _pinned_bytes, _segments, and
   * peerdist_store_evicted_segments_total. */
  public static final String STORE = "peerdist.store";

  /** {@link #peerRequest}'s counters by message type, then result. */
  private final Map<String, Map<String, Counter>> peerRequests = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final PrometheusMeterRegistry prometheus;
  private final Map<ByteSource, Counter> downloadBytes = new EnumMap<>(ByteSource.class);
  private final Map<FallbackReason, Counter> fallbacks = new EnumMap<>(FallbackReason.class);
  private final Map<FallbackReason, Counter> fallbackBytes = new EnumMap<>(FallbackReason.class);
  private final Map<InputSource, Counter> malformed = new EnumMap<>(InputSource.class);
  private final Map<dev.peerdist.discovery.DiscoveryListener.ProbeDrop, Counter> probeDrops =
      new EnumMap<>(dev.peerdist.discovery.DiscoveryListener.ProbeDrop.class);
  private final Counter idsTrimmed;
  private final Counter hits;
  private final Counter misses;
  private final Counter corrupt;
  private final Counter storeReadErrors;
  private final Counter storeWriteErrors;
  private final Timer discoveryMatch;
  private final Timer discoveryNone;
  private final Timer ownProbeReturn;
  private final java.util.List<Object> held = new java.util.concurrent.CopyOnWriteArrayList<>();
  private JvmGcMetrics gc;

  /** Meters on a new Prometheus registry (what a node uses). */
  public static NodeMeters prometheus() {
    return new NodeMeters(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** Meters on {@code registry}; {@link #scrape()} works only for a Prometheus registry. */
  public NodeMeters(MeterRegistry registry) {
    this.registry = registry;
    this.prometheus = registry instanceof PrometheusMeterRegistry p ? p : null;
    for (ByteSource s : ByteSource.values()) {
      downloadBytes.put(s, Counter.builder(DOWNLOAD_BYTES).baseUnit("bytes").tag("source", s.label())
          .description("Bytes handed to local callers, by where they came from").register(registry));
    }
    for (FallbackReason r : FallbackReason.values()) {
      fallbacks.put(r, Counter.builder(ORIGIN_FALLBACKS).tag("reason", r.label())
          .description("Blocks fetched from the origin instead of a peer, by reason").register(registry));
      fallbackBytes.put(r, Counter.builder(ORIGIN_FALLBACK_BYTES).baseUnit("bytes").tag("reason", r.label())
          .description("Bytes fetched from the origin instead of a peer, by reason").register(registry));
    }
    for (InputSource s : InputSource.values()) {
      malformed.put(s, Counter.builder(MALFORMED).tag("source", s.label())
          .description("Malformed inputs dropped, by protocol").register(registry));
    }
    for (dev.peerdist.discovery.DiscoveryListener.ProbeDrop d : dev.peerdist.discovery.DiscoveryListener.ProbeDrop.values()) {
      probeDrops.put(d, Counter.builder(PCCRD_PROBES_DROPPED).tag("reason", d.name().toLowerCase(java.util.Locale.ROOT))
          .description("PCCRD probes heard and not answered, by reason").register(registry));
    }
    idsTrimmed = Counter.builder(PCCRD_IDS_TRIMMED)
        .description("Held segment ids left out of PCCRD replies to keep them within twice the probe's bytes")
        .register(registry);
    hits = Counter.builder(CACHE_LOOKUPS).tag("result", "hit")
        .description("Segments looked up in the local store").register(registry);
    misses = Counter.builder(CACHE_LOOKUPS).tag("result", "miss")
        .description("Segments looked up in the local store").register(registry);
    corrupt = Counter.builder(CORRUPT_BLOCKS)
        .description("Blocks from peers that failed verification").register(registry);
    storeReadErrors = Counter.builder(STORE_ERRORS).tag("operation", "read")
        .description("Chunk store calls that failed").register(registry);
    storeWriteErrors = Counter.builder(STORE_ERRORS).tag("operation", "write")
        .description("Chunk store calls that failed").register(registry);
    discoveryMatch = Timer.builder(DISCOVERY_LATENCY).tag("result", "match")
        .description("Time of one PCCRD probe round").register(registry);
    discoveryNone = Timer.builder(DISCOVERY_LATENCY).tag("result", "none")
        .description("Time of one PCCRD probe round").register(registry);
    ownProbeReturn = Timer.builder(OWN_PROBE_RETURN)
        .description("Time from sending one of this node's probes to reading it back through its own"
            + " listener: how far behind the node reads its subnet's probes and answers")
        .register(registry);
  }

  /** The registry, for binders of other components. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Counts bytes handed to a local caller. */
  public void downloaded(ByteSource source, long bytes) {
    downloadBytes.get(source).increment(bytes);
  }

  /** Exposes the PCCRR server's count of block bytes sent to peers, read when scraped. */
  public void bindServed(java.util.function.LongSupplier bytes) {
    // Micrometer holds a function meter's state weakly; keep it, or the lambda is collected and
    // the meter reads NaN.
    held.add(bytes);
    FunctionCounter.builder(SERVED_BYTES, bytes, b -> b.getAsLong()).baseUnit("bytes")
        .description("Block bytes served to peers").register(registry);
  }

  /** Counts one segment lookup in the store. */
  public void cacheLookup(boolean hit) {
    (hit ? hits : misses).increment();
  }

  /** Records one probe round. */
  public void discovery(Duration latency, boolean matched) {
    (matched ? discoveryMatch : discoveryNone).record(latency);
  }

  /**
   * One of this node's probes came back through its listener {@code nanos} after it was sent
   * (multicast loopback: docs/DISCOVERY.md). The listener reads datagrams in arrival order, so this
   * is how late the node hears its subnet.
   */
  public void ownProbeReturned(long nanos) {
    ownProbeReturn.record(Math.max(0, nanos), java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** Counts one block (or plain range) fetched from the origin for {@code reason}. */
  public void originFallback(FallbackReason reason, long bytes) {
    fallbacks.get(reason).increment();
    fallbackBytes.get(reason).increment(bytes);
  }

  /** Counts verified bytes a reader got that the store could not keep (full disk, small cache). */
  public void passedThrough(long bytes) {
    registry.counter(PASS_THROUGH + ".bytes").increment(bytes);
  }

  /**
   * Exposes the download loop's decision counters, read when scraped: {@code decision} is one of
   * probe, block_request, hedge, block_list, origin_request, origin_cancel, takeover, peer_banned,
   * peer_forgotten.
   */
  public void bindLoop(Map<String, java.util.function.LongSupplier> counters) {
    for (Map.Entry<String, java.util.function.LongSupplier> e : counters.entrySet()) {
      java.util.function.LongSupplier f = e.getValue();
      held.add(f);
      FunctionCounter.builder(LOOP_DECISIONS, f, x -> x.getAsLong()).tag("decision", e.getKey())
          .description("Decisions of the download loop").register(registry);
    }
  }

  /** Counts a dropped malformed input. */
  public void malformed(InputSource source) {
    malformed.get(source).increment();
  }

  /** Counts a probe the PCCRD responder did not answer. */
  public void probeDropped(dev.peerdist.discovery.DiscoveryListener.ProbeDrop reason) {
    probeDrops.get(reason).increment();
  }

  /** Counts held ids left out of a PCCRD reply. */
  public void replyIdsTrimmed(int ids) {
    idsTrimmed.increment(ids);
  }

  /**
   * Exposes the PCCRR server's refusals, read when scraped: {@code reason} = {@code malformed},
   * {@code busy}, {@code http_rejected}, {@code connection_refused}, {@code timeout} (keys of
   * {@code byReason}), and its count of requests that waited in the upload queue.
   */
  public void bindPccrrServer(Map<String, java.util.function.LongSupplier> byReason,
      java.util.function.LongSupplier queued) {
    byReason.forEach((reason, value) -> {
      held.add(value);
      FunctionCounter.builder(PCCRR_SERVER_DROPPED, value, v -> v.getAsLong()).tag("reason", reason)
          .description("PCCRR requests or connections the server refused, by reason").register(registry);
    });
    held.add(queued);
    FunctionCounter.builder(PCCRR_SERVER_QUEUED, queued, v -> v.getAsLong())
        .description("PCCRR requests that waited for an upload slot").register(registry);
  }

  /**
   * Binds the PCCRR client's counters: connections opened, and the answers of timed-out requests
   * ({@code result} = {@code discarded}: arrived late, connection kept; {@code missing}: did not
   * arrive in time, connection closed).
   */
  public void bindPccrrClient(java.util.function.LongSupplier connectionsOpened,
      java.util.function.LongSupplier lateDiscarded, java.util.function.LongSupplier lateMissing) {
    held.add(connectionsOpened);
    held.add(lateDiscarded);
    held.add(lateMissing);
    FunctionCounter.builder(PCCRR_CLIENT_CONNECTIONS, connectionsOpened, v -> v.getAsLong())
        .description("TCP connections the PCCRR client opened").register(registry);
    FunctionCounter.builder(PCCRR_CLIENT_LATE_ANSWERS, lateDiscarded, v -> v.getAsLong()).tag("result", "discarded")
        .description("Answers to timed-out PCCRR requests, by what became of them").register(registry);
    FunctionCounter.builder(PCCRR_CLIENT_LATE_ANSWERS, lateMissing, v -> v.getAsLong()).tag("result", "missing")
        .description("Answers to timed-out PCCRR requests, by what became of them").register(registry);
  }

  /** Counts one segment of an offer received by this hosted cache. */
  public void pchcOffer(String messageType, String result) {
    registry.counter(PCHC_OFFERS, "message_type", messageType, "result", result).increment();
  }

  /** Counts one block this hosted cache asked an offering client for; {@code bytes} stored. */
  public void pchcPulled(String result, long bytes) {
    registry.counter(PCHC_PULLED_BLOCKS, "result", result).increment();
    if (bytes > 0) {
      Counter.builder(PCHC_PULLED_BYTES).baseUnit("bytes").description("Verified bytes pulled from offering clients")
          .register(registry).increment(bytes);
    }
  }

  /** Counts one segment this node offered to a hosted cache ({@code result}: ok, interested, busy, error…). */
  public void pchcOfferSent(String messageType, String result) {
    registry.counter(PCHC_OFFERS_SENT, "message_type", messageType, "result", result).increment();
  }

  /** Counts a block from a peer that failed verification. */
  public void corruptBlock() {
    corrupt.increment();
  }

  /** Counts a failed chunk store call ({@code read} or {@code write}). */
  public void storeError(String operation) {
    (operation.equals("write") ? storeWriteErrors : storeReadErrors).increment();
  }

  /** Counts a finished download. */
  public void download(boolean ok, boolean peerdist) {
    registry.counter(DOWNLOADS, "result", ok ? "ok" : "error", "mode", peerdist ? "peerdist" : "plain")
        .increment();
  }

  /**
   * Counts a PCCRR request this node sent ({@code messageType} e.g. {@code getblks}). Called once
   * per block fetched: the counters are kept by label, because looking one up in the registry
   * builds and sorts its tags every time (a twentieth of the PCCRR client thread's samples in a
   * 512 MiB node-to-node profile). Both label sets are bounded (HOUSE-STYLE 23).
   */
  public void peerRequest(String messageType, String result) {
    Map<String, Counter> byResult = peerRequests.get(messageType);
    if (byResult == null) {
      byResult = peerRequests.computeIfAbsent(messageType, t -> new ConcurrentHashMap<>());
    }
    Counter c = byResult.get(result);
    if (c == null) {
      c = byResult.computeIfAbsent(result,
          r -> registry.counter(PEER_REQUESTS, "message_type", messageType, "result", r));
    }
    c.increment();
  }

  /** Exposes the store's accounting as gauges, read when scraped. */
  public void bindStore(Supplier<StoreStats> stats) {
    Gauge.builder(STORE + ".used", () -> stats.get().usedBytes()).baseUnit("bytes")
        .description("Bytes of peerdist data in the store").register(registry);
    Gauge.builder(STORE + ".capacity", () -> stats.get().capacityBytes()).baseUnit("bytes")
        .description("Configured store capacity").register(registry);
    Gauge.builder(STORE + ".pinned", () -> stats.get().pinnedBytes()).baseUnit("bytes")
        .description("Bytes of pinned segments").register(registry);
    Gauge.builder(STORE + ".segments", () -> stats.get().segments())
        .description("Segments known to the store").register(registry);
    held.add(stats);
    FunctionCounter.builder(STORE + ".evicted.segments", stats, s -> s.get().evictedSegments())
        .description("Segments evicted to make room").register(registry);
    FunctionCounter.builder(STORE + ".dropped.corrupt.blocks", stats, s -> s.get().droppedCorruptBlocks())
        .description("Blocks found damaged or lost on read (or in a repair) and dropped").register(registry);
  }

  /**
   * Binds the store's health as {@code peerdist_store_health_state}: 0 ok, 1 degraded (something
   * was lost or is limited: quarantined files, rebuilt store, full disk, pass-through), 2 failed.
   */
  public void bindStoreHealth(Supplier<dev.peerdist.chunkstore.StoreHealth> health) {
    Gauge.builder(STORE + ".health.state", () -> health.get().state().ordinal())
        .description("Store health: 0 ok, 1 degraded, 2 failed (see /healthz for why)").register(registry);
  }

  /** Binds JVM and process meters. */
  public void bindJvm() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
  }

  /** Binds Netty's pooled allocator and the given event loop groups. */
  public void bindNetty(EventExecutorGroup... groups) {
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    for (EventExecutorGroup g : groups) {
      new NettyEventExecutorMetrics(g).bindTo(registry);
    }
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    if (prometheus == null) {
      throw new IllegalStateException("not a Prometheus registry");
    }
    return prometheus.scrape();
  }

  /** The value of the bytes counter for {@code source} (for status and tests). */
  public long downloadedBytes(ByteSource source) {
    return (long) downloadBytes.get(source).count();
  }

  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
    registry.close();
  }
}
