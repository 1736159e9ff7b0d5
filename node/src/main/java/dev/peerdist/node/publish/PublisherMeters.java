package dev.peerdist.node.publish;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The publishing server's own meters (its own Prometheus registry; a publisher is not a node).
 * Names get the {@code peerdist_publisher_} prefix; labels are bounded: {@code kind} (what was
 * answered), {@code status} (the HTTP status code the handler sent), {@code result}.
 * {@code docs/METRICS.md} documents each.
 */
public final class PublisherMeters implements AutoCloseable {
  /** peerdist_publisher_requests_total{kind, status}. */
  public static final String REQUESTS = "peerdist.publisher.requests";
  /** peerdist_publisher_served_bytes_total{kind}: response body bytes written. */
  public static final String SERVED_BYTES = "peerdist.publisher.served";
  /** peerdist_publisher_content_information_lookups_total{result=hit|miss}. */
  public static final String CI_LOOKUPS = "peerdist.publisher.content.information.lookups";
  /** peerdist_publisher_hash_jobs_total{result=ok|rejected}. */
  public static final String HASH_JOBS = "peerdist.publisher.hash.jobs";
  /** peerdist_publisher_hash_backlog: hashing jobs running or waiting. */
  public static final String HASH_BACKLOG = "peerdist.publisher.hash.backlog";
  /** peerdist_publisher_open_connections. */
  public static final String CONNECTIONS = "peerdist.publisher.open.connections";
  /** Connections closed at once, by why: {@code total}, {@code per_address}, {@code crowded}. */
  public static final String REFUSED = "peerdist.publisher.refused.connections";

  /** What a response was. */
  public enum Kind {
    CONTENT_INFORMATION("content_information"),
    FILE("file"),
    RANGE("range"),
    NOT_MODIFIED("not_modified"),
    ERROR("error");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** The connection limit that closed a connection at once ({@link PublishingServer}). */
  public enum Refusal {
    /** All connections together. */
    TOTAL("total"),
    /** Connections from one address. */
    PER_ADDRESS("per_address"),
    /** One address's share while the server is crowded. */
    CROWDED("crowded");

    final String label;

    Refusal(String label) {
      this.label = label;
    }
  }

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter hits;
  private final Counter misses;
  /** By {@link Refusal}, registered up front: refusals come in floods, and are not looked up each. */
  private final java.util.EnumMap<Refusal, Counter> refusals = new java.util.EnumMap<>(Refusal.class);

  public PublisherMeters() {
    for (Kind k : Kind.values()) {
      Counter.builder(SERVED_BYTES).baseUnit("bytes").tag("kind", k.label)
          .description("Response body bytes written, by kind").register(registry);
    }
    hits = Counter.builder(CI_LOOKUPS).tag("result", "hit")
        .description("Content-information requests answered from the cache").register(registry);
    misses = Counter.builder(CI_LOOKUPS).tag("result", "miss")
        .description("Content-information requests that had to wait for hashing").register(registry);
    for (Refusal r : Refusal.values()) {
      refusals.put(r, Counter.builder(REFUSED).tag("limit", r.label)
          .description("Connections closed at once, by the limit they hit").register(registry));
    }
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** The kind of a response from its status and the handler's reason text. */
  static Kind kind(int status, String why) {
    if (status >= 400) {
      return Kind.ERROR;
    }
    if (status == 304) {
      return Kind.NOT_MODIFIED;
    }
    if (why.startsWith("content information")) {
      return Kind.CONTENT_INFORMATION;
    }
    return status == 206 ? Kind.RANGE : Kind.FILE;
  }

  /** Counts one finished response. */
  void request(int status, String why, long bodyBytes) {
    Kind k = kind(status, why);
    registry.counter(REQUESTS, "kind", k.label, "status", Integer.toString(status)).increment();
    registry.counter(SERVED_BYTES, "kind", k.label).increment(bodyBytes);
  }

  /** Counts one content-information lookup. */
  void contentInformation(boolean hit) {
    (hit ? hits : misses).increment();
  }

  /** Counts a connection closed at once by {@code limit}. */
  void refused(Refusal limit) {
    refusals.get(limit).increment();
  }

  /** Exposes the hashing pool and connection count, read when scraped. */
  void bind(ContentInformationCache cache, ToDoubleFunction<ContentInformationCache> connections) {
    Gauge.builder(HASH_BACKLOG, cache, ContentInformationCache::backlog)
        .description("Hashing jobs running or waiting").register(registry);
    FunctionCounter.builder(HASH_JOBS, cache, ContentInformationCache::generatedCount).tag("result", "ok")
        .description("Hashing jobs, by result").register(registry);
    FunctionCounter.builder(HASH_JOBS, cache, ContentInformationCache::rejectedCount).tag("result", "rejected")
        .description("Hashing jobs, by result").register(registry);
    Gauge.builder(CONNECTIONS, cache, connections).description("Open client connections").register(registry);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    registry.close();
  }
}
