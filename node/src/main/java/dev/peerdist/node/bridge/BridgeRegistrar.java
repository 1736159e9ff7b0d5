package dev.peerdist.node.bridge;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.origin.ContentInformationResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the {@link ContentBridge}: told about every V1 content information the node receives
 * from a publisher ({@link #contentInformation}, called from the download path), it asks the
 * publisher once more for the same URL offering {@code MaxContentInformation=2.0} (PROTOCOL.md
 * §5.1) and registers the pair. The download never waits for it: the work runs on one thread
 * ({@code bridge-registrar}) with at most 64 contents pending; beyond that a request is dropped
 * (counted) and the next download of the URL tries again. A publisher still hashing answers
 * plainly with {@code MakeHashRequest=true} (PROTOCOL.md §5.2 step 3): the request is repeated
 * after 2, 4, 8, 16 and 30 s.
 *
 * <p>Skipped: content that is bridged already, content information that is not V1 or not the
 * whole content (a range), a URL whose publisher answered without V2 in the last {@link
 * #NO_V2_MEMORY} (remembered for up to 1024 URLs), and a V2 answer whose ETag or length differs
 * from the V1 answer's (the file changed in between).
 */
public final class BridgeRegistrar implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeRegistrar.class);
  /** How long a publisher that offered no V2 for a URL is not asked again. */
  static final Duration NO_V2_MEMORY = Duration.ofMinutes(10);
  private static final int QUEUE = 64;
  /** Seconds before each repeat while the publisher is still hashing. */
  private static final long[] RETRY_SECONDS = {2, 4, 8, 16, 30};

  /** Asks the publisher for {@code url} offering content information 2.0. */
  @FunctionalInterface
  public interface V2Source {
    ContentInformationResponse fetch(URI url) throws IOException, InterruptedException;
  }

  private final ContentBridge bridge;
  private final V2Source source;
  private final Clock clock;
  private final java.util.concurrent.ScheduledThreadPoolExecutor worker;
  private final Set<ByteBuffer> pending = new HashSet<>();
  private final Map<URI, Instant> noV2 = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<URI, Instant> eldest) {
      return size() > 1024;
    }
  };
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  public BridgeRegistrar(ContentBridge bridge, V2Source source, Clock clock) {
    this.bridge = bridge;
    this.source = source;
    this.clock = clock;
    this.worker = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "bridge-registrar");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * The download path got {@code answer} for {@code url}: bridge it unless there is nothing to
   * do. Returns at once; never throws.
   */
  public void contentInformation(URI url, ContentInformationResponse.Encoded answer) {
    try {
      ContentInformation v1 = answer.info();
      if (v1.version() != ContentVersion.V1 || answer.contentRange() != null || v1.contentRange().start() != 0
          || !v1.listedRange().equals(v1.contentRange()) || v1.segmentCount() > ContentBridge.MAX_V1_SEGMENTS) {
        return;
      }
      synchronized (this) {
        Instant no = noV2.get(url);
        if (no != null && clock.instant().isBefore(no.plus(NO_V2_MEMORY))) {
          return;
        }
      }
      if (bridge.covers(v1)) {
        return;
      }
      ByteBuffer key = ByteBuffer.wrap(ContentBridge.contentKey(v1));
      synchronized (this) {
        if (pending.size() >= QUEUE) {
          dropped.incrementAndGet();
          LOG.debug("bridge: {} contents pending, {} not bridged this time", QUEUE, url);
          return;
        }
        if (!pending.add(key)) {
          return;
        }
      }
      schedule(url, answer, key, 0);
    } catch (RuntimeException e) {
      failed.incrementAndGet();
      LOG.debug("bridge: cannot consider {}: {}", url, e.toString());
    }
  }

  private void schedule(URI url, ContentInformationResponse.Encoded answer, ByteBuffer key, int attempt) {
    try {
      worker.schedule(() -> {
        boolean again = false;
        try {
          again = !register(url, answer) && attempt < RETRY_SECONDS.length;
        } finally {
          if (again) {
            schedule(url, answer, key, attempt + 1);
          } else {
            synchronized (this) {
              pending.remove(key);
            }
          }
        }
      }, attempt == 0 ? 0 : RETRY_SECONDS[attempt - 1], TimeUnit.SECONDS);
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        pending.remove(key); // Closed.
      }
    }
  }

  /** One attempt; false when the publisher is still hashing and it is worth asking again. */
  private boolean register(URI url, ContentInformationResponse.Encoded v1Answer) {
    try (ContentInformationResponse r = source.fetch(url)) {
      if (r instanceof ContentInformationResponse.Plain plain && plain.makeHashRequest()) {
        LOG.debug("bridge: {} is still being hashed by its publisher; asking again later", url);
        return false;
      }
      if (!(r instanceof ContentInformationResponse.Encoded pd) || pd.info().version() != ContentVersion.V2) {
        synchronized (this) {
          noV2.put(url, clock.instant());
        }
        LOG.debug("bridge: {} offers no V2 content information", url);
        return true;
      }
      if (pd.contentLength() != v1Answer.contentLength() || differ(pd.etag(), v1Answer.etag())) {
        LOG.info("bridge: {} changed between the V1 and the V2 request; not bridged", url);
        return true;
      }
      bridge.register(v1Answer.info(), pd.info());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      failed.incrementAndGet();
      LOG.info("bridge: {} not bridged: {}", url, e.getMessage());
    }
    return true;
  }

  private static boolean differ(Optional<String> a, Optional<String> b) {
    return a.isPresent() && b.isPresent() && !a.get().equals(b.get());
  }

  /** Requests dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  /** Registrations that failed (publisher errors, content that does not bridge). */
  public long failed() {
    return failed.get();
  }

  /** Waits until every queued registration is done (tests), at most {@code timeout}. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      synchronized (this) {
        if (pending.isEmpty()) {
          return true;
        }
      }
      Thread.sleep(20);
    }
    return false;
  }

  @Override
  public void close() {
    worker.shutdownNow();
    try {
      worker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
