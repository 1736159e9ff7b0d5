package dev.peerdist.node.publish;

import dev.peerdist.node.origin.TrustAll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fronts an upstream HTTP(S) origin: each requested object is fetched once into {@code
 * STATE/upstream/<sha256(url)[0..16]>/} with its upstream ETag and Last-Modified, and then served
 * (and hashed) like a local file. A copy is used without asking the upstream again for {@code
 * upstreamRevalidate}; after that it is revalidated with a conditional GET (If-None-Match /
 * If-Modified-Since): 304 keeps it, 200 replaces it, 404 removes it.
 *
 * <p>The upstream is asked for plain content only (no {@code peerdist} coding), so it may itself
 * be a PeerDist server. Query strings are not forwarded. Objects larger than {@code
 * upstreamMaxBytes} are refused (502). Fetches of the same URL are joined; at most {@link
 * #FETCH_THREADS} copy at a time.
 */
final class UpstreamMirror implements ResourceResolver {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamMirror.class);
  static final int FETCH_THREADS = 4;
  static final int MAX_QUEUED_FETCHES = 256;

  private final PublisherConfig config;
  private final Path dir;
  private final HttpClient client;
  private final ThreadPoolExecutor fetchers;
  private final Clock clock;
  /** In-flight fetches by URL. */
  private final ConcurrentHashMap<String, CompletableFuture<Optional<ServedFile>>> inFlight =
      new ConcurrentHashMap<>();

  UpstreamMirror(PublisherConfig config, Path dir) {
    this(config, dir, Clock.systemUTC());
  }

  UpstreamMirror(PublisherConfig config, Path dir, Clock clock) {
    this.config = config;
    this.dir = dir;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    // Bounded: FETCH_THREADS copies at a time, MAX_QUEUED_FETCHES waiting; beyond that 502.
    this.fetchers =
        new ThreadPoolExecutor(
            FETCH_THREADS,
            FETCH_THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(MAX_QUEUED_FETCHES),
            r -> {
              Thread t = new Thread(r, "publisher-upstream-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(config.upstreamTimeout())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .version(HttpClient.Version.HTTP_1_1);
    if (config.upstreamTrustAll()) {
      b.sslContext(TrustAll.sslContext());
    }
    this.client = b.build();
  }

  @Override
  public CompletableFuture<Optional<ServedFile>> resolve(String decodedPath) {
    Optional<String> rel = RootDirectory.safeRelative(decodedPath);
    if (rel.isEmpty() || rel.get().isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    URI url;
    try {
      url = upstreamUrl(config.upstream(), rel.get());
    } catch (URISyntaxException e) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    String key = url.toString();
    Path entry = dir.resolve(HexFormat.of().formatHex(PublisherState.sha256(key.getBytes(StandardCharsets.UTF_8)), 0, 16));
    Optional<Meta> meta = Meta.read(entry);
    if (meta.isPresent()
        && Files.isRegularFile(entry.resolve("data"))
        && meta.get().fetchedAt.plus(config.upstreamRevalidate()).isAfter(clock.instant())) {
      return CompletableFuture.completedFuture(local(entry, key, meta.get()));
    }
    CompletableFuture<Optional<ServedFile>> fresh = new CompletableFuture<>();
    CompletableFuture<Optional<ServedFile>> existing = inFlight.putIfAbsent(key, fresh);
    if (existing != null) {
      return existing;
    }
    try {
      fetchers.execute(
          () -> {
            try {
              fresh.complete(fetch(url, key, entry, meta));
            } catch (IOException | RuntimeException e) {
              fresh.completeExceptionally(e);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              fresh.completeExceptionally(e);
            } finally {
              inFlight.remove(key, fresh);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      inFlight.remove(key, fresh);
      fresh.completeExceptionally(e);
    }
    return fresh;
  }

  /** The upstream URL of a safe relative path: each segment percent-encoded as a path segment. */
  static URI upstreamUrl(URI base, String rel) throws URISyntaxException {
    String basePath = base.getPath() == null ? "" : base.getPath();
    if (basePath.endsWith("/")) {
      basePath = basePath.substring(0, basePath.length() - 1);
    }
    return new URI(base.getScheme(), base.getUserInfo(), base.getHost(), base.getPort(), basePath + "/" + rel, null, null);
  }

  private Optional<ServedFile> fetch(URI url, String key, Path entry, Optional<Meta> old)
      throws IOException, InterruptedException {
    HttpRequest.Builder rb = HttpRequest.newBuilder(url).GET().timeout(config.upstreamTimeout());
    boolean haveCopy = old.isPresent() && Files.isRegularFile(entry.resolve("data"));
    if (haveCopy && old.get().etag != null) {
      rb.header("If-None-Match", old.get().etag);
    } else if (haveCopy && old.get().lastModified != null) {
      rb.header("If-Modified-Since", old.get().lastModified);
    }
    HttpResponse<InputStream> resp = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = resp.body()) {
      int status = resp.statusCode();
      if (status == 304 && haveCopy) {
        Meta m = old.get().refreshed(clock.instant());
        m.write(entry);
        return local(entry, key, m);
      }
      if (status == 404 || status == 410) {
        deleteEntry(entry);
        return Optional.empty();
      }
      if (status != 200) {
        throw new IOException("upstream " + url + " answered " + status);
      }
      long declared = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > config.upstreamMaxBytes()) {
        throw new IOException(
            "upstream object " + url + " has " + declared + " bytes, over the limit of " + config.upstreamMaxBytes());
      }
      Files.createDirectories(entry);
      Path tmp = Files.createTempFile(entry, "data", ".tmp");
      try {
        long n = copyBounded(body, tmp, config.upstreamMaxBytes(), url);
        if (declared >= 0 && n != declared) {
          throw new IOException("upstream " + url + " sent " + n + " of " + declared + " bytes");
        }
        Meta m =
            new Meta(
                url.toString(),
                resp.headers().firstValue("ETag").orElse(null),
                resp.headers().firstValue("Last-Modified").orElse(null),
                clock.instant());
        Files.move(tmp, entry.resolve("data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        m.write(entry);
        LOG.info("fetched {} ({} bytes) from upstream", url, n);
        return local(entry, key, m);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
  }

  private static long copyBounded(InputStream in, Path target, long max, URI url) throws IOException {
    long n = 0;
    byte[] buf = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(target)) {
      int r;
      while ((r = in.read(buf)) > 0) {
        n += r;
        if (n > max) {
          throw new IOException("upstream object " + url + " exceeds the limit of " + max + " bytes");
        }
        out.write(buf, 0, r);
      }
    }
    return n;
  }

  private static Optional<ServedFile> local(Path entry, String key, Meta m) {
    try {
      return Optional.of(ServedFile.of(entry.resolve("data"), key, m.lastModifiedInstant()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void deleteEntry(Path entry) throws IOException {
    Files.deleteIfExists(entry.resolve("data"));
    Files.deleteIfExists(entry.resolve("meta.properties"));
  }

  /** What is remembered of an upstream object beside its bytes. */
  private record Meta(String url, String etag, String lastModified, Instant fetchedAt) {
    static Optional<Meta> read(Path entry) {
      Path f = entry.resolve("meta.properties");
      if (!Files.isRegularFile(f)) {
        return Optional.empty();
      }
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(f)) {
        p.load(in);
        return Optional.of(
            new Meta(
                p.getProperty("url"),
                p.getProperty("etag"),
                p.getProperty("lastModified"),
                Instant.ofEpochMilli(Long.parseLong(p.getProperty("fetchedAt", "0")))));
      } catch (IOException | NumberFormatException e) {
        return Optional.empty();
      }
    }

    void write(Path entry) throws IOException {
      Properties p = new Properties();
      p.setProperty("url", url);
      if (etag != null) {
        p.setProperty("etag", etag);
      }
      if (lastModified != null) {
        p.setProperty("lastModified", lastModified);
      }
      p.setProperty("fetchedAt", Long.toString(fetchedAt.toEpochMilli()));
      Path tmp = Files.createTempFile(entry, "meta", ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(tmp)) {
          p.store(out, "peerdist upstream copy");
        }
        Files.move(tmp, entry.resolve("meta.properties"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    }

    Meta refreshed(Instant now) {
      return new Meta(url, etag, lastModified, now);
    }

    Instant lastModifiedInstant() {
      if (lastModified == null) {
        return null;
      }
      try {
        return ZonedDateTime.parse(lastModified, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      } catch (DateTimeParseException e) {
        return null;
      }
    }
  }

  @Override
  public void close() {
    fetchers.shutdownNow();
    try {
      fetchers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
