package dev.peerdist.simulator.load;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.retrieval.PeerClient;
import dev.peerdist.node.retrieval.PeerClientConfig;
import dev.peerdist.node.retrieval.PeerExchangeException;
import dev.peerdist.node.retrieval.Outcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code peerdist simulate load}: many virtual peers against one real node or cache server.
 * PCCRR requests are MSG_GETBLKS for one block each, sent with the project's own {@link
 * PeerClient} (one connection pool to the target); probes go through {@link ProbeSender}. Two
 * ways to pace: a fixed concurrency (each virtual peer sends its next request when the last one
 * ended: closed loop) or a fixed rate (open loop; a request that would exceed the concurrency
 * bound is not sent and is counted as {@code client_limited}). Mixed load sends one probe per
 * {@value #PROBE_EVERY} requests, about what a downloading node does (a probe per segment is
 * followed by many block requests). Bounded in time, connections and requests in flight.
 */
public final class LoadGenerator {
  static final int PROBE_EVERY = 16;
  /** Most requests in flight and most PCCRR connections. */
  public static final int MAX_CONCURRENCY = 4096;
  public static final int MAX_CONNECTIONS = 1024;

  /** What to send. */
  public enum Kind {
    PROBE,
    PCCRR,
    MIXED
  }

  /** A segment the target is asked for, with its block count. */
  public record Segment(SegmentId id, int blocks) {}

