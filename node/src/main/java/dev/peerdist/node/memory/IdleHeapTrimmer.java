package dev.peerdist.node.memory;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once the daemon is idle again, gives the heap that a burst of work grew back to the operating
 * system (issue 12: idle RSS after work ≤ 128 MiB).
 *
 * <p>The daemon runs the serial collector (dist/src/bin/peerdist). Its heap never shrinks below
 * the sizes it started with, and it shrinks at all only in a full collection, which an idle daemon
 * never has: so every page a transfer touched stayed resident (the launcher's former {@code
 * -Xms64m -Xmn24m}: 64 MiB of a 155 MiB idle RSS). The launcher now starts the heap small
 * ({@code -Xms20m}: old generation 12 MiB, young 8) and has it grow fast ({@code
 * MinHeapFreeRatio=65}: after a full collection the old generation is sized for 65 % free; the
 * young generation follows at half its size, {@code NewRatio=2}, 8–24 MiB), so that during a
 * transfer the heap is about what it was with {@code -Xms64m -Xmn24m}. This class shrinks it back:
 * every {@link #SAMPLE} it looks at the young collections and the committed heap (the {@link
 * Policy}), and once no young collection has run for {@link #IDLE_AFTER} while the heap is
 * committed beyond what the last trim left, it runs one full collection with both free ratios
 * lowered to {@value #TRIM_FREE} % (both are manageable flags) and puts the launcher's ratios
 * back. The old generation then shrinks to its live data plus 10 % (not below its initial 12 MiB;
 * ~11 MiB are live after a transfer), the young generation to its minimum, 8 MiB; the pages given
 * up leave the RSS. Cost: one full collection (15–50 ms of one thread) per burst of work, and at
 * the next burst one or two early full collections while the heap grows again.
 *
 * <p>Inactive unless the JVM runs the serial collector with manageable free-ratio flags (a JVM
 * started with other flags through {@code PEERDIST_JAVA_OPTS} keeps its own behaviour), and a
 * no-op with {@code -XX:+DisableExplicitGC}.
 */
public final class IdleHeapTrimmer implements AutoCloseable {
  /** How often the collector counts and the committed heap are looked at. */
  public static final Duration SAMPLE = Duration.ofSeconds(5);

  /**
   * No young collection for this long: the daemon is idle (a transfer collects several times a
   * second). Short enough that the trim has run well before the 45 s after a run at which the live
   * site reads each daemon's idle RSS.
   */
  public static final Duration IDLE_AFTER = Duration.ofSeconds(20);

  /** Committed heap beyond the last trim's that is worth a full collection. */
  public static final long SLACK_BYTES = 4L << 20;

  /**
   * Both free ratios during a trim: the old generation keeps its live data plus this share free
   * (the next burst's first full collection grows it again by the launcher's 65 %).
   */
  static final int TRIM_FREE = 10;

  private static final Logger LOG = LoggerFactory.getLogger(IdleHeapTrimmer.class);

  /**
   * When to trim, from samples of the young collection count and the committed heap; no clock or
   * JVM of its own (tests feed it samples).
   *
   * <p>Rule: a sample whose young collection count differs from the previous one marks activity.
   * A trim is due when the last activity is at least {@code idleAfter} old and the committed heap
   * exceeds the floor by more than {@code slackBytes}. The floor is the heap's initial size
   * ({@code -Xms}), then what each trim left. (Not the first sample's committed heap: a daemon
   * asked for a download at once has grown by then.)
   */
  public static final class Policy {
    private final Duration idleAfter;
    private final long slackBytes;
    private long lastCount = -1;
    private Instant lastActivity;
    private long floor;

    public Policy(Duration idleAfter, long slackBytes, long initialBytes) {
      if (idleAfter.isNegative() || slackBytes < 0 || initialBytes < 0) {
        throw new IllegalArgumentException("idleAfter " + idleAfter + ", slackBytes " + slackBytes
            + " and initialBytes " + initialBytes + " must not be negative");
      }
      this.idleAfter = idleAfter;
      this.slackBytes = slackBytes;
      this.floor = initialBytes;
    }

    /** Takes one sample; true if a trim is due now. */
    public boolean sample(Instant now, long youngCollections, long committedBytes) {
      if (lastCount < 0) {
        lastCount = youngCollections;
        lastActivity = now;
        return false;
      }
      if (youngCollections != lastCount) {
        lastCount = youngCollections;
        lastActivity = now;
        return false;
      }
      return Duration.between(lastActivity, now).compareTo(idleAfter) >= 0 && committedBytes > floor + slackBytes;
    }

    /** Records what a trim left (the new floor) and the collection count it added. */
    public void trimmed(long youngCollections, long committedBytes) {
      lastCount = youngCollections;
      floor = committedBytes;
    }

    /** The committed heap below which no trim runs (plus the slack). */
    public long floor() {
      return floor;
    }
  }

  private final ScheduledExecutorService timer;

  private IdleHeapTrimmer(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /**
   * Starts sampling on a daemon thread named {@code peerdist-heap-trim}, if this JVM runs the
   * serial collector; empty otherwise. Close it to stop.
   */
  public static Optional<IdleHeapTrimmer> start(Clock clock) {
    Optional<Jvm> jvm = Jvm.serial();
    if (jvm.isEmpty()) {
      LOG.debug("idle heap trimming off: not the serial collector with manageable free ratios");
      return Optional.empty();
    }
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "peerdist-heap-trim");
      t.setDaemon(true);
      return t;
    });
    Jvm j = jvm.get();
    Policy policy = new Policy(IDLE_AFTER, SLACK_BYTES, j.initial());
    timer.scheduleWithFixedDelay(() -> {
      try {
        if (policy.sample(clock.instant(), j.youngCollections(), j.committed())) {
          j.trim();
          policy.trimmed(j.youngCollections(), j.committed());
        }
      } catch (RuntimeException e) {
        LOG.warn("idle heap trim failed", e);
      }
    }, SAMPLE.toMillis(), SAMPLE.toMillis(), TimeUnit.MILLISECONDS);
    return Optional.of(new IdleHeapTrimmer(timer));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** This JVM's collector counts, committed heap and the trim itself. */
  public static final class Jvm {
    private final GarbageCollectorMXBean young;
    private final MemoryMXBean memory;
    private final HotSpotDiagnosticMXBean hotspot;

    private Jvm(GarbageCollectorMXBean young, MemoryMXBean memory, HotSpotDiagnosticMXBean hotspot) {
      this.young = young;
      this.memory = memory;
      this.hotspot = hotspot;
    }

    /** The serial collector's beans, if this JVM runs it and its free ratios can be set. */
    public static Optional<Jvm> serial() {
      try {
        List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
        Optional<GarbageCollectorMXBean> copy = gcs.stream().filter(g -> g.getName().equals("Copy")).findFirst();
        boolean markSweep = gcs.stream().anyMatch(g -> g.getName().equals("MarkSweepCompact"));
        HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (copy.isEmpty() || !markSweep || hs == null || !hs.getVMOption("MinHeapFreeRatio").isWriteable()
            || !hs.getVMOption("MaxHeapFreeRatio").isWriteable()) {
          return Optional.empty();
        }
        return Optional.of(new Jvm(copy.get(), ManagementFactory.getMemoryMXBean(), hs));
      } catch (RuntimeException | LinkageError e) {
        return Optional.empty(); // no java.management / jdk.management in this runtime
      }
    }

    public long youngCollections() {
      return young.getCollectionCount();
    }

    /** The heap's initial size ({@code -Xms}). */
    public long initial() {
      return Math.max(0, memory.getHeapMemoryUsage().getInit());
    }

    public long committed() {
      return memory.getHeapMemoryUsage().getCommitted();
    }

    /**
     * One full collection with the free ratios lowered, then the previous ratios back (in an
     * order that keeps {@code MinHeapFreeRatio <= MaxHeapFreeRatio}, which the JVM checks).
     */
    public void trim() {
      String min = hotspot.getVMOption("MinHeapFreeRatio").getValue();
      String max = hotspot.getVMOption("MaxHeapFreeRatio").getValue();
      long before = committed();
      long t0 = System.nanoTime();
      try {
        hotspot.setVMOption("MinHeapFreeRatio", Integer.toString(Math.min(TRIM_FREE, Integer.parseInt(min))));
        hotspot.setVMOption("MaxHeapFreeRatio", Integer.toString(TRIM_FREE));
        System.gc();
      } finally {
        hotspot.setVMOption("MaxHeapFreeRatio", max);
        hotspot.setVMOption("MinHeapFreeRatio", min);
      }
      LOG.debug("idle: heap trimmed from {} to {} MiB committed in {} ms", before >> 20, committed() >> 20,
          (System.nanoTime() - t0) / 1_000_000);
    }
  }
}
