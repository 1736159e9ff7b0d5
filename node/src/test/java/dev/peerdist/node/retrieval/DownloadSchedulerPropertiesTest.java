package dev.peerdist.node.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.retrieval.DownloadScheduler.Assignment;
import dev.peerdist.node.retrieval.DownloadScheduler.FallbackRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The policy in a seeded discrete-event simulation (HOUSE-STYLE 19): random peers with random
 * holdings, speeds and failure modes. Whatever happens, the download ends, every block ends
 * exactly once (first verified copy or the fallback), and the limits hold. A failing seed
 * reproduces as a plain call of {@link #simulate}.
 */
class DownloadSchedulerPropertiesTest {
  private record Event(Instant at, Assignment assignment, Outcome outcome) {}

  private enum Behaviour { GOOD, CORRUPT, STALL, FLAKY, BUSY }

  @Property(tries = 200)
  void everyBlockEndsOnceAndLimitsHold(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
      @ForAll @IntRange(min = 1, max = 6) int peerCount, @ForAll @IntRange(min = 1, max = 40) int blocks) {
    simulate(seed, peerCount, blocks);
  }

  static void simulate(long seed, int peerCount, int blocks) {
    SplittableRandom rnd = new SplittableRandom(seed);
    MutableClock clock = new MutableClock();
    SchedulerConfig config = SchedulerConfig.defaults();
    DownloadScheduler s = new DownloadScheduler(config, clock, new SplittableRandom(seed + 1));
    SegmentId seg = SegmentId.of(new byte[32]);
    BitSet wanted = new BitSet();
    wanted.set(0, blocks);
    s.want(seg, blocks, wanted);
    Map<PeerEndpoint, BitSet> holdings = new HashMap<>();
    Map<PeerEndpoint, Behaviour> behaviour = new HashMap<>();
    Map<PeerEndpoint, Integer> latencyMs = new HashMap<>();
    for (int p = 1; p <= peerCount; p++) {
      PeerEndpoint peer = DownloadSchedulerTest.peer(p);
      BitSet held = new BitSet();
      for (int i = 0; i < blocks; i++) {
        if (rnd.nextInt(4) > 0) {
          held.set(i);
        }
      }
      holdings.put(peer, held);
      behaviour.put(peer, Behaviour.values()[rnd.nextInt(Behaviour.values().length)]);
      latencyMs.put(peer, 1 + rnd.nextInt(200));
      if (held.isEmpty()) {
        continue;
      }
      if (rnd.nextBoolean()) {
        s.addPeerBlocks(peer, seg, held);
      } else {
        s.addPeer(peer, seg, held.cardinality()); // count only: the peer may be asked for blocks it lacks
      }
    }
    PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at().compareTo(b.at()));
    Map<PeerEndpoint, Integer> inFlight = new HashMap<>();
    Set<PeerEndpoint> dropped = new HashSet<>();
    Set<Integer> ended = new HashSet<>();
    int steps = 0;
    while (!s.finished() || !events.isEmpty()) {
      assertTrue(++steps < 100_000, "seed " + seed + ": no end after 100000 steps");
      for (Assignment a : s.poll()) {
        assertFalse(dropped.contains(a.peer()), "seed " + seed + ": request to dropped peer " + a.peer());
        assertFalse(ended.contains(a.block().index()), "seed " + seed + ": request for an ended block");
        int n = inFlight.merge(a.peer(), 1, Integer::sum);
        assertTrue(n <= config.maxInFlightPerPeer(), "seed " + seed + ": " + n + " in flight to " + a.peer());
        boolean has = holdings.get(a.peer()).get(a.block().index());
        Outcome outcome;
        long delay = latencyMs.get(a.peer());
        switch (behaviour.get(a.peer())) {
          case CORRUPT -> outcome = has ? Outcome.BAD_DATA : Outcome.NOT_AVAILABLE;
          case STALL -> {
            outcome = Outcome.TIMEOUT;
            delay = 2000;
          }
          case FLAKY -> outcome = !has ? Outcome.NOT_AVAILABLE
              : rnd.nextBoolean() ? Outcome.OK : Outcome.IO_ERROR;
          case BUSY -> outcome = !has ? Outcome.NOT_AVAILABLE : rnd.nextInt(3) == 0 ? Outcome.OK : Outcome.BUSY;
          default -> outcome = has ? Outcome.OK : Outcome.NOT_AVAILABLE;
        }
        events.add(new Event(clock.instant().plusMillis(delay), a, outcome));
      }
      for (FallbackRequest f : s.takeFallbacks()) {
        assertTrue(ended.add(f.block().index()), "seed " + seed + ": block ended twice " + f.block());
      }
      Instant next = events.isEmpty() ? null : events.peek().at();
      Instant wake = s.nextWakeup().orElse(null);
      if (wake != null && (next == null || wake.isBefore(next))) {
        next = wake;
      }
      if (next == null) {
        assertTrue(s.finished(), "seed " + seed + ": stuck with nothing to wait for");
        break;
      }
      if (next.isAfter(clock.instant())) {
        clock.advance(Duration.between(clock.instant(), next));
      }
      while (!events.isEmpty() && !events.peek().at().isAfter(clock.instant())) {
        Event e = events.poll();
        inFlight.merge(e.assignment().peer(), -1, Integer::sum);
        boolean wasDone = s.isDone(e.assignment().block());
        s.onResult(e.assignment(), e.outcome(), e.outcome() == Outcome.OK ? 65536 : 0,
            Duration.ofMillis(latencyMs.get(e.assignment().peer())));
        if (e.outcome() == Outcome.OK && !wasDone) {
          assertTrue(ended.add(e.assignment().block().index()),
              "seed " + seed + ": block ended twice " + e.assignment().block());
        }
        if (e.outcome() == Outcome.BAD_DATA) {
          dropped.add(e.assignment().peer());
        }
      }
    }
    for (FallbackRequest f : s.takeFallbacks()) { // handed over by the last results
      assertTrue(ended.add(f.block().index()), "seed " + seed + ": block ended twice " + f.block());
    }
    assertEquals(blocks, ended.size(), "seed " + seed + ": every block ends exactly once");
    List<PeerEndpoint> badOk = new ArrayList<>();
    s.outcomes().forEach((peer, counts) -> {
      if (behaviour.get(peer) == Behaviour.CORRUPT && counts.getOrDefault(Outcome.OK, 0) > 0) {
        badOk.add(peer);
      }
    });
    assertTrue(badOk.isEmpty());
  }
}
