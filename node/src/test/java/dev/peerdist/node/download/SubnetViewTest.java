package dev.peerdist.node.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The view's answers against a plain record of every probe heard, recounted from scratch at each
 * question: its wanters are kept in arrays with an index and their count is kept between calls, so
 * this checks that neither ever gives a different answer than counting the probes would.
 */
class SubnetViewTest {
  private static final LoopSettings S = LoopSettings.defaults();
  private static final long MEMBERSHIP = S.membershipWindow().toNanos();

  /** What was heard of one node for one segment: last probe, last probe saying it fetches (MIN_VALUE = never). */
  private static final class Heard {
    long last;
    long fetching = Long.MIN_VALUE;
  }

  private static PeerEndpoint endpoint(long id) {
    return new PeerEndpoint(new InetSocketAddress("10.1." + (id >>> 8 & 0xFF) + "." + (id & 0xFF), 1337));
  }

  @Test
  void answersAsCountingEveryProbeWould() {
    for (int seed = 1; seed <= 5; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      SubnetView view = new SubnetView(S);
      List<SegmentId> segments = new ArrayList<>();
      List<Map<Long, Heard>> oracle = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        segments.add(SegmentId.of(b));
        oracle.add(new HashMap<>());
      }
      long now = 1_000_000_000L;
      // The same endpoint objects again and again, as the loop asks (the view's identity cache).
      Map<Long, PeerEndpoint> endpoints = new HashMap<>();
      Map<String, SubnetView.ArcsMemo> memos = new HashMap<>();
      Map<Long, SubnetView.NodeMemo> nodeMemos = new HashMap<>();
      SubnetView.FetchStamps stamps = new SubnetView.FetchStamps();
      for (int step = 0; step < 4_000; step++) {
        // Time moves by up to 2 s, sometimes 40 s at once (members leave the 30 s window).
        now += random.nextInt(10) == 0 ? 40_000_000_000L : random.nextLong(2_000_000_000L);
        long id = 1 + random.nextInt(300);
        int g = random.nextInt(segments.size());
        boolean fetching = random.nextInt(5) == 0;
        view.heard(id, random.nextBoolean() ? endpoint(id) : endpoints.computeIfAbsent(id, SubnetViewTest::endpoint),
            List.of(segments.get(g)), fetching ? 1 : 0, now);
        Heard h = oracle.get(g).get(id);
        if (h == null) {
          h = new Heard();
          oracle.get(g).put(id, h);
        }
        h.last = now;
        if (fetching) {
          h.fetching = now;
        }
        if (random.nextInt(500) == 0) {
          view.expire(now);
          for (Map<Long, Heard> m : oracle) {
            long t = now;
            m.values().removeIf(x -> t - x.last > SubnetView.FORMER_WANTER_NANOS);
          }
        }
        for (int q = 0; q < segments.size(); q++) {
          SegmentId seg = segments.get(q);
          Map<Long, Heard> m = oracle.get(q);
          long t = now;
          long members = m.values().stream().filter(x -> t - x.last <= MEMBERSHIP).count();
          assertEquals(members, view.wanters(seg, now), "seed " + seed + " step " + step);
          long self = 1 + random.nextInt(300);
          assertEquals(betterRanked(m, seg, self, now, 4), view.betterRanked(seg, self, now, 4),
              "seed " + seed + " step " + step);
          Heard x = m.get(self);
          assertEquals(x == null ? Long.MIN_VALUE : x.fetching, view.lastFetching(self, seg));
          long[] times = new long[2];
          view.lastHeardAndFetching(self, seg, times);
          assertArrayEquals(new long[] {x == null ? Long.MIN_VALUE : x.last, view.lastFetching(self, seg)}, times);
          assertEquals(x != null && x.fetching != Long.MIN_VALUE && now - x.fetching <= 5_000_000_000L,
              view.fetching(endpoint(self), seg, now, 5_000_000_000L));
          assertEquals(x != null && x.fetching != Long.MIN_VALUE && now - x.fetching <= 5_000_000_000L,
              view.fetching(endpoints.computeIfAbsent(self, SubnetViewTest::endpoint), seg, now, 5_000_000_000L));
          // A caller's memo of the endpoint's node id gives the same answers as looking it up.
          SubnetView.NodeMemo node = nodeMemos.computeIfAbsent(self, k -> new SubnetView.NodeMemo());
          assertEquals(x != null && x.fetching != Long.MIN_VALUE && now - x.fetching <= 5_000_000_000L,
              view.fetching(endpoints.get(self), node, seg, now, 5_000_000_000L), "seed " + seed + " step " + step);
          assertEquals(x != null && now - x.last <= MEMBERSHIP, view.wanted(endpoints.get(self), node, seg, now),
              "seed " + seed + " step " + step);
          // The segment's fetch stamps, copied once, answer as the view does, by the endpoint's node
          // id (more than 16 fetchers of a segment are not copied: then the view is asked).
          view.fetchStamps(seg, stamps);
          assertEquals(x != null && x.fetching != Long.MIN_VALUE && now - x.fetching <= 5_000_000_000L,
              view.fetching(stamps, view.nodeId(endpoints.get(self)), now, 5_000_000_000L), "seed " + seed + " step " + step);
          assertEquals(m.values().stream().allMatch(y -> y.fetching == Long.MIN_VALUE), stamps.none(),
              "seed " + seed + " step " + step);
          // The remembered arcs are the arcs searched afresh.
          SubnetView.ArcsMemo memo = memos.computeIfAbsent(q + "/" + self, k -> new SubnetView.ArcsMemo());
          assertArrayEquals(view.firstCopyArcs(seg, self, now), view.firstCopyArcs(seg, self, now, memo),
              "seed " + seed + " step " + step);
          // Answer thinning, recounted: all heard within the horizon, and those quiet for the window.
          long heard = m.values().stream().filter(y -> t - y.last <= SubnetView.FORMER_WANTER_NANOS).count();
          long former = m.values().stream()
              .filter(y -> t - y.last <= SubnetView.FORMER_WANTER_NANOS && t - y.last > MEMBERSHIP).count();
          boolean wanter = x != null && now - x.last <= MEMBERSHIP;
          boolean counted = x != null && now - x.last <= SubnetView.FORMER_WANTER_NANOS;
          assertEquals(thin(heard), view.answerProbability(seg, self, false, now), 1e-12, "seed " + seed + " step " + step);
          assertEquals(thin(wanter ? heard : former + (counted ? 0 : 1)), view.answerProbability(seg, self, true, now),
              1e-12, "seed " + seed + " step " + step);
        }
      }
    }
  }

  /** An endpoint that changes hands is looked up afresh, also by the object the view saw first. */
  @Test
  void aFetcherIsOneUntilItsWindowEndsOrItProbesTheSegmentWithoutSayingItFetches() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(7);
    long now = 1_000_000_000L;
    long[] into = new long[4];
    view.heard(1, endpoint(1), List.of(seg), 1, now);
    view.heard(2, endpoint(2), List.of(seg), 0, now);
    view.heard(3, endpoint(3), List.of(seg), 1, now);
    assertEquals(2, view.fetchersWithin(seg, now + 1, 3_000_000_000L, into));
    assertEquals(java.util.Set.of(1L, 3L), java.util.Set.of(into[0], into[1]));
    view.heard(3, endpoint(3), List.of(seg), 0, now + 500_000_000L); // node 3's ranges ended
    assertEquals(1, view.fetchersWithin(seg, now + 600_000_000L, 3_000_000_000L, into));
    assertEquals(1L, into[0]);
    assertEquals(0, view.fetchersWithin(seg, now + 3_100_000_000L, 3_000_000_000L, into), "its flag grew old");
    view.heard(3, endpoint(3), List.of(seg), 1, now + 4_000_000_000L); // fetching again
    assertEquals(1, view.fetchersWithin(seg, now + 4_000_000_001L, 3_000_000_000L, into));
    assertEquals(3L, into[0]);
  }

  @Test
  void anEndpointThatChangesHandsAnswersForItsNewNode() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(7);
    PeerEndpoint a = endpoint(1);
    long now = 1_000_000_000L;
    SubnetView.NodeMemo memoA = new SubnetView.NodeMemo();
    SubnetView.NodeMemo memo300 = new SubnetView.NodeMemo();
    PeerEndpoint b = endpoint(300);
    assertFalse(view.fetching(b, memo300, seg, now, 5_000_000_000L)); // nobody serves at b yet
    view.heard(1, a, List.of(seg), 1, now);
    assertTrue(view.fetching(a, seg, now, 5_000_000_000L));
    assertTrue(view.fetching(a, memoA, seg, now, 5_000_000_000L));
    view.heard(2, a, List.of(seg), 0, now + 1); // node 2 now serves at a, and does not fetch
    assertFalse(view.fetching(a, seg, now + 1, 5_000_000_000L));
    assertFalse(view.fetching(a, memoA, seg, now + 1, 5_000_000_000L));
    view.heard(1, endpoint(300), List.of(seg), 1, now + 2); // node 1 moved
    view.heard(2, endpoint(301), List.of(seg), 0, now + 3); // so did node 2: a is nobody's
    assertFalse(view.fetching(a, seg, now + 3, 5_000_000_000L));
    assertFalse(view.fetching(a, memoA, seg, now + 3, 5_000_000_000L));
    assertTrue(view.fetching(endpoint(300), seg, now + 3, 5_000_000_000L));
    assertTrue(view.fetching(b, memo300, seg, now + 3, 5_000_000_000L)); // a memo of "nobody" is looked up again
  }

  /**
   * Fetch stamps copied once answer for every endpoint as the view does at that moment; the node ids
   * looked up for them hold while the epoch is the same, and an endpoint changing hands changes it.
   */
  @Test
  void fetchStampsAnswerAsTheViewByNodeIdsOfTheirEpoch() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(7);
    SubnetView.FetchStamps stamps = new SubnetView.FetchStamps();
    long now = 1_000_000_000L;
    view.fetchStamps(seg, stamps);
    assertTrue(stamps.none()); // nobody heard: nobody fetches
    assertFalse(view.fetching(stamps, view.nodeId(endpoint(1)), now, 5_000_000_000L));
    assertEquals(-1, view.nodeId(endpoint(1)));
    for (int id = 1; id <= 40; id++) { // more fetchers than the stamps copy: the view is asked
      view.heard(id, endpoint(id), List.of(seg), id <= 2 || id > 20 ? 1 : 0, now + id);
    }
    view.heard(2, endpoint(2), List.of(seg), 0, now + 100); // node 2 stopped
    view.fetchStamps(seg, stamps);
    assertFalse(stamps.none());
    long at = now + 5_000_000_000L + 10; // node 1's flag is too old by then, node 30's is not
    for (int id = 1; id <= 41; id++) {
      assertEquals(view.fetching(endpoint(id), seg, at, 5_000_000_000L),
          view.fetching(stamps, view.nodeId(endpoint(id)), at, 5_000_000_000L), "node " + id);
    }
    assertTrue(view.fetching(stamps, 30, at, 5_000_000_000L));
    assertFalse(view.fetching(stamps, 1, at, 5_000_000_000L));
    // Few fetchers: copied.
    SegmentId other = segment(8);
    view.heard(3, endpoint(3), List.of(other), 1, now);
    view.heard(4, endpoint(4), List.of(other), 0, now);
    view.fetchStamps(other, stamps);
    int epoch = stamps.epoch();
    assertTrue(view.fetching(stamps, view.nodeId(endpoint(3)), now, 5_000_000_000L));
    assertFalse(view.fetching(stamps, view.nodeId(endpoint(4)), now, 5_000_000_000L));
    assertFalse(view.fetching(stamps, -1, now, 5_000_000_000L));
    view.heard(4, endpoint(3), List.of(other), 0, now + 1); // node 4 now serves at node 3's endpoint
    view.fetchStamps(other, stamps);
    assertNotEquals(epoch, stamps.epoch(), "an endpoint changed hands");
    assertEquals(4, view.nodeId(endpoint(3)));
    assertFalse(view.fetching(stamps, view.nodeId(endpoint(3)), now + 1, 5_000_000_000L));
    assertTrue(view.fetching(stamps, 3, now + 1, 5_000_000_000L)); // node 3 itself still fetches
    SubnetView.FetchStamps elsewhere = new SubnetView.FetchStamps();
    new SubnetView(S).fetchStamps(other, elsewhere);
    assertThrows(IllegalArgumentException.class, () -> view.fetching(elsewhere, 3, now, 5_000_000_000L));
  }

  /**
   * A dual-stack node's probes are heard on IPv4 or IPv6, whichever copy comes first: both its
   * endpoints stand for it, and the IPv4 one is where its wanters are adopted from.
   */
  @Test
  void aNodeHeardOnBothFamiliesIsOneNodeAtBothEndpointsAndAdoptedAtItsIpv4One() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(7);
    PeerEndpoint v4 = endpoint(5);
    PeerEndpoint v6 = new PeerEndpoint(new InetSocketAddress("fe80::5", 1337));
    long now = 1_000_000_000L;
    SubnetView.NodeMemo memo = new SubnetView.NodeMemo();
    view.heard(5, v6, List.of(seg), 1, now); // the IPv6 copy came first
    view.heard(5, v4, List.of(seg), 1, now + 1);
    assertTrue(view.wanted(v4, memo, seg, now + 1));
    view.heard(5, v6, List.of(seg), 1, now + 2);
    view.heard(5, v4, List.of(seg), 1, now + 3);
    for (PeerEndpoint e : List.of(v4, v6)) {
      assertTrue(view.wanted(e, seg, now + 3), "wanted at " + e);
      assertTrue(view.fetching(e, seg, now + 3, 5_000_000_000L), "fetching at " + e);
    }
    assertTrue(view.wanted(v4, memo, seg, now + 3));
    assertEquals(List.of(v4), view.wanterEndpoints(seg, 1, 10, 0, e -> false, now + 3));
    // It moves within IPv6: the old IPv6 endpoint is nobody's, the IPv4 one still its own.
    PeerEndpoint v6b = new PeerEndpoint(new InetSocketAddress("fe80::6", 1337));
    view.heard(5, v6b, List.of(seg), 1, now + 4);
    assertFalse(view.wanted(v6, seg, now + 4));
    assertTrue(view.wanted(v6b, seg, now + 4));
    assertTrue(view.wanted(v4, memo, seg, now + 4));
  }

  /** Beyond its bound the view forgets the segment looked up or heard least recently. */
  @Test
  void theLeastRecentlyUsedSegmentIsForgottenFirst() {
    SubnetView view = new SubnetView(S);
    long now = 1_000_000_000L;
    List<SegmentId> ids = new ArrayList<>();
    for (int i = 0; i <= SubnetView.MAX_SEGMENTS; i++) {
      ids.add(segment(1000 + i));
    }
    for (int i = 0; i < SubnetView.MAX_SEGMENTS; i++) {
      view.heard(1 + i % 7, List.of(ids.get(i)), 0, now);
    }
    assertEquals(1, view.wanters(ids.get(0), now)); // looked up: now the most recently used
    view.heard(9, List.of(ids.get(SubnetView.MAX_SEGMENTS)), 0, now);
    List<SegmentId> kept = view.segments();
    assertEquals(SubnetView.MAX_SEGMENTS, kept.size());
    assertFalse(kept.contains(ids.get(1)), "the least recently used segment is forgotten");
    assertEquals(ids.get(2), kept.get(0));
    assertEquals(ids.get(0), kept.get(kept.size() - 2));
    assertEquals(ids.get(SubnetView.MAX_SEGMENTS), kept.get(kept.size() - 1));
    assertEquals(0, view.wanters(ids.get(1), now));
  }

  /** A segment forgotten and heard again is counted afresh, not from what a lookup cached of it before. */
  @Test
  void aForgottenSegmentHeardAgainIsCountedAfresh() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(77);
    SegmentId other = segment(78);
    long now = 1_000_000_000L;
    view.heard(1, List.of(seg), 0, now);
    view.heard(2, List.of(seg), 0, now);
    view.heard(3, List.of(other), 0, now);
    assertEquals(2, view.wanters(seg, now)); // looked up by key object
    assertEquals(1, view.wanters(other, now));
    long later = now + SubnetView.FORMER_WANTER_NANOS + 1;
    view.expire(later); // every wanter is a former one by then: both segments go
    assertEquals(0, view.wanters(seg, later));
    view.heard(4, List.of(seg), 0, later);
    view.heard(5, List.of(other), 0, later);
    assertEquals(1, view.wanters(seg, later));
    assertEquals(1, view.wanters(other, later));
  }

  private static double thin(long holders) {
    return holders == 0 ? 1 : Math.min(1.0, (double) S.answerTarget() / holders);
  }

  /** The expected answers to one probe: the sum of every holder's probability. */
  private static double expectedAnswers(SubnetView view, SegmentId seg, long[] holders, boolean complete, long now) {
    double sum = 0;
    for (long h : holders) {
      sum += view.answerProbability(seg, h, complete, now);
    }
    return sum;
  }

  /** How many of {@code holders} answer the probe of hash {@code probe}. */
  private static int answering(SubnetView view, SegmentId seg, long[] holders, boolean complete, long probe, long now) {
    int n = 0;
    for (long h : holders) {
      if (SubnetView.answers(view.answerProbability(seg, h, complete, now), probe, h)) {
        n++;
      }
    }
    return n;
  }

  private static SegmentId segment(int seed) {
    byte[] b = new byte[32];
    new SplittableRandom(seed).nextBytes(b);
    return SegmentId.of(b);
  }

  private static long[] range(long from, int count) {
    long[] ids = new long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = from + i;
    }
    return ids;
  }

  @Test
  void aCrowdThatStartsWithinOneSecondDrawsAboutTheTargetNumberOfAnswersFromItsFirstProbe() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(7);
    long t0 = 5_000_000_000L;
    long[] crowd = range(1, 10_000);
    for (long id : crowd) {
      view.heard(id, endpoint(id), List.of(seg), 0, t0 + id * 100_000L); // all within 1 s
    }
    long now = t0 + 1_000_000_000L;
    // Nobody has been heard for the old 2 s "settle" yet; every one of them holds a few blocks.
    int target = S.answerTarget();
    assertEquals(target, expectedAnswers(view, seg, crowd, false, now), 1e-6);
    // Nodes that finished within the membership window are still counted as the wanters they were.
    assertEquals(target, expectedAnswers(view, seg, crowd, true, now), 1e-6);
    int total = 0;
    for (long probe = 1; probe <= 50; probe++) {
      int n = answering(view, seg, crowd, false, probe * 0x9E3779B97F4A7C15L, now);
      assertTrue(n < 4 * target, "probe " + probe + ": " + n + " answers");
      total += n;
    }
    assertTrue(total > 25 * target && total < 2 * 50 * target, "answers to 50 probes: " + total);
  }

  @Test
  void nodesThatStoppedProbingShareOneTargetAndALoneSeedAnswersEveryProbe() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(8);
    long[] finishedEarlier = range(1, 2_000);
    long[] crowd = range(100_000, 3_000);
    for (long id : finishedEarlier) {
      view.heard(id, endpoint(id), List.of(seg), 0, 1_000_000_000L);
    }
    long now = 1_000_000_000L + MEMBERSHIP + 60_000_000_000L;
    for (long id : crowd) {
      view.heard(id, endpoint(id), List.of(seg), 0, now);
    }
    int target = S.answerTarget();
    // The 2,000 quiet complete holders: one target between them, not one each.
    assertEquals(target, expectedAnswers(view, seg, finishedEarlier, true, now), 1e-6);
    // The crowd's partial holders: their share of one target among all 5,000 heard.
    assertEquals(target * 3_000.0 / 5_000, expectedAnswers(view, seg, crowd, false, now), 1e-6);
    // A seed never heard probing it: one more than the quiet ones, a little less than 1 in 2,000.
    assertEquals((double) target / 2_001, view.answerProbability(seg, 9_999_999L, true, now), 1e-12);

    SubnetView fresh = new SubnetView(S);
    for (long id : crowd) {
      fresh.heard(id, endpoint(id), List.of(seg), 0, now);
    }
    long seed = 9_999_999L;
    assertEquals(1.0, fresh.answerProbability(seg, seed, true, now), "a lone seed in a fresh crowd answers every probe");
    for (long probe = 1; probe <= 20; probe++) {
      assertTrue(SubnetView.answers(fresh.answerProbability(seg, seed, true, now), probe, seed));
    }
    // A partial holder among them is one of the crowd.
    assertEquals((double) target / 3_000, fresh.answerProbability(seg, crowd[0], false, now), 1e-12);
  }

  @Test
  void aProbeWithoutAPeerdistTagIsAnsweredByTheSameRule() {
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(9);
    long now = 3_000_000_000L;
    long windows = -1 - 0x0A01_0203L; // how LoopDriver names an untagged prober: negative, from its address
    view.heard(windows, List.of(seg), 0, now);
    // One holder, one Windows client asking: it answers.
    assertEquals(1.0, view.answerProbability(seg, 42, false, now));
    assertEquals(1.0, view.answerProbability(seg, 42, true, now));
    // In a crowd of Windows clients, the holders draw about the target between them, as for tagged ones.
    long[] clients = range(-20_000, 5_000);
    for (long id : clients) {
      view.heard(id, List.of(seg), 0, now);
    }
    long[] holders = range(1, 400);
    double expected = expectedAnswers(view, seg, holders, false, now);
    assertEquals(400.0 * S.answerTarget() / 5_001, expected, 1e-9);
    assertTrue(view.foreignProbersWithin(1, now));
  }

  @Test
  void aNodeThatFinishedASegmentAnswersAsAWanterForTheMembershipWindow() {
    // The daemon's own probes do not reach its own view: Node tells it when a segment completes.
    SubnetView view = new SubnetView(S);
    SegmentId seg = segment(10);
    long now = 2_000_000_000L;
    for (long id : range(1, 1_000)) {
      view.heard(id, endpoint(id), List.of(seg), 0, now);
    }
    long self = 5_000_000L;
    assertEquals(1.0, view.answerProbability(seg, self, true, now), "complete and never heard: a seed");
    view.finishedHere(seg, now);
    assertEquals(S.answerTarget() / 1_000.0, view.answerProbability(seg, self, true, now), 1e-12);
    long later = now + MEMBERSHIP + 1;
    view.expire(later);
    // The others stopped probing too: one target between all that stopped, itself included.
    assertEquals(S.answerTarget() / 1_001.0, view.answerProbability(seg, self, true, later), 1e-12);
  }

  /** The wanters within the window that outrank {@code self}, best first, at most {@code limit}. */
  private static List<PeerEndpoint> betterRanked(Map<Long, Heard> m, SegmentId seg, long self, long now, int limit) {
    long mine = SubnetView.score(self, seg);
    return m.entrySet().stream()
        .filter(e -> e.getKey() != self && now - e.getValue().last <= MEMBERSHIP)
        .filter(e -> Long.compareUnsigned(SubnetView.score(e.getKey(), seg), mine) > 0)
        .sorted((a, b) -> Long.compareUnsigned(SubnetView.score(b.getKey(), seg), SubnetView.score(a.getKey(), seg)))
        .limit(limit)
        .map(e -> endpoint(e.getKey()))
        .toList();
  }

  /** Which of {@code ids} (all heard in {@code view}) copies block {@code b} first; fails unless exactly one. */
  private static long firstCopier(SubnetView view, SegmentId seg, List<Long> ids, int b, long now) {
    long point = SubnetView.blockPoint(SubnetView.hash(seg), b);
    long owner = -1;
    int owners = 0;
    for (long id : ids) {
      if (SubnetView.onArc(view.firstCopyArcs(seg, id, now), point)) {
        owner = id;
        owners++;
      }
    }
    assertEquals(1, owners, "first copiers of block " + b);
    return owner;
  }

  @Test
  void everyBlockHasOneFirstCopierAndANewcomerTakesOnlyItsOwnArcs() {
    SegmentId seg = segment(7);
    SubnetView view = new SubnetView(S);
    SplittableRandom random = new SplittableRandom(7);
    long now = 1_000_000_000L;
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long id = random.nextLong() >>> 1;
      ids.add(id);
      view.heard(id, endpoint(i), List.of(seg), 0, now);
    }
    int blocks = 512;
    long[] before = new long[blocks];
    Map<Long, Integer> shares = new HashMap<>();
    for (int b = 0; b < blocks; b++) {
      before[b] = firstCopier(view, seg, ids, b, now);
      shares.merge(before[b], 1, Integer::sum);
    }
    // 16 points each: no wanter gets a share far beyond the mean (12.8 blocks here).
    assertTrue(shares.values().stream().mapToInt(Integer::intValue).max().getAsInt() < 4 * blocks / ids.size(),
        "largest share " + shares);
    // A newcomer, heard after the ring's rebuild interval: blocks move only to it.
    long newcomer = random.nextLong() >>> 1;
    now += 200_000_000L;
    view.heard(newcomer, endpoint(99), List.of(seg), 0, now);
    ids.add(newcomer);
    int moved = 0;
    for (int b = 0; b < blocks; b++) {
      long after = firstCopier(view, seg, ids, b, now);
      if (after != before[b]) {
        assertEquals(newcomer, after, "block " + b + " moved to an old wanter");
        moved++;
      }
    }
    assertTrue(moved > 0 && moved < 4 * blocks / ids.size(), "blocks moved to the newcomer: " + moved);
    // Each of the newcomer's arcs names its predecessor: the wanter its blocks were with before.
    SubnetView.ArcsMemo memo = new SubnetView.ArcsMemo();
    long[] arcs = view.firstCopyArcs(seg, newcomer, now, memo);
    long hash = SubnetView.hash(seg);
    for (int b = 0; b < blocks; b++) {
      int k = SubnetView.arcOf(arcs, SubnetView.blockPoint(hash, b));
      if (k >= 0) {
        assertEquals(endpoint(ids.indexOf(before[b])), memo.predecessors()[k], "the predecessor of block " + b);
      }
    }
    // Alone on the ring (or nobody heard): every block is ours.
    assertEquals(null, new SubnetView(S).firstCopyArcs(seg, 5, now));
  }

  @Test
  void wantersHeardProbingAreOfferedAsHoldersToBeExceptOurselvesAndTheSkipped() {
    SegmentId seg = segment(8);
    SubnetView view = new SubnetView(S);
    long now = 1_000_000_000L;
    for (long id = 1; id <= 6; id++) {
      view.heard(id, endpoint(id), List.of(seg), 0, now);
    }
    view.heard(-42, List.of(seg), 0, now); // an untagged prober (Windows, iPXE): no PCCRR port known
    List<PeerEndpoint> all = view.wanterEndpoints(seg, 1, 10, 3, e -> e.equals(endpoint(4)), now);
    assertEquals(4, all.size(), "wanters 2, 3, 5, 6: " + all);
    assertTrue(!all.contains(endpoint(1)) && !all.contains(endpoint(4)));
    assertEquals(2, view.wanterEndpoints(seg, 1, 2, 0, e -> false, now).size(), "at most max");
    // Out of the membership window: no longer offered.
    assertTrue(view.wanterEndpoints(seg, 1, 10, 0, e -> false, now + MEMBERSHIP + 1).isEmpty());
    assertTrue(view.wanterEndpoints(segment(9), 1, 10, 0, e -> false, now).isEmpty());
  }
}
