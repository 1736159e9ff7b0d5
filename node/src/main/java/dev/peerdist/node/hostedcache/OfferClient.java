package dev.peerdist.node.hostedcache;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pchc.ContentTag;
import dev.peerdist.node.pchc.PchcCodec;
import dev.peerdist.node.pchc.PchcDecodeException;
import dev.peerdist.node.pchc.PchcMessage;
import dev.peerdist.node.pchc.PchcMessage.BatchedOffer;
import dev.peerdist.node.pchc.PchcMessage.InitialOffer;
import dev.peerdist.node.pchc.PchcMessage.SegmentDescriptor;
import dev.peerdist.node.pchc.PchcMessage.SegmentInfo;
import dev.peerdist.node.pchc.ResponseCode;
import dev.peerdist.node.pchc.SegmentInformation;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of MS-PCHC (PROTOCOL.md §6): offers every segment this node finished to the
 * hosted caches it knows (configured, or found by DNS-SD), so the hosted cache pulls it by PCCRR
 * and serves it to the branch's other subnets.
 *
 * <p>Threads (HOUSE-STYLE 14): {@link #segmentComplete} is called on the download loop's thread
 * and only puts the record into a bounded queue (a full queue drops the offer and counts it: an
 * offer is an optimisation, never worth blocking a download). One thread, {@code pchc-offer},
 * takes up to {@value PchcCodec#MAX_BATCH} queued records at a time and sends them: to a version
 * 1.0 target (HTTPS) one INITIAL_OFFER per segment and the SEGMENT_INFO when the answer is
 * INTERESTED; to a version 2.0 target (HTTP) one BATCHED_OFFER for the lot. A segment offered once
 * is not offered again while it is among the last {@value #RECENT} offered. A target that fails
 * (connection, timeout, HTTP error, bad answer) is skipped for {@link #BACKOFF}. Requests time out
 * after {@link #TIMEOUT} (clients give up after 10–15 s, §6.4). Offers never go through an HTTP
 * proxy: hosted caches are on the branch's own network.
 */
public final class OfferClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OfferClient.class);
  /** Records waiting to be offered. */
  static final int QUEUE = 4096;
  /** Segments remembered as offered. */
  static final int RECENT = 8192;
  /** Most hosted caches offered to. */
  static final int MAX_TARGETS = 4;
  /** One offer request. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** How long a failing target is left alone. */
  static final Duration BACKOFF = Duration.ofSeconds(30);

  /** Where offer outcomes are counted. */
  public interface Listener {
    /** One segment of an offer: {@code result} ok, interested, error, dropped (queue full) or skipped (target backing off). */
    void sent(String messageType, String result);
  }

  private final int pccrrPort;
  private final SSLContext tls;
  private HttpClient http;
  private final Listener listener;
  private final BlockingQueue<SegmentRecord> queue = new ArrayBlockingQueue<>(QUEUE);
  private final List<Target> targets = new CopyOnWriteArrayList<>();
  private final Map<SegmentId, Boolean> recent = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<SegmentId, Boolean> eldest) {
      return size() > RECENT;
    }
  };
  private final Thread thread;
  private volatile boolean closed;

  private static final class Target {
    final HostedCacheTarget target;
    final String via;
    long downUntilNanos;

    Target(HostedCacheTarget target, String via) {
      this.target = target;
      this.via = via;
    }
  }

  /**
   * @param pccrrPort this node's PCCRR port (CONNECTION_INFORMATION.Port of every offer)
   * @param tls the TLS context for version 1.0 targets (pinned certificate, trust-all, or the JDK's)
   */
  public OfferClient(int pccrrPort, SSLContext tls, Listener listener) {
    this.pccrrPort = pccrrPort;
    this.listener = listener;
    this.tls = tls;
    this.thread = new Thread(this::run, "pchc-offer");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The HTTP client, made at the first offer: building one sets up the JDK's default TLS context
   * (every CA certificate of the trust store parsed), a quarter of a daemon's start-up CPU on a
   * node that offers to no hosted cache, as most do.
   */
  private synchronized HttpClient http() {
    if (http == null) {
      HttpClient.Builder b = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(3))
          .proxy(HttpClient.Builder.NO_PROXY)
          .followRedirects(HttpClient.Redirect.NEVER);
      if (tls != null) {
        b.sslContext(tls);
      }
      http = b.build();
    }
    return http;
  }

  /** A TLS context trusting exactly the certificate(s) in {@code pem} (a hosted cache's self-signed one). */
  public static SSLContext pinned(java.nio.file.Path pem) {
    return PinnedTrust.sslContext(pem);
  }

  /** Adds a hosted cache to offer to (ignored when already known or when {@value #MAX_TARGETS} are). */
  public void addTarget(HostedCacheTarget t, String via) {
    synchronized (targets) {
      if (targets.size() >= MAX_TARGETS || targets.stream().anyMatch(x -> x.target.equals(t))) {
        return;
      }
      targets.add(new Target(t, via));
    }
    LOG.info("offering finished segments to the hosted cache at {} ({})", t.offerUri(), via);
  }

  /** The hosted caches offered to. */
  public List<HostedCacheTarget> targets() {
    return targets.stream().map(t -> t.target).toList();
  }

  /** A segment's blocks are all stored: offer it. Returns at once (called on the download loop). */
  public void segmentComplete(SegmentRecord record) {
    if (closed || targets.isEmpty()) {
      return;
    }
    if (!queue.offer(record)) {
      listener.sent("queue", "dropped");
    }
  }

  private void run() {
    List<SegmentRecord> batch = new ArrayList<>();
    while (!closed) {
      try {
        SegmentRecord first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        batch.clear();
        batch.add(first);
        queue.drainTo(batch, PchcCodec.MAX_BATCH - 1);
        List<SegmentRecord> fresh = new ArrayList<>();
        synchronized (recent) {
          for (SegmentRecord r : batch) {
            if (recent.put(r.id(), Boolean.TRUE) == null) {
              fresh.add(r);
            }
          }
        }
        if (!fresh.isEmpty()) {
          for (Target t : targets) {
            offer(t, fresh);
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.warn("hosted-cache offers: {}", e.toString());
      }
    }
  }

  private void offer(Target t, List<SegmentRecord> records) throws InterruptedException {
    if (System.nanoTime() - t.downUntilNanos < 0) {
      listener.sent(t.target.v1() ? "initial_offer" : "batched_offer", "skipped");
      return;
    }
    try {
      if (t.target.v1()) {
        for (SegmentRecord r : records) {
          if (r.version() != ContentVersion.V1) {
            continue; // SEGMENT_INFO carries a V1 structure only (§6.3)
          }
          ResponseCode c = send(t, new InitialOffer(pccrrPort, r.id()));
          listener.sent("initial_offer", c == ResponseCode.INTERESTED ? "interested" : "ok");
          if (c == ResponseCode.INTERESTED) {
            send(t, new SegmentInfo(pccrrPort, ContentTag.PEERDIST, SegmentInformation.of(r)));
            listener.sent("segment_info", "ok");
          }
        }
      } else {
        List<SegmentDescriptor> ds = new ArrayList<>();
        for (SegmentRecord r : records) {
          descriptor(r).ifPresent(ds::add);
        }
        if (!ds.isEmpty()) {
          send(t, new BatchedOffer(pccrrPort, ds));
          for (int i = 0; i < ds.size(); i++) {
            listener.sent("batched_offer", "ok");
          }
        }
      }
    } catch (IOException e) {
      t.downUntilNanos = System.nanoTime() + BACKOFF.toNanos();
      listener.sent(t.target.v1() ? "initial_offer" : "batched_offer", "error");
      LOG.info("hosted cache at {} did not take an offer ({}); trying again in {} s", t.target.offerUri(),
          e.getMessage(), BACKOFF.toSeconds());
    }
  }

  /** A batch descriptor for a segment, when a batch can name it (32-byte ids: SHA-256 V1, or V2). */
  static java.util.Optional<SegmentDescriptor> descriptor(SegmentRecord r) {
    if (r.version() == ContentVersion.V2) {
      return java.util.Optional.of(new SegmentDescriptor(r.segmentLength(), r.segmentLength(), ContentTag.PEERDIST,
          SegmentDescriptor.TRUNCATED_SHA_512, r.id()));
    }
    if (r.algorithm() == HashAlgorithm.SHA_256) {
      return java.util.Optional.of(new SegmentDescriptor(r.blockSize(), r.segmentLength(), ContentTag.PEERDIST,
          SegmentDescriptor.SHA_256, r.id()));
    }
    return java.util.Optional.empty();
  }

  private ResponseCode send(Target t, PchcMessage m) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(t.target.offerUri())
        .timeout(TIMEOUT)
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofByteArray(PchcCodec.encode(m)))
        .build();
    HttpResponse<byte[]> r = http().send(req, HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + " to " + m.label());
    }
    try {
      ResponseCode c = PchcCodec.decodeResponse(ByteBuffer.wrap(r.body()));
      if (c == null) {
        throw new IOException("a " + r.body().length + "-byte answer is not a RESPONSE_MESSAGE");
      }
      return c;
    } catch (PchcDecodeException e) {
      throw new IOException("bad answer: " + e.getMessage(), e);
    }
  }

  /** Stops the offer thread; queued offers are dropped. Idempotent. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