  /**
   * One load run.
   *
   * @param pccrr the target's PCCRR address (PCCRR and mixed)
   * @param probeUnicast the target's discovery address, or null to multicast on {@code iface}
   * @param multicastPort discovery port of the group when multicasting
   * @param iface interface for multicast probes
   * @param kind what to send
   * @param rate requests per second (open loop), or 0 for closed loop at {@code concurrency}
   * @param concurrency requests in flight (closed loop), or their bound (open loop)
   * @param connections PCCRR connections to the target
   * @param duration how long to send
   * @param timeout per request
   * @param segments what to ask for (empty: random ids, so every answer is the empty one)
   * @param targetPid the target's pid for its RSS, or -1
   * @param seed the random choices of segment and block
   */
  public record Options(InetSocketAddress pccrr, InetSocketAddress probeUnicast, int multicastPort, String iface,
      Kind kind, double rate, int concurrency, int connections, Duration duration, Duration timeout,
      List<Segment> segments, long targetPid, long seed) {
    public Options {
      segments = List.copyOf(segments);
      if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
        throw new IllegalArgumentException("concurrency must be within 1.." + MAX_CONCURRENCY + ", got " + concurrency);
      }
      if (connections < 1 || connections > MAX_CONNECTIONS) {
        throw new IllegalArgumentException("connections must be within 1.." + MAX_CONNECTIONS + ", got " + connections);
      }
      if (!(rate >= 0 && rate <= 1e6)) {
        throw new IllegalArgumentException("rate must be within 0..1000000 per second, got " + rate);
      }
      if (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("duration must be within (0, 1 h], got " + duration);
      }
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("timeout must be within (0, 1 min], got " + timeout);
      }
      if (kind != Kind.PROBE && pccrr == null) {
        throw new IllegalArgumentException("PCCRR load needs the target's PCCRR address");
      }
      if (kind != Kind.PCCRR && probeUnicast == null && (iface == null || iface.isEmpty())) {
        throw new IllegalArgumentException("multicast probes need an interface");
      }
    }
  }

  /** What a run measured: per kind, and the target's memory. */
  public record Result(double seconds, LoadStats pccrr, LoadStats probe, long clientLimited, OptionalLong rssBefore,
      OptionalLong rssMax, OptionalLong rssAfter, long targetPid) {
    /** A JSON-ready view. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("seconds", seconds);
      m.put("pccrr", pccrr.toMap(seconds));
      m.put("probe", probe.toMap(seconds));
      m.put("client_limited", clientLimited);
      m.put("target_pid", targetPid);
      m.put("target_rss_before_bytes", rssBefore.isPresent() ? rssBefore.getAsLong() : null);
      m.put("target_rss_max_bytes", rssMax.isPresent() ? rssMax.getAsLong() : null);
      m.put("target_rss_after_bytes", rssAfter.isPresent() ? rssAfter.getAsLong() : null);
      return m;
    }

    /** The summary table. */
    public String toTable() {
      StringBuilder b = new StringBuilder(LoadStats.header()).append('\n');
      if (pccrr.sentCount() > 0) {
        b.append(pccrr.line(seconds)).append('\n');
      }
      if (probe.sentCount() > 0) {
        b.append(probe.line(seconds)).append('\n');
      }
      b.append(String.format(Locale.ROOT, "duration %.1f s; not sent (client concurrency bound): %d%n", seconds,
          clientLimited));
      if (rssMax.isPresent()) {
        b.append(String.format(Locale.ROOT, "target pid %d RSS: %.1f MiB before, %.1f MiB max, %.1f MiB after%n",
            targetPid, rssBefore.orElse(0) / 1048576.0, rssMax.getAsLong() / 1048576.0,
            rssAfter.orElse(0) / 1048576.0));
      } else {
        b.append("target RSS: not available (not a local process in this network namespace; use --pid)\n");
      }
      b.append("empty = MSG_BLK without a block (busy or not held; PROTOCOL.md §4.6) or a probe nobody answered\n");
      return b.toString();
    }
  }

  private LoadGenerator() {}

  /** Runs {@code o}; {@code progress} gets a line about once a second. */
  public static Result run(Options o, Consumer<String> progress) throws IOException, InterruptedException {
    LoadStats pccrrStats = new LoadStats("pccrr");
    LoadStats probeStats = new LoadStats("probe");
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> {
      Thread t = new Thread(r, "load-timers");
      t.setDaemon(true);
      return t;
    });
    PeerClient client = o.kind() == Kind.PROBE ? null : new PeerClient(PeerClientConfig.defaults()
        .withRequestTimeout(o.timeout()).withPool(o.connections(), o.concurrency() + 16).withIoThreads(2));
    ProbeSender probes = o.kind() == Kind.PCCRR ? null : new ProbeSender(o.probeUnicast(), o.multicastPort(), o.iface(),
        probeStats, o.timeout().toNanos(), timers);
    long pid = o.targetPid();
    if (pid < 0 && o.pccrr() != null) {
      pid = TargetProcess.listeningOn(o.pccrr().getPort()).orElse(-1);
    }
    long targetPid = pid;
    OptionalLong before = pid >= 0 ? TargetProcess.rssBytes(pid) : OptionalLong.empty();
    long[] rssMax = {before.orElse(-1)};
    SplittableRandom random = new SplittableRandom(o.seed());
    Semaphore slots = new Semaphore(o.concurrency());
    long[] counter = {0};
    long[] limited = {0};
    long start = System.nanoTime();
    long end = start + o.duration().toNanos();
    PeerEndpoint peer = o.pccrr() == null ? null : new PeerEndpoint(o.pccrr());
    try {
      long nextReport = start + 1_000_000_000L;
      double interval = o.rate() > 0 ? 1e9 / o.rate() : 0;
      long sentOpenLoop = 0;
      while (System.nanoTime() < end) {
        long now = System.nanoTime();
        if (now >= nextReport) {
          nextReport += 1_000_000_000L;
          if (targetPid >= 0) {
            TargetProcess.rssBytes(targetPid).ifPresent(r -> rssMax[0] = Math.max(rssMax[0], r));
          }
          progress.accept(String.format(Locale.ROOT, "load: %.0f s, pccrr %d answered, probes %d answered",
              (now - start) / 1e9, pccrrStats.answered(), probeStats.answered()));
        }
        if (o.rate() > 0) {
          long due = (long) ((now - start) / interval) + 1;
          if (sentOpenLoop >= due) {
            TimeUnit.MICROSECONDS.sleep(200);
            continue;
          }
          sentOpenLoop++;
          if (!slots.tryAcquire()) {
            limited[0]++;
            continue;
          }
        } else if (!slots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
          continue;
        }
        long n = counter[0]++;
        boolean probe = o.kind() == Kind.PROBE || (o.kind() == Kind.MIXED && n % PROBE_EVERY == 0);
        CompletableFuture<Void> f = probe ? probes.probe(List.of(probeKey(o, random)))
            : block(client, peer, o, random, pccrrStats);
        f.whenComplete((v, e) -> slots.release());
      }
      // Let what is in flight end (bounded by the request timeout).
      slots.tryAcquire(o.concurrency(), o.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
    } finally {
      if (probes != null) {
        probes.close();
      }
      if (client != null) {
        client.close();
      }
      timers.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    OptionalLong after = targetPid >= 0 ? TargetProcess.rssBytes(targetPid) : OptionalLong.empty();
    after.ifPresent(r -> rssMax[0] = Math.max(rssMax[0], r));
    return new Result(seconds, pccrrStats, probeStats, limited[0], before,
        rssMax[0] >= 0 ? OptionalLong.of(rssMax[0]) : OptionalLong.empty(), after, targetPid);
  }

  private static DiscoveryKey probeKey(Options o, SplittableRandom random) {
    if (o.segments().isEmpty()) {
      byte[] id = new byte[32];
      random.nextBytes(id);
      return DiscoveryKey.of(DiscoveryKey.Form.V1, id);
    }
    Segment s = o.segments().get(random.nextInt(o.segments().size()));
    return DiscoveryKey.of(DiscoveryKey.Form.V1, s.id().toBytes());
  }

  private static CompletableFuture<Void> block(PeerClient client, PeerEndpoint peer, Options o, SplittableRandom random,
      LoadStats stats) {
    SegmentId id;
    int index;
    if (o.segments().isEmpty()) {
      byte[] b = new byte[32];
      random.nextBytes(b);
      id = SegmentId.of(b);
      index = 0;
    } else {
      Segment s = o.segments().get(random.nextInt(o.segments().size()));
      id = s.id();
      index = random.nextInt(s.blocks());
    }
    long t0 = System.nanoTime();
    stats.sent();
    return client.exchange(peer, PccrrMessage.GetBlocks.of(client.config().cryptoAlgoId(), id, index))
        .handle((msg, err) -> {
          long took = System.nanoTime() - t0;
          if (err != null) {
            Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (e instanceof PeerExchangeException p && p.outcome() == Outcome.TIMEOUT) {
              stats.timeout();
            } else {
              stats.error();
            }
          } else if (msg instanceof PccrrMessage.Blocks blk && blk.available()) {
            stats.ok(took, blk.block().length);
          } else if (msg instanceof PccrrMessage.Blocks) {
            stats.empty(took);
          } else {
            stats.error();
          }
          return null;
        });
  }

  /** Segment ids and block counts of content information ({@code V1} segments of a URL). */
  public static List<Segment> segments(List<dev.peerdist.chunkstore.SegmentRecord> records) {
    List<Segment> out = new ArrayList<>();
    for (var r : records) {
      out.add(new Segment(r.id(), r.blockCount()));
    }
    return out;
  }
}
