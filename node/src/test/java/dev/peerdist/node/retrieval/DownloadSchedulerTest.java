package dev.peerdist.node.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.retrieval.DownloadScheduler.Assignment;
import dev.peerdist.node.retrieval.DownloadScheduler.FallbackReason;
import dev.peerdist.node.retrieval.DownloadScheduler.FallbackRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The scheduling policy under a controlled clock: no sockets, no threads. */
class DownloadSchedulerTest {
  private static final SegmentId SEG = SegmentId.of(new byte[32]);
  private final MutableClock clock = new MutableClock();
  private final SchedulerConfig config = SchedulerConfig.defaults();
  private final DownloadScheduler s = new DownloadScheduler(config, clock, new SplittableRandom(1));

  static PeerEndpoint peer(int n) {
    try {
      return new PeerEndpoint(new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) n}), 80));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static BitSet range(int from, int to) {
    BitSet b = new BitSet();
    b.set(from, to);
    return b;
  }

  private static final Duration FAST = Duration.ofMillis(10);

  @Test
  void spreadsAcrossHoldersWithSeveralInFlightEach() {
    s.want(SEG, 40, range(0, 40));
    s.addPeer(peer(1), SEG, 40);
    s.addPeer(peer(2), SEG, 40);
    s.addPeer(peer(3), SEG, 40);
    List<Assignment> first = s.poll();
    assertEquals(12, first.size(), "4 in flight to each of 3 peers");
    Map<PeerEndpoint, Integer> per = new HashMap<>();
    first.forEach(a -> per.merge(a.peer(), 1, Integer::sum));
    assertEquals(Map.of(peer(1), 4, peer(2), 4, peer(3), 4), per);
    assertTrue(s.poll().isEmpty(), "no more until something finishes");
  }

  @Test
  void fasterPeerGetsMoreRequests() {
    s.want(SEG, 400, range(0, 400));
    s.addPeer(peer(1), SEG, 400);
    s.addPeer(peer(2), SEG, 400);
    Map<PeerEndpoint, Integer> served = new HashMap<>();
    // peer 1 answers 65 KB in 10 ms, peer 2 in 80 ms: run a few rounds of 10 ms.
    List<Assignment> inFlight = new ArrayList<>(s.poll());
    Map<Assignment, Integer> age = new HashMap<>();
    for (int round = 0; round < 200 && !s.finished(); round++) {
      clock.advance(FAST);
      List<Assignment> done = new ArrayList<>();
      for (Assignment a : inFlight) {
        int t = age.merge(a, 1, Integer::sum);
        int needed = a.peer().equals(peer(1)) ? 1 : 8;
        if (t >= needed) {
          done.add(a);
        }
      }
      for (Assignment a : done) {
        inFlight.remove(a);
        s.onResult(a, Outcome.OK, 65536, Duration.ofMillis(10L * age.get(a)));
        served.merge(a.peer(), 1, Integer::sum);
      }
      inFlight.addAll(s.poll());
    }
    assertTrue(s.finished());
    assertTrue(served.get(peer(1)) > 3 * served.get(peer(2)),
        "fast peer served " + served.get(peer(1)) + ", slow peer " + served.get(peer(2)));
  }

  @Test
  void badDataDropsThePeerForTheDownload() {
    s.want(SEG, 4, range(0, 4));
    s.addPeer(peer(1), SEG, 4);
    s.addPeer(peer(2), SEG, 4);
    List<Assignment> a = s.poll();
    Assignment bad = a.stream().filter(x -> x.peer().equals(peer(1))).findFirst().orElseThrow();
    s.onResult(bad, Outcome.BAD_DATA, 0, FAST);
    assertTrue(s.droppedPeers().contains(peer(1)));
    // Complete the rest; nothing further goes to peer 1.
    List<Assignment> pending = new ArrayList<>(a);
    pending.remove(bad);
    for (int i = 0; i < 20 && !s.finished(); i++) {
      pending.addAll(s.poll());
      for (Assignment x : new ArrayList<>(pending)) {
        pending.remove(x);
        if (x.peer().equals(peer(1))) {
          s.onResult(x, Outcome.OK, 65536, FAST); // already in flight before the drop: fine
          continue;
        }
        s.onResult(x, Outcome.OK, 65536, FAST);
      }
    }
    assertTrue(s.finished());
    long after = s.outcomes().get(peer(1)).values().stream().mapToInt(Integer::intValue).sum();
    assertTrue(after <= 4, "peer 1 got at most its first batch, got " + after);
  }

  @Test
  void timeoutBacksOffAndRetriesElsewhere() {
    s.want(SEG, 1, range(0, 1));
    s.addPeer(peer(1), SEG, 1);
    s.addPeer(peer(2), SEG, 1);
    Assignment first = s.poll().get(0);
    s.onResult(first, Outcome.TIMEOUT, 0, Duration.ofSeconds(2));
    Assignment second = s.poll().get(0);
    assertNotEquals(first.peer(), second.peer(), "the failed peer is excluded for this block");
    s.onResult(second, Outcome.OK, 65536, FAST);
    assertTrue(s.finished());
    assertTrue(s.takeFallbacks().isEmpty());
  }

  @Test
  void blocksNoPeerHoldsGoToTheFallback() {
    s.want(SEG, 3, range(0, 3));
    s.addPeerBlocks(peer(1), SEG, range(0, 1));
    List<Assignment> a = s.poll();
    assertEquals(1, a.size());
    List<FallbackRequest> f = s.takeFallbacks();
    assertEquals(List.of(new FallbackRequest(new BlockRef(SEG, 1), FallbackReason.NO_PEER),
        new FallbackRequest(new BlockRef(SEG, 2), FallbackReason.NO_PEER)), f);
    assertTrue(s.takeFallbacks().isEmpty(), "each fallback is handed out once");
    assertFalse(s.finished());
    s.onResult(a.get(0), Outcome.OK, 65536, FAST);
    assertTrue(s.finished());
  }

  @Test
  void whenEveryHolderFailsTheBlockFallsBack() {
    s.want(SEG, 1, range(0, 1));
    s.addPeer(peer(1), SEG, 1);
    s.addPeer(peer(2), SEG, 1);
    s.onResult(s.poll().get(0), Outcome.BAD_DATA, 0, FAST);
    List<Assignment> next = s.poll();
    assertEquals(1, next.size());
    s.onResult(next.get(0), Outcome.NOT_AVAILABLE, 0, FAST);
    assertTrue(s.poll().isEmpty());
    assertEquals(List.of(new FallbackRequest(new BlockRef(SEG, 0), FallbackReason.PEERS_FAILED)), s.takeFallbacks());
    assertTrue(s.finished());
  }

  @Test
  void aPeerThatOnlyTimedOutIsRetriedWhileAttemptsRemain() {
    s.want(SEG, 1, range(0, 1));
    s.addPeer(peer(1), SEG, 1);
    for (int attempt = 1; attempt <= config.maxAttemptsPerBlock(); attempt++) {
      List<Assignment> a = s.poll();
      assertEquals(1, a.size(), "attempt " + attempt);
      s.onResult(a.get(0), Outcome.TIMEOUT, 0, Duration.ofSeconds(2));
      assertTrue(s.takeFallbacks().isEmpty() || attempt == config.maxAttemptsPerBlock());
      clock.advance(config.maxBackoff());
    }
    assertTrue(s.finished(), "attempts exhausted: the block went to the fallback");
  }

  @Test
  void aPeerFailingManyTimesInARowIsGivenUpForTheDownload() {
    int n = 4 * DownloadScheduler.GIVE_UP_AFTER_FAILURES;
    s.want(SEG, n, range(0, n));
    s.addPeer(peer(1), SEG, n);
    int deadAsked = 0;
    for (int round = 0; round < 100 && !s.finished(); round++) {
      for (Assignment a : s.poll()) {
        deadAsked++;
        s.onResult(a, Outcome.IO_ERROR, 0, FAST);
      }
      clock.advance(config.maxBackoff());
    }
    assertEquals(DownloadScheduler.GIVE_UP_AFTER_FAILURES, deadAsked, "no request after giving up");
    assertTrue(s.finished(), "every block went to the fallback");
    assertEquals(n, s.takeFallbacks().size());
  }

  @Test
  void busyPeerRestsThenIsAskedAgain() {
    s.want(SEG, 2, range(0, 2));
    s.addPeer(peer(1), SEG, 2);
    List<Assignment> a = s.poll();
    assertEquals(2, a.size());
    s.onResult(a.get(0), Outcome.BUSY, 0, FAST);
    assertTrue(s.poll().isEmpty(), "resting");
    assertEquals(clock.instant().plus(config.busyBackoff()), s.nextWakeup().orElseThrow(),
        "the backoff end comes before the hedge deadline of the other block");
    clock.advance(config.busyBackoff());
    List<Assignment> again = s.poll();
    assertEquals(1, again.size());
    assertEquals(a.get(0).block(), again.get(0).block());
  }

  @Test
  void slowBlockIsHedgedToAnotherPeerAndFirstAnswerWins() {
    s.want(SEG, 1, range(0, 1));
    s.addPeer(peer(1), SEG, 1);
    s.addPeer(peer(2), SEG, 1);
    Assignment first = s.poll().get(0);
    assertTrue(s.poll().isEmpty());
    assertEquals(first.sentAt().plus(config.initialHedgeDelay()), s.nextWakeup().orElseThrow());
    clock.advance(config.initialHedgeDelay());
    List<Assignment> hedge = s.poll();
    assertEquals(1, hedge.size());
    assertTrue(hedge.get(0).hedge());
    assertNotEquals(first.peer(), hedge.get(0).peer());
    s.onResult(hedge.get(0), Outcome.OK, 65536, FAST);
    assertTrue(s.finished());
    assertTrue(s.isDone(new BlockRef(SEG, 0)));
    s.onResult(first, Outcome.OK, 65536, Duration.ofSeconds(1)); // late duplicate: no harm
    assertTrue(s.finished());
  }

  @Test
  void hedgeDelayFollowsMeasuredLatencies() {
    s.want(SEG, 20, range(0, 20));
    s.addPeer(peer(1), SEG, 20);
    for (int i = 0; i < 20 && !s.finished(); i++) {
      for (Assignment a : s.poll()) {
        s.onResult(a, Outcome.OK, 65536, Duration.ofMillis(30));
      }
    }
    assertEquals(Duration.ofMillis(60), s.hedgeDelay(), "p90 of 30 ms times 2");
  }

  @Test
  void sameSeedSameAssignments() {
    List<String> a = run(42);
    assertEquals(a, run(42));
  }

  private List<String> run(long seed) {
    DownloadScheduler d = new DownloadScheduler(config, new MutableClock(), new SplittableRandom(seed));
    d.want(SEG, 30, range(0, 30));
    for (int p = 1; p <= 5; p++) {
      d.addPeer(peer(p), SEG, 30);
    }
    List<String> log = new ArrayList<>();
    while (!d.finished()) {
      for (Assignment x : d.poll()) {
        log.add(x.block() + "@" + x.peer());
        d.onResult(x, Outcome.OK, 65536, FAST);
      }
    }
    return log;
  }
}
