package dev.peerdist.node.publish;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content information computed once per (resource, version, ETag, server secret) and kept on
 * disk, so a restart serves it again without hashing (PROTOCOL.md §5.3: hashes are made ahead
 * of or beside serving, never on the request path).
 *
 * <pre>
 *   STATE/content-information/&lt;sha256(cacheKey)[0..16]&gt;/&lt;v1|v2&gt;-&lt;sha256(etag, secret fingerprint)[0..8]&gt;.ci
 * </pre>
 *
 * <p>Writing a new entry removes older entries of the same resource and version, so changed
 * files do not pile up. Hashing runs on a bounded pool ({@code hashThreads} threads, at most
 * {@code maxQueuedHashJobs} waiting jobs); one job per key at a time. A job whose file changed
 * while it was hashed is discarded. Recently used entries are also kept in memory (LRU, bounded
 * by {@link #MEMORY_BYTES}).
 */
public final class ContentInformationCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ContentInformationCache.class);
  /** Bytes of content information kept in memory. */
  static final long MEMORY_BYTES = 64L << 20;

  private final Path dir;
  private final ContentInformationSource source;
  private final byte[] secret;
  private final String secretFingerprint;
  private final ThreadPoolExecutor pool;
  private final Map<String, CompletableFuture<byte[]>> inFlight = new ConcurrentHashMap<>();
  private final LinkedHashMap<String, byte[]> memory = new LinkedHashMap<>(64, 0.75f, true);
  private long memoryBytes;
  private final AtomicLong generated = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  /**
   * @param dir the cache directory (created if missing)
   * @param hashThreads concurrent hashing jobs
   * @param maxQueued waiting jobs beyond those running
   */
  public ContentInformationCache(
      Path dir, ContentInformationSource source, PublisherState state, int hashThreads, int maxQueued)
      throws IOException {
    Files.createDirectories(dir);
    this.dir = dir;
    this.source = source;
    this.secret = state.secretKeyMaterial();
    this.secretFingerprint = state.secretFingerprint();
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            hashThreads,
            hashThreads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(maxQueued),
            r -> {
              Thread t = new Thread(r, "publisher-hash-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
  }

  /** Content information already computed for this file state, from memory or disk. */
  public Optional<byte[]> ready(ServedFile f, ContentVersion v) {
    String key = key(f, v);
    synchronized (memory) {
      byte[] m = memory.get(key);
      if (m != null) {
        return Optional.of(m);
      }
    }
    Path entry = entry(f, v);
    try {
      byte[] b = Files.readAllBytes(entry);
      if (!source.describes(b, f.size())) {
        LOG.warn("discarding damaged cached content information {}", entry);
        Files.deleteIfExists(entry);
        return Optional.empty();
      }
      remember(key, b);
      return Optional.of(b);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      LOG.warn("cannot read cached content information {}: {}", entry, e.toString());
      return Optional.empty();
    }
  }

  /**
   * The content information, computed in the background when it is not ready. The future fails
   * with {@link RejectedExecutionException} when the hashing queue is full, or with the I/O
   * error of the job.
   */
  public CompletableFuture<byte[]> request(ServedFile f, ContentVersion v) {
    Optional<byte[]> r = ready(f, v);
    if (r.isPresent()) {
      return CompletableFuture.completedFuture(r.get());
    }
    String key = key(f, v);
    CompletableFuture<byte[]> fresh = new CompletableFuture<>();
    CompletableFuture<byte[]> existing = inFlight.putIfAbsent(key, fresh);
    if (existing != null) {
      return existing;
    }
    try {
      pool.execute(() -> compute(f, v, key, fresh));
    } catch (RejectedExecutionException e) {
      rejected.incrementAndGet();
      inFlight.remove(key, fresh);
      fresh.completeExceptionally(e);
    }
    return fresh;
  }

  private void compute(ServedFile f, ContentVersion v, String key, CompletableFuture<byte[]> result) {
    try {
      long t0 = System.nanoTime();
      byte[] ci = source.generate(f.file(), v, secret);
      if (!f.unchangedOnDisk()) {
        throw new IOException("file changed while it was hashed: " + f.file());
      }
      store(f, v, ci);
      remember(key, ci);
      generated.incrementAndGet();
      LOG.info(
          "hashed {} ({} bytes, {}) in {} ms",
          f.cacheKey(),
          f.size(),
          v,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      result.complete(ci);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot hash {}: {}", f.cacheKey(), e.toString());
      result.completeExceptionally(e);
    } finally {
      inFlight.remove(key, result);
    }
  }

  private void store(ServedFile f, ContentVersion v, byte[] ci) throws IOException {
    Path target = entry(f, v);
    Path parent = target.getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, "ci", ".tmp");
    try {
      Files.write(tmp, ci);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    String prefix = prefix(v);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, prefix + "*.ci")) {
      for (Path old : ds) {
        if (!old.getFileName().equals(target.getFileName())) {
          Files.deleteIfExists(old);
        }
      }
    }
  }

  private void remember(String key, byte[] ci) {
    if (ci.length > MEMORY_BYTES / 4) {
      return;
    }
    synchronized (memory) {
      byte[] prev = memory.put(key, ci);
      memoryBytes += ci.length - (prev == null ? 0 : prev.length);
      Iterator<byte[]> it = memory.values().iterator();
      while (memoryBytes > MEMORY_BYTES && it.hasNext()) {
        memoryBytes -= it.next().length;
        it.remove();
      }
    }
  }

  private String key(ServedFile f, ContentVersion v) {
    return f.cacheKey() + "\n" + v + "\n" + f.changeKey() + "\n" + secretFingerprint;
  }

  private Path entry(ServedFile f, ContentVersion v) {
    HexFormat hex = HexFormat.of();
    String resource = hex.formatHex(PublisherState.sha256(f.cacheKey().getBytes(StandardCharsets.UTF_8)), 0, 16);
    String state =
        hex.formatHex(
            PublisherState.sha256((f.changeKey() + "\n" + secretFingerprint).getBytes(StandardCharsets.UTF_8)), 0, 8);
    return dir.resolve(resource).resolve(prefix(v) + state + ".ci");
  }

  private static String prefix(ContentVersion v) {
    return (v == ContentVersion.V1 ? "v1" : "v2") + "-";
  }

  /** Hashing jobs completed since start. */
  public long generatedCount() {
    return generated.get();
  }

  /** Requests that found the hashing queue full. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Hashing jobs running or waiting for a thread. */
  public int backlog() {
    return pool.getActiveCount() + pool.getQueue().size();
  }

  /** The source, for range restriction. */
  ContentInformationSource source() {
    return source;
  }

  /** Stops hashing; running jobs are interrupted. Idempotent. */
  @Override
  public void close() {
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
