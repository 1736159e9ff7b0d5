package dev.peerdist.node.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.metrics.FallbackReason;
import dev.peerdist.node.retrieval.Outcome;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DownloadLoopTest {
  static final SegmentId SEG = SegmentId.of(bytes(7));
  static final SegmentRef REF = new SegmentRef(SEG, 512, 65536, 65536, 0);
  static final LoopSettings S = LoopSettings.defaults();

  final long[] now = {1_000_000_000L};
  final SubnetView view = new SubnetView(S);

  static byte[] bytes(int seed) {
    byte[] b = new byte[32];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  static PeerEndpoint peer(int i) {
    return new PeerEndpoint(new InetSocketAddress("10.0.0." + i, 8080));
  }

  DownloadLoop loop(long nodeId) {
    return new DownloadLoop(nodeId, S, view, () -> now[0], new SplittableRandom(1));
  }

  /** A loop that wants all of {@link #REF}, holds none of it and has sent its first probe. */
  DownloadLoop wanting(long nodeId) {
    DownloadLoop l = loop(nodeId);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    return l;
  }

  void advance(Duration d) {
    now[0] += d.toNanos();
  }

  static <T> List<T> of(List<Action> actions, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Action a : actions) {
      if (type.isInstance(a)) {
        out.add(type.cast(a));
      }
    }
    return out;
  }

  /** Two node ids where {@code ids[0]} outranks {@code ids[1]} for SEG. */
  static long[] rankedPair() {
    long a = 11;
    long b = 12;
    return Long.compareUnsigned(SubnetView.score(a, SEG), SubnetView.score(b, SEG)) > 0
        ? new long[] {a, b} : new long[] {b, a};
  }

  @Test
  void aLoneNodeProbesWaitsThenFetchesEverythingFromTheOriginAsNoPeer() {
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.tick();
    List<Action> first = l.drain();
    assertEquals(List.of(SEG), of(first, Action.SendProbe.class).get(0).segments());
    assertTrue(of(first, Action.FetchOrigin.class).isEmpty(), "no origin before the discovery wait");
    advance(S.discoveryWait());
    l.tick();
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    assertEquals(S.originFlows(), fo.size());
    assertEquals(0, fo.get(0).first());
    assertEquals(S.originRangeBlocks(), fo.get(0).count());
    assertEquals(FallbackReason.NO_PEER, fo.get(0).reason());
    int done = 0;
    // Serve every origin request as it comes until the segment is done.
    List<Action.FetchOrigin> queue = new ArrayList<>(fo);
    List<Action> all = new ArrayList<>();
    while (!queue.isEmpty()) {
      Action.FetchOrigin f = queue.remove(0);
      for (int b = f.first(); b < f.first() + f.count(); b++) {
        l.originBlock(f.id(), SEG, b);
      }
      l.originEnd(f.id(), true, "");
      List<Action> a = l.drain();
      all.addAll(a);
      queue.addAll(of(a, Action.FetchOrigin.class));
    }
    assertEquals(1, of(all, Action.SegmentDone.class).size());
    assertFalse(l.busy());
  }

  @Test
  void aCompleteHolderGetsRequestsUpToTheLimitAndNoOriginIsUsed() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    List<Action.GetBlock> gets = of(l.drain(), Action.GetBlock.class);
    assertEquals(S.requestsPerPeer(), gets.size());
    assertEquals(S.requestsPerPeer(), gets.stream().map(Action.GetBlock::index).distinct().count());
    advance(S.discoveryWait().multipliedBy(2));
    List<Action> later = new ArrayList<>();
    List<Action.GetBlock> pending = new ArrayList<>(gets);
    while (!pending.isEmpty()) {
      Action.GetBlock g = pending.remove(0);
      l.blockResult(g.id(), Outcome.OK, 1000);
      l.tick();
      List<Action> a = l.drain();
      later.addAll(a);
      pending.addAll(of(a, Action.GetBlock.class));
    }
    assertTrue(of(later, Action.FetchOrigin.class).isEmpty());
    assertEquals(1, of(later, Action.SegmentDone.class).size());
  }

  @Test
  void aLoneCompleteHolderIsAskedInBlockOrderSoTheReaderTakesBlocksAsTheyCome() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    List<Action.GetBlock> pending = new ArrayList<>(of(l.drain(), Action.GetBlock.class));
    List<Integer> asked = new ArrayList<>();
    pending.forEach(g -> asked.add(g.index()));
    while (!pending.isEmpty()) {
      Action.GetBlock g = pending.remove(0);
      l.blockResult(g.id(), Outcome.OK, 1000);
      List<Action.GetBlock> next = of(l.drain(), Action.GetBlock.class);
      next.forEach(n -> asked.add(n.index()));
      pending.addAll(next);
    }
    List<Integer> inOrder = new ArrayList<>();
    for (int b = 0; b < REF.blocks(); b++) {
      inOrder.add(b);
    }
    assertEquals(inOrder, asked);
  }

  @Test
  void partialHoldersAreAskedFromRandomStartsSoACrowdTradesDifferentBlocks() {
    // Two nodes asking the same partial holder: their first requests start at different blocks.
    BitSet held = new BitSet();
    held.set(0, 400);
    List<Integer> firsts = new ArrayList<>();
    for (long id = 1; id <= 2; id++) {
      DownloadLoop l = new DownloadLoop(id, S, new SubnetView(S), () -> now[0], new SplittableRandom(id));
      l.want(REF, new BitSet());
      l.tick();
      l.drain();
      l.matched(peer(2), SEG, 400, false);
      Action.AskBlockList ask = of(l.drain(), Action.AskBlockList.class).get(0);
      l.blockList(ask.id(), held);
      firsts.add(of(l.drain(), Action.GetBlock.class).get(0).index());
    }
    assertNotEquals(firsts.get(0), firsts.get(1));
  }

  /** Block lists a node asks in 20 s of a dry segment among 8 partial holders that answer after {@code latency}. */
  int listsAskedWhenAnswersTake(Duration latency) {
    DownloadLoop l = wanting(1);
    BitSet held = new BitSet();
    held.set(0);
    List<Action.AskBlockList> open = new ArrayList<>();
    List<Long> askedAt = new ArrayList<>();
    for (int i = 2; i < 10; i++) {
      l.matched(peer(i), SEG, 1, false);
    }
    int asked = 0;
    long end = now[0] + Duration.ofSeconds(20).toNanos();
    while (now[0] < end) {
      for (Action.AskBlockList a : of(l.drain(), Action.AskBlockList.class)) {
        open.add(a);
        askedAt.add(now[0]);
        asked++;
      }
      for (int i = 0; i < open.size(); i++) {
        if (now[0] - askedAt.get(i) >= latency.toNanos()) {
          l.blockList(open.remove(i).id(), held);
          askedAt.remove(i);
          i--;
        }
      }
      advance(Duration.ofMillis(10));
      l.tick();
    }
    return asked;
  }

  @Test
  void pollRoundsSlowDownWhenBlockListsComeBackSlowly() {
    int fast = listsAskedWhenAnswersTake(Duration.ofMillis(2));
    int slow = listsAskedWhenAnswersTake(Duration.ofSeconds(1));
    assertTrue(fast > 100, "a dry segment polls its holders: " + fast);
    assertTrue(slow * 2 < fast, "lists answered in 1 s: " + slow + ", in 2 ms: " + fast);
  }

  @Test
  void aPartialHolderIsAskedForItsListAndOnlyTheRestComesFromTheOrigin() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 100, false);
    List<Action.AskBlockList> lists = of(l.drain(), Action.AskBlockList.class);
    assertEquals(1, lists.size());
    advance(S.discoveryWait());
    l.tick();
    assertTrue(of(l.drain(), Action.FetchOrigin.class).isEmpty(), "no origin while a list is pending");
    BitSet held = new BitSet();
    held.set(0, 100);
    l.blockList(lists.get(0).id(), held);
    List<Action> a = l.drain();
    for (Action.GetBlock g : of(a, Action.GetBlock.class)) {
      assertTrue(g.index() < 100, "asked the peer for a block it lacks: " + g.index());
    }
    l.tick();
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    assertFalse(fo.isEmpty());
    for (Action.FetchOrigin f : fo) {
      assertTrue(f.first() >= 100, "origin asked for a block a peer holds: " + f.first());
      assertEquals(FallbackReason.BLOCK_NOT_HELD, f.reason());
    }
  }

  @Test
  void aNodeWaitsForTheBetterRankedFetcherAndTakesOverWhenItGoesQuiet() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[1]);
    view.heard(pair[0], List.of(SEG), 1, now[0]);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    for (int i = 0; i < 25; i++) { // 2.5 s: the fetcher is heard fetching every second
      advance(Duration.ofMillis(100));
      if (i % 10 == 0) {
        view.heard(pair[0], List.of(SEG), 1, now[0]);
      }
      l.tick();
      assertTrue(of(l.drain(), Action.FetchOrigin.class).isEmpty(), "fetched while the fetcher is alive");
    }
    List<Action.FetchOrigin> fo = List.of();
    for (int i = 0; i < 60 && fo.isEmpty(); i++) {
      advance(Duration.ofMillis(100));
      l.tick();
      fo = of(l.drain(), Action.FetchOrigin.class);
    }
    assertFalse(fo.isEmpty(), "never took over");
    assertEquals(FallbackReason.TAKEOVER, fo.get(0).reason());
    assertEquals(1, l.stats().takeovers);
  }

  @Test
  void theBetterRankedNodeFetchesAsCoordinatedAndStopsWhenAnEvenBetterOneFetches() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[0]);
    view.heard(pair[1], List.of(SEG), 0, now[0]);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    advance(S.discoveryWait());
    l.tick();
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    assertFalse(fo.isEmpty());
    assertEquals(FallbackReason.COORDINATED, fo.get(0).reason());
    // A node that outranks us appears and says it fetches the segment.
    long better = 0;
    for (long id = 100; better == 0; id++) {
      if (Long.compareUnsigned(SubnetView.score(id, SEG), SubnetView.score(pair[0], SEG)) > 0) {
        better = id;
      }
    }
    view.heard(better, List.of(SEG), 1, now[0]);
    advance(Duration.ofMillis(600)); // the ranking is recomputed every 500 ms
    l.tick();
    List<Action.CancelOrigin> cancels = of(l.drain(), Action.CancelOrigin.class);
    assertEquals(fo.size(), cancels.size());
  }

  @Test
  void aFetcherLetsItsRunningRangesEndWhenABetterRankedWanterAppearsAndClaimsNoMore() {
    long[] pair = rankedPair();
    DownloadLoop l = wanting(pair[1]);
    advance(S.discoveryWait());
    l.tick();
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    assertEquals(S.originFlows(), fo.size());
    // The better-ranked node wants the segment too (it came later, or heard us late); it does
    // not fetch: it waits for our ranges.
    for (int i = 0; i < 30; i++) { // 3 s
      advance(Duration.ofMillis(100));
      view.heard(pair[0], List.of(SEG), 0, now[0]);
      l.tick();
      List<Action> a = l.drain();
      assertTrue(of(a, Action.CancelOrigin.class).isEmpty(), "cut its running ranges for a wanter that does not fetch");
      assertTrue(of(a, Action.FetchOrigin.class).isEmpty());
    }
    for (Action.FetchOrigin f : fo) {
      for (int b = f.first(); b < f.first() + f.count(); b++) {
        l.originBlock(f.id(), SEG, b);
      }
      l.originEnd(f.id(), true, "");
    }
    view.heard(pair[0], List.of(SEG), 0, now[0]);
    advance(Duration.ofMillis(20));
    l.tick();
    List<Action> after = l.drain();
    assertTrue(of(after, Action.FetchOrigin.class).isEmpty(), "the segment is the better-ranked node's now");
    // It says at once that it no longer fetches: the waiting node need not wait for the flag to age.
    List<Action.SendProbe> probes = of(after, Action.SendProbe.class);
    assertEquals(1, probes.size());
    assertEquals(SEG, probes.get(0).segments().get(0));
    assertEquals(0, probes.get(0).fetching());
  }

  @Test
  void ofNodesThatAllStartedFetchingOnlyTheBestRankedKeepsItsRangesWhileTheElectedWaits() {
    // A crowd's start on a site short of CPU: nodes heard nobody within the discovery wait and
    // all fetch the segment's first ranges as no_peer; the elected node came later and only waits.
    long[] pair = rankedPair();
    long elected = 0;
    for (long id = 100; elected == 0; id++) {
      if (Long.compareUnsigned(SubnetView.score(id, SEG), SubnetView.score(pair[0], SEG)) > 0) {
        elected = id;
      }
    }
    DownloadLoop worse = wanting(pair[1]);
    advance(S.discoveryWait());
    worse.tick();
    List<Action.FetchOrigin> fo = of(worse.drain(), Action.FetchOrigin.class);
    assertEquals(FallbackReason.NO_PEER, fo.get(0).reason());
    view.heard(elected, List.of(SEG), 0, now[0]); // the elected node wants it, and waits
    advance(Duration.ofMillis(600));
    worse.tick();
    assertTrue(of(worse.drain(), Action.CancelOrigin.class).isEmpty(), "cut for a node that does not fetch");
    view.heard(pair[0], List.of(SEG), 1, now[0]); // a better-ranked node fetches it too
    advance(Duration.ofMillis(100));
    worse.tick();
    assertEquals(fo.size(), of(worse.drain(), Action.CancelOrigin.class).size(), "both fetch the same blocks");
  }

  @Test
  void theElectedNodeWaitsForAnotherNodesRunningRangesThenAsksItsHoldersBeforeFetching() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[0]);
    view.heard(pair[1], peer(3), List.of(SEG), 1, now[0]);
    l.want(REF, new BitSet());
    l.matched(peer(3), SEG, 0, false); // the fetcher at work, holding part of it (its count unknown)
    List<Action.AskBlockList> asked = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // 4 s: the other node says it fetches every second
      if (i % 10 == 0) {
        view.heard(pair[1], peer(3), List.of(SEG), 1, now[0]);
      }
      l.tick();
      List<Action> a = l.drain();
      assertTrue(of(a, Action.FetchOrigin.class).isEmpty(), "fetched beside another node's running ranges");
      asked.addAll(of(a, Action.AskBlockList.class));
      for (Action.AskBlockList q : of(a, Action.AskBlockList.class)) {
        BitSet held = new BitSet();
        held.set(0, 64 + 6 * i); // it keeps fetching: blocks 0.. grow
        l.blockList(q.id(), held);
      }
      advance(Duration.ofMillis(100));
    }
    // Its ranges ended at block 320; it says it fetches no more.
    BitSet last = new BitSet();
    last.set(0, 320);
    List<Action.FetchOrigin> fo = new ArrayList<>();
    for (int i = 0; i < 60 && fo.isEmpty(); i++) {
      view.heard(pair[1], peer(3), List.of(SEG), 0, now[0]);
      l.tick();
      List<Action> a = l.drain();
      for (Action.AskBlockList q : of(a, Action.AskBlockList.class)) {
        l.blockList(q.id(), last);
      }
      fo = of(a, Action.FetchOrigin.class);
      advance(Duration.ofMillis(100));
    }
    assertFalse(fo.isEmpty(), "never fetched after the other node's ranges ended");
    for (Action.FetchOrigin f : fo) {
      assertTrue(f.first() >= 320, "fetched a block the other node had fetched: " + f.first());
      assertEquals(FallbackReason.COORDINATED, f.reason());
    }
  }

  @Test
  void aNodeThatStartsFetchingSaysSoInItsNextProbe() {
    DownloadLoop l = wanting(1);
    advance(S.discoveryWait());
    l.tick();
    assertFalse(of(l.drain(), Action.FetchOrigin.class).isEmpty());
    advance(Duration.ofMillis(20)); // one tick, far less than probeMin
    l.tick();
    List<Action.SendProbe> probes = of(l.drain(), Action.SendProbe.class);
    assertEquals(1, probes.size(), "the others hear it fetch only from its probes");
    assertEquals(SEG, probes.get(0).segments().get(0));
    assertEquals(1, probes.get(0).fetching());
  }

  @Test
  void busyHoldersAreWaitedForNotSentToTheOrigin() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    for (int round = 0; round < 50; round++) { // 5 s of busy answers
      for (Action.GetBlock g : of(l.drain(), Action.GetBlock.class)) {
        l.blockResult(g.id(), Outcome.BUSY, 1000);
      }
      advance(Duration.ofMillis(100));
      l.tick();
      assertTrue(of(l.drain(), Action.FetchOrigin.class).isEmpty(), "went to the origin though a peer holds it");
    }
  }

  static final SegmentId NEXT = SegmentId.of(bytes(8));
  static final SegmentRef NEXT_REF = new SegmentRef(NEXT, 64, 65536, 65536, 512L * 65536);

  /**
   * Runs {@code seconds} of 100 ms rounds in which the peer delivers at most one block per round,
   * of SEG only when {@code delivers}, and answers everything else busy; returns the origin
   * requests made.
   */
  List<Action.FetchOrigin> slowSeedRounds(DownloadLoop l, int seconds, boolean delivers) {
    List<Action.FetchOrigin> origin = new ArrayList<>();
    List<Action.GetBlock> pending = new ArrayList<>();
    for (int round = 0; round < seconds * 10; round++) {
      List<Action> a = l.drain();
      origin.addAll(of(a, Action.FetchOrigin.class));
      pending.addAll(of(a, Action.GetBlock.class));
      boolean served = false;
      for (java.util.Iterator<Action.GetBlock> it = pending.iterator(); it.hasNext(); ) {
        Action.GetBlock g = it.next();
        it.remove();
        boolean ok = delivers && !served && g.segment().equals(SEG);
        served |= ok;
        l.blockResult(g.id(), ok ? Outcome.OK : Outcome.BUSY, 1000);
      }
      advance(Duration.ofMillis(100));
      l.tick();
    }
    origin.addAll(of(l.drain(), Action.FetchOrigin.class));
    return origin;
  }

  /** A loop that wants SEG and NEXT, both held whole by peer 2 alone. */
  DownloadLoop twoSegmentsOfOneSeed() {
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.want(NEXT_REF, new BitSet());
    l.tick();
    l.drain();
    l.matched(peer(2), SEG, 512, true);
    l.matched(peer(2), NEXT, 64, true);
    return l;
  }

  @Test
  void aLaterSegmentWaitsForItsHolderWhilePeersKeepDeliveringTheOnesBefore() {
    // A seeded live crowd short of CPU: the seed answered each node's one request at a time, all
    // for the first segment; after lanPatience the later segments went to the origin beside it.
    DownloadLoop l = twoSegmentsOfOneSeed();
    List<Action.FetchOrigin> origin = slowSeedRounds(l, 30, true);
    assertTrue(origin.isEmpty(), "went to the origin beside a peer that delivers: " + origin);
  }

  @Test
  void heldBlocksGoToTheOriginAfterLanPatienceWhenNoPeerDeliversAnything() {
    DownloadLoop l = twoSegmentsOfOneSeed();
    assertTrue(slowSeedRounds(l, 15, false).isEmpty(), "busy for 15 s is waited for");
    List<Action.FetchOrigin> origin = slowSeedRounds(l, 10, false);
    assertTrue(origin.stream().anyMatch(f -> f.segment().equals(SEG)), "origin: " + origin);
  }

  @Test
  void aCorruptPeerIsBannedAndItsBlocksComeFromTheOriginAsHashMismatch() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    List<Action.GetBlock> gets = of(l.drain(), Action.GetBlock.class);
    int bad = gets.get(0).index();
    l.blockResult(gets.get(0).id(), Outcome.BAD_DATA, 1000);
    for (Action.GetBlock g : gets.subList(1, gets.size())) {
      l.blockResult(g.id(), Outcome.OK, 1000);
    }
    assertTrue(of(l.drain(), Action.GetBlock.class).isEmpty(), "asked a banned peer");
    l.matched(peer(2), SEG, 512, true);
    assertTrue(of(l.drain(), Action.GetBlock.class).isEmpty(), "a banned peer came back through a probe");
    advance(S.discoveryWait());
    l.tick();
    boolean found = false;
    for (Action.FetchOrigin f : of(l.drain(), Action.FetchOrigin.class)) {
      if (bad >= f.first() && bad < f.first() + f.count()) {
        assertEquals(FallbackReason.HASH_MISMATCH, f.reason());
        found = true;
      }
    }
    assertTrue(found || l.originInFlight() == S.originFlows(), "the bad block is planned from the origin");
    assertEquals(1, l.stats().peersBanned);
  }

  @Test
  void aSlowBlockIsHedgedToASecondHolder() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    List<Action.GetBlock> first = of(l.drain(), Action.GetBlock.class);
    // A second holder that has exactly the blocks asked of the first one (and nothing else).
    l.matched(peer(3), SEG, first.size(), false);
    List<Action.AskBlockList> lists = of(l.drain(), Action.AskBlockList.class);
    BitSet held = new BitSet();
    first.forEach(g -> held.set(g.index()));
    l.blockList(lists.get(0).id(), held);
    assertTrue(of(l.drain(), Action.GetBlock.class).isEmpty(), "blocks already asked are not asked twice at once");
    advance(S.hedgeAfter());
    l.tick();
    List<Action.GetBlock> hedges = of(l.drain(), Action.GetBlock.class).stream()
        .filter(g -> g.peer().equals(peer(3)) && first.stream().anyMatch(f -> f.index() == g.index())).toList();
    assertFalse(hedges.isEmpty(), "no hedge of a slow block");
    assertTrue(hedges.stream().allMatch(g -> g.kind() == Action.GetBlock.Kind.HEDGE), "hedges say so: " + hedges);
    assertTrue(l.stats().hedges > 0);
  }

  @Test
  void aPeerThatTimesOutRepeatedlyIsForgottenAndItsBlocksGoToTheOriginAsTimeout() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 512, true);
    for (int i = 0; i < 200 && l.stats().peersForgotten == 0; i++) {
      for (Action.GetBlock g : of(l.drain(), Action.GetBlock.class)) {
        l.blockResult(g.id(), Outcome.TIMEOUT, 2_000_000_000L);
      }
      advance(Duration.ofMillis(500));
      l.tick();
    }
    assertEquals(1, l.stats().peersForgotten);
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    if (fo.isEmpty()) {
      advance(Duration.ofMillis(100));
      l.tick();
      fo = of(l.drain(), Action.FetchOrigin.class);
    }
    assertFalse(fo.isEmpty());
    assertTrue(fo.stream().allMatch(f -> f.reason() == FallbackReason.TIMEOUT), fo.toString());
  }

  @Test
  void anElectedFetcherLabelsOnlyTheBlocksAForgottenHolderHadWithItsFailure() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[0]);
    view.heard(pair[1], List.of(SEG), 0, now[0]); // a subnet-mate wants it too; this node ranks first
    l.want(REF, new BitSet());
    l.matched(peer(2), SEG, 64, false); // a holder of blocks 0-63 whose requests all time out
    BitSet first64 = new BitSet();
    first64.set(0, 64);
    List<Action.FetchOrigin> fo = new ArrayList<>();
    for (int i = 0; i < 400 && fo.stream().mapToInt(Action.FetchOrigin::count).sum() < 512; i++) {
      l.tick();
      for (Action a : l.drain()) {
        if (a instanceof Action.AskBlockList ask) {
          l.blockList(ask.id(), first64);
        } else if (a instanceof Action.GetBlock g) {
          l.blockResult(g.id(), Outcome.TIMEOUT, 2_000_000_000L);
        } else if (a instanceof Action.FetchOrigin f) {
          fo.add(f);
          for (int b = f.first(); b < f.first() + f.count(); b++) {
            l.originBlock(f.id(), SEG, b);
          }
          l.originEnd(f.id(), true, "");
        }
      }
      advance(Duration.ofMillis(100));
      view.heard(pair[1], List.of(SEG), 0, now[0]);
    }
    assertEquals(1, l.stats().peersForgotten);
    assertEquals(512, fo.stream().mapToInt(Action.FetchOrigin::count).sum(), fo.toString());
    for (Action.FetchOrigin f : fo) {
      FallbackReason want = f.first() < 64 ? FallbackReason.TIMEOUT : FallbackReason.COORDINATED;
      assertTrue(f.first() >= 64 || f.first() + f.count() <= 64, "a range across the lost holder's blocks: " + f);
      assertEquals(want, f.reason(), f.toString());
    }
  }

  @Test
  void aPeerWithoutBlockListsIsAskedBlindly() {
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 10, false);
    for (int i = 0; i < 2; i++) {
      List<Action.AskBlockList> lists = of(l.drain(), Action.AskBlockList.class);
      assertEquals(1, lists.size());
      l.blockListFailed(lists.get(0).id(), Outcome.BAD_DATA);
      advance(S.blockListInterval().multipliedBy(5));
      l.tick();
    }
    assertFalse(of(l.drain(), Action.GetBlock.class).isEmpty(), "a peer that cannot list is asked block by block");
  }

  @Test
  void theOriginIsRetriedAfterAFailureAndTheSegmentFailsOnlyAfterGivingUp() {
    DownloadLoop l = wanting(1);
    advance(S.discoveryWait());
    l.tick();
    List<Action.FetchOrigin> fo = of(l.drain(), Action.FetchOrigin.class);
    l.originBlock(fo.get(0).id(), SEG, fo.get(0).first());
    for (Action.FetchOrigin f : fo) {
      l.originEnd(f.id(), false, "connection reset");
    }
    assertTrue(of(l.drain(), Action.FetchOrigin.class).isEmpty(), "retried without a pause");
    boolean failed = false;
    int retries = 0;
    for (int i = 0; i < 2000 && !failed; i++) {
      advance(Duration.ofMillis(500));
      l.tick();
      for (Action a : l.drain()) {
        if (a instanceof Action.FetchOrigin f) {
          retries++;
          l.originEnd(f.id(), false, "connection reset");
        } else if (a instanceof Action.SegmentFailed sf) {
          failed = true;
          assertTrue(sf.why().contains("connection reset"), sf.why());
        }
      }
    }
    assertTrue(retries > 3, "retries: " + retries);
    assertTrue(failed);
    assertTrue(now[0] - 1_000_000_000L >= S.originGiveUp().toNanos());
  }

  @Test
  void answerThinningDrawsAboutTheTargetNumberOfAnswersInALargeSwarm() {
    for (long id = 0; id < 1000; id++) {
      view.heard(id, List.of(SEG), 0, now[0]);
    }
    // Counted from their first probe on, not only once settled (issue 9): no flood in the first seconds.
    double p = view.answerProbability(SEG, 5_000, false, now[0]);
    assertEquals(16.0 / 1000, p, 1e-9);
    int answers = 0;
    for (long id = 0; id < 1000; id++) {
      if (SubnetView.answers(p, 0xABCDEFL, id)) {
        answers++;
      }
    }
    assertTrue(answers > 4 && answers < 40, "answers: " + answers);
    assertNotEquals(SubnetView.answers(p, 1, 5), SubnetView.answers(p, 1, 5) ^ true);
  }

  @Test
  void standingGivesEveryWanterItsOwnPlaceInOneOrderAllAgreeOn() {
    long[] ids = {40, 7, 1_000_003, 12, 99};
    for (long id : ids) {
      view.heard(id, List.of(SEG), 0, now[0]);
    }
    java.util.Set<Integer> places = new java.util.HashSet<>();
    for (long id : ids) {
      long st = view.standing(SEG, id, now[0]);
      assertEquals(ids.length, (int) st, "wanters counted");
      places.add((int) (st >>> 32));
    }
    assertEquals(java.util.Set.of(0, 1, 2, 3, 4), places);
    // A node not heard yet counts itself in: it stands where its id falls.
    long st = view.standing(SEG, 50, now[0]);
    assertEquals(ids.length + 1, (int) st);
    assertEquals(3, (int) (st >>> 32)); // after 7, 12 and 40
  }

  @Test
  void theWantersOfAFreshBlockAtItsOnlyHolderTakeItFromThereOnceEachBlockExactlyOnce() {
    // Eight wanters hear each other's probes (one shared view, as on one subnet); one partial
    // holder (an origin fetcher) lists blocks nobody else has. Each block is asked of it by
    // exactly one wanter: the rest wait to copy it from that one.
    int wanters = 8;
    List<DownloadLoop> loops = new ArrayList<>();
    for (int i = 0; i < wanters; i++) {
      loops.add(loop(100 + i));
      view.heard(100 + i, List.of(SEG), 0, now[0]);
    }
    view.heard(99, peer(2), List.of(SEG), 1, now[0]); // the origin fetcher: a source, not a copier
    BitSet fresh = new BitSet();
    fresh.set(0, 64);
    int[] askedFor = new int[REF.blocks()];
    for (DownloadLoop l : loops) {
      l.want(REF, new BitSet());
      l.tick();
      // The dry segment may already have asked the fetcher (heard probing) for its list.
      List<Action> first = new ArrayList<>(l.drain());
      l.matched(peer(2), SEG, 64, false);
      first.addAll(l.drain());
      List<Action.AskBlockList> lists = of(first, Action.AskBlockList.class);
      l.blockList(lists.get(0).id(), fresh);
      // Answer every request at once so that each loop asks for all it is allowed to.
      List<Action.GetBlock> gets = of(l.drain(), Action.GetBlock.class);
      while (!gets.isEmpty()) {
        List<Action.GetBlock> next = new ArrayList<>();
        for (Action.GetBlock g : gets) {
          askedFor[g.index()]++;
          l.blockResult(g.id(), Outcome.OK, 1000);
          next.addAll(of(l.drain(), Action.GetBlock.class));
        }
        gets = next;
      }
    }
    for (int b = 0; b < 64; b++) {
      assertEquals(1, askedFor[b], "wanters that asked the lone holder for block " + b);
    }
    // After the rare wait, a block still at its lone holder only is taken from it by anyone.
    advance(Duration.ofNanos(DownloadLoop.RARE_WAIT_NANOS));
    DownloadLoop late = loops.get(0);
    late.tick();
    assertFalse(of(late.drain(), Action.GetBlock.class).isEmpty(), "aged rare blocks are asked for");
  }

  @Test
  void aSeederAmongManyPartialHoldersIsAskedOnlyForWhatNobodyElseHas() {
    DownloadLoop l = loop(1);
    for (int i = 0; i < 8; i++) {
      view.heard(50 + i, List.of(SEG), 0, now[0]); // a crowd: few blocks are designated to node 1
    }
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    // Four partial holders have blocks 0-255 between them; a seeder has all 512.
    List<Action.GetBlock> gets = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      l.matched(peer(10 + i), SEG, 64, false);
      BitSet held = new BitSet();
      held.set(i * 64, i * 64 + 64);
      List<Action> a = l.drain();
      gets.addAll(of(a, Action.GetBlock.class));
      for (Action.AskBlockList gl : of(a, Action.AskBlockList.class)) {
        l.blockList(gl.id(), held);
        gets.addAll(of(l.drain(), Action.GetBlock.class));
      }
    }
    l.matched(peer(2), SEG, 512, true);
    gets.addAll(of(l.drain(), Action.GetBlock.class));
    // Serve every request at once, as fast peers would, until the loop asks for nothing more.
    int fromSeeder = 0;
    BitSet got = new BitSet();
    while (!gets.isEmpty()) {
      List<Action.GetBlock> next = new ArrayList<>();
      for (Action.GetBlock g : gets) {
        if (g.peer().equals(peer(2))) {
          fromSeeder++;
          assertTrue(g.index() >= 256, "the seeder was asked for block " + g.index() + ", which partial holders have");
          assertEquals(Action.GetBlock.Kind.FIRST_COPY, g.kind(), "block " + g.index() + " of the seeder");
        } else {
          assertEquals(Action.GetBlock.Kind.COPY, g.kind(), "block " + g.index() + " of a partial holder");
        }
        got.set(g.index());
        l.blockResult(g.id(), Outcome.OK, 1000);
        next.addAll(of(l.drain(), Action.GetBlock.class));
      }
      if (next.isEmpty()) {
        advance(Duration.ofMillis(20)); // one tick, as the driver gives
        l.tick();
        next.addAll(of(l.drain(), Action.GetBlock.class));
      }
      gets = next;
    }
    assertEquals(256, got.get(0, 256).cardinality(), "what the partial holders have came from them");
    assertTrue(fromSeeder > 0 && fromSeeder < 128, "the seeder gave only this node's share: " + fromSeeder);
    // Starving (nothing in flight for a while) with blocks rare at the seeder for long enough: the
    // seeder gives what the copies did not bring.
    advance(Duration.ofNanos(Math.max(DownloadLoop.STARVE_NANOS, DownloadLoop.SEED_RARE_WAIT_NANOS) + 1));
    l.tick();
    List<Action.GetBlock> later = of(l.drain(), Action.GetBlock.class);
    assertFalse(later.isEmpty(), "a starving segment asks the seeder");
    assertTrue(later.stream().allMatch(g -> g.kind() == Action.GetBlock.Kind.STARVING), "fallbacks say so: " + later);
    for (Action.GetBlock g : later) {
      assertEquals(peer(2), g.peer());
      assertFalse(got.get(g.index()));
    }
  }

  @Test
  void whatAnOrdinaryPeerHasIsCopiedAtOnceASourceGivesOnlyFirstCopiesOfWhatNobodyElseHas() {
    for (int i = 0; i < 8; i++) {
      view.heard(50 + i, List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = wanting(1);
    // Heard after the loop's first poll round (which would have asked them for lists already).
    view.heard(60, peer(3), List.of(SEG), 0, now[0]); // an ordinary wanter that copied blocks 0-63
    view.heard(61, peer(4), List.of(SEG), 1, now[0]); // the origin fetcher, holding blocks 0-127
    BitSet copied = new BitSet();
    copied.set(0, 64);
    BitSet fresh = new BitSet();
    fresh.set(0, 128);
    List<Action.GetBlock> gets = new ArrayList<>();
    for (Object[] holder : new Object[][] {{peer(3), copied}, {peer(4), fresh}}) {
      l.matched((PeerEndpoint) holder[0], SEG, 64, false);
      List<Action> a = l.drain();
      for (Action.AskBlockList gl : of(a, Action.AskBlockList.class)) {
        l.blockList(gl.id(), (BitSet) holder[1]);
        gets.addAll(of(l.drain(), Action.GetBlock.class));
      }
    }
    long toOrdinary = gets.stream().filter(g -> g.peer().equals(peer(3))).count();
    long toSource = gets.stream().filter(g -> g.peer().equals(peer(4))).count();
    assertEquals(S.requestsPerPeer(), toOrdinary, "the ordinary peer's blocks are asked for at once");
    assertTrue(toSource < S.requestsPerPeer(), "only this node's first copies come from the source: " + toSource);
    for (Action.GetBlock g : gets) {
      if (g.peer().equals(peer(4))) {
        assertTrue(g.index() >= 64, "the source was asked for block " + g.index() + ", which another peer has");
      }
    }
  }

  /** Serves every block request at once until the loop asks for nothing more; returns the requests. */
  static List<Action.GetBlock> serveAll(DownloadLoop l, List<Action.GetBlock> first, long[] now) {
    List<Action.GetBlock> all = new ArrayList<>();
    List<Action.GetBlock> gets = first;
    for (int round = 0; round < 10_000 && !gets.isEmpty(); round++) {
      List<Action.GetBlock> next = new ArrayList<>();
      for (Action.GetBlock g : gets) {
        all.add(g);
        l.blockResult(g.id(), Outcome.OK, 1000);
        next.addAll(of(l.drain(), Action.GetBlock.class));
      }
      if (next.isEmpty()) {
        now[0] += S.tick().toNanos();
        l.tick();
        next.addAll(of(l.drain(), Action.GetBlock.class));
      }
      gets = next;
    }
    return all;
  }

  @Test
  void blocksThatOnlyTwoSeedsHoldAreStillAskedOfThem() {
    // Found by the model with stalling nodes: two complete holders among eight partial ones both
    // held the last two blocks; each counted the other as "someone else has it", so nobody was
    // asked for them and the whole subnet waited.
    for (int i = 0; i < 8; i++) {
      view.heard(50 + i, List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = wanting(1);
    BitSet most = new BitSet();
    most.set(0, 510);
    List<Action.GetBlock> gets = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      l.matched(peer(10 + i), SEG, 510, false);
      for (Action.AskBlockList gl : of(l.drain(), Action.AskBlockList.class)) {
        l.blockList(gl.id(), most);
        gets.addAll(of(l.drain(), Action.GetBlock.class));
      }
    }
    l.matched(peer(2), SEG, 512, true);
    l.matched(peer(3), SEG, 512, true);
    gets.addAll(of(l.drain(), Action.GetBlock.class));
    BitSet got = new BitSet();
    for (Action.GetBlock g : serveAll(l, gets, now)) {
      got.set(g.index());
    }
    advance(Duration.ofNanos(Math.max(DownloadLoop.STARVE_NANOS, DownloadLoop.SEED_RARE_WAIT_NANOS) + 1));
    l.tick();
    for (Action.GetBlock g : serveAll(l, of(l.drain(), Action.GetBlock.class), now)) {
      got.set(g.index());
      if (g.index() >= 510) {
        assertTrue(g.peer().equals(peer(2)) || g.peer().equals(peer(3)), "asked " + g.peer() + " for " + g.index());
      }
    }
    assertEquals(512, got.cardinality(), "blocks never asked: " + missing(got));
  }

  static BitSet missing(BitSet got) {
    BitSet m = new BitSet();
    m.set(0, 512);
    m.andNot(got);
    return m;
  }

  @Test
  void aHolderWhoseListsTimeOutIsNotTakenToHoldEverything() {
    // A peer short of CPU lets list requests time out. That says nothing of what it holds: it is not
    // asked blindly for every block, and it does not stop the origin fetch of blocks nobody listed.
    DownloadLoop l = wanting(1);
    l.matched(peer(2), SEG, 10, false);
    List<Action.GetBlock> blind = new ArrayList<>();
    int originBlocks = 0;
    for (int i = 0; i < 100; i++) { // 10 s
      List<Action> a = l.drain();
      for (Action.AskBlockList gl : of(a, Action.AskBlockList.class)) {
        l.blockListFailed(gl.id(), Outcome.TIMEOUT);
      }
      blind.addAll(of(a, Action.GetBlock.class));
      for (Action.FetchOrigin f : of(a, Action.FetchOrigin.class)) {
        originBlocks += f.count();
        for (int b = f.first(); b < f.first() + f.count(); b++) {
          l.originBlock(f.id(), SEG, b);
        }
        l.originEnd(f.id(), true, "");
      }
      advance(Duration.ofMillis(100));
      l.tick();
    }
    assertTrue(blind.isEmpty(), "asked blindly after timeouts: " + blind.size());
    assertEquals(512, originBlocks, "the blocks nobody listed came from the origin");
  }

  @Test
  void aTakerStopsWhenTheFetcherItTookOverFromSaysItFetchesAgain() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[1]);
    view.heard(pair[0], List.of(SEG), 1, now[0]);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    List<Action.FetchOrigin> fo = List.of();
    for (int i = 0; i < 100 && fo.isEmpty(); i++) {
      advance(Duration.ofMillis(100));
      l.tick();
      fo = of(l.drain(), Action.FetchOrigin.class);
    }
    assertEquals(FallbackReason.TAKEOVER, fo.get(0).reason());
    // The fetcher was short of CPU, not gone: it says it fetches again. The taker stops.
    advance(Duration.ofMillis(100));
    view.heard(pair[0], List.of(SEG), 1, now[0]);
    advance(Duration.ofMillis(600));
    l.tick();
    assertEquals(fo.size(), of(l.drain(), Action.CancelOrigin.class).size());
  }

  @Test
  void aFetcherStillHeardProbingGetsTheLanPatience() {
    // Heard probing (its loop runs, its heartbeat is late: short of CPU): a takeover would fetch the
    // same blocks twice, so the node waits lanPatience, not takeoverAfter, before taking over.
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[1]);
    view.heard(pair[0], List.of(SEG), 1, now[0]);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    long start = now[0];
    long tookOver = -1;
    for (int i = 0; i < 400 && tookOver < 0; i++) {
      advance(Duration.ofMillis(100));
      if (i % 10 == 0) {
        view.heard(pair[0], List.of(SEG), 0, now[0]); // alive, probing, but not saying it fetches
      }
      l.tick();
      if (!of(l.drain(), Action.FetchOrigin.class).isEmpty()) {
        tookOver = now[0] - start;
      }
    }
    assertTrue(tookOver >= 0, "never took over within 40 s");
    assertTrue(tookOver >= S.lanPatience().toNanos(), "took over after " + tookOver / 1_000_000 + " ms");
    assertTrue(tookOver < S.lanPatience().toNanos() + Duration.ofSeconds(1).toNanos(),
        "took over late: " + tookOver / 1_000_000 + " ms");
  }

  @Test
  void aCompleteHolderAmongFewHoldersIsAnOrdinaryPeer() {
    // Complete holders are spared only while partial holders (or, while this node is still meeting
    // them, wanters) outnumber them; otherwise a block that only the complete holder has is ours to
    // ask at once, designated or not (a seeded crowd's tail waited a starvation period per round
    // for its last blocks).
    for (int i = 0; i < 2; i++) {
      view.heard(50 + i, List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = loop(1);
    BitSet mine = new BitSet();
    mine.set(0, 500);
    l.want(REF, mine);
    l.tick();
    l.drain();
    l.matched(peer(2), SEG, 512, true);
    List<Action.GetBlock> gets = of(l.drain(), Action.GetBlock.class);
    BitSet asked = new BitSet();
    gets.forEach(g -> asked.set(g.index()));
    assertEquals(S.requestsPerPeer(), gets.size(), "asked " + asked);
    assertTrue(gets.stream().allMatch(g -> g.peer().equals(peer(2)) && g.index() >= 500));
    assertTrue(gets.stream().allMatch(g -> g.kind() == Action.GetBlock.Kind.COPY), "an ordinary peer: " + gets);
  }

  @Test
  void aSeedMetBeforeTheCrowdIsAskedOnlyForThisNodesFirstCopies() {
    // A crowd's first second: the node has met the seed, not yet its eight subnet-mates that it
    // hears probing. Asking the seed for anything then made every node of a seeded crowd fetch
    // the same blocks from it (the seed uploaded 2.5 × the package in the model).
    for (int i = 0; i < 8; i++) {
      view.heard(50 + i, List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    l.matched(peer(2), SEG, 512, true);
    BitSet asked = new BitSet();
    for (Action.GetBlock g : serveAll(l, of(l.drain(), Action.GetBlock.class), now)) {
      assertEquals(peer(2), g.peer());
      assertEquals(Action.GetBlock.Kind.FIRST_COPY, g.kind(), "block " + g.index());
      asked.set(g.index());
    }
    // One of nine wanters on the first-copy ring: about a ninth of the blocks, never all.
    assertTrue(asked.cardinality() > 0 && asked.cardinality() < 512 / 3, "asked the seed for " + asked.cardinality());
    long[] arcs = view.firstCopyArcs(SEG, 1, now[0]);
    for (int b = asked.nextSetBit(0); b >= 0; b = asked.nextSetBit(b + 1)) {
      assertTrue(SubnetView.onArc(arcs, SubnetView.blockPoint(SubnetView.hash(SEG), b)), "block " + b + " is not ours to copy first");
    }
  }

  @Test
  void firstCopiesOfArcsTakenFromOtherWantersWaitForThoseWantersLists() {
    // Node 1 arrives among eight wanters: its arcs of the first-copy ring were theirs until now,
    // and they may have copied those blocks from the seed already (or asked for them). It asks the
    // seed for none of them until each predecessor it knows as a holder listed its blocks after
    // the settling time; what a predecessor lists is copied from the predecessor, never the seed.
    for (int i = 0; i < 8; i++) {
      view.heard(50 + i, peer(10 + i), List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.tick();
    l.drain();
    SubnetView.ArcsMemo memo = new SubnetView.ArcsMemo();
    long[] arcs = view.firstCopyArcs(SEG, 1, now[0], memo);
    PeerEndpoint pred = memo.predecessors()[0];
    int b0 = -1;
    for (int b = 0; b < REF.blocks() && b0 < 0; b++) {
      if (SubnetView.arcOf(arcs, SubnetView.blockPoint(SubnetView.hash(SEG), b)) == 0) {
        b0 = b;
      }
    }
    assertTrue(pred != null && b0 >= 0, "arc 0 has a predecessor and a block");
    BitSet predHolds = new BitSet();
    predHolds.set(b0);
    List<Action.GetBlock> gets = new ArrayList<>();
    List<Action.AskBlockList> asked = new ArrayList<>();
    l.matched(peer(2), SEG, 512, true); // the seed
    for (int i = 0; i < 8; i++) {
      l.matched(peer(10 + i), SEG, -1, false); // the wanters, as holders of unknown blocks
    }
    long start = now[0];
    boolean seedBeforeSettle = false;
    for (int tick = 0; tick < 20; tick++) {
      List<Action> a = l.drain();
      for (Action.GetBlock g : of(a, Action.GetBlock.class)) {
        gets.add(g);
        seedBeforeSettle |= g.peer().equals(peer(2)) && now[0] - start < DownloadLoop.PREDECESSOR_SETTLE_NANOS;
      }
      for (Action.AskBlockList gl : of(a, Action.AskBlockList.class)) {
        asked.add(gl);
        l.blockList(gl.id(), gl.peer().equals(pred) ? predHolds : new BitSet());
      }
      for (Action.GetBlock g : of(l.drain(), Action.GetBlock.class)) {
        gets.add(g);
        seedBeforeSettle |= g.peer().equals(peer(2)) && now[0] - start < DownloadLoop.PREDECESSOR_SETTLE_NANOS;
      }
      advance(S.tick());
      l.tick();
    }
    assertFalse(seedBeforeSettle, "the seed was asked for a first copy before the predecessors could settle");
    assertTrue(asked.stream().filter(gl -> gl.peer().equals(pred)).count() >= 2,
        "the predecessor is asked for its list again after the settling time");
    List<Action.GetBlock> fromSeed = gets.stream().filter(g -> g.peer().equals(peer(2))).toList();
    assertFalse(fromSeed.isEmpty(), "first copies come from the seed once the predecessors listed");
    for (Action.GetBlock g : fromSeed) {
      assertEquals(Action.GetBlock.Kind.FIRST_COPY, g.kind());
      assertNotEquals(b0, g.index(), "the seed was asked for a block the predecessor listed");
      assertTrue(SubnetView.onArc(arcs, SubnetView.blockPoint(SubnetView.hash(SEG), g.index())));
    }
    final int listed = b0;
    assertTrue(gets.stream().anyMatch(g -> g.peer().equals(pred) && g.index() == listed && g.kind() == Action.GetBlock.Kind.COPY),
        "the block the predecessor listed is copied from it");
  }

  /** Probes {@code l} sends while ticking every {@code tick} for {@code d}. */
  List<Action.SendProbe> probesOver(DownloadLoop l, Duration d) {
    List<Action.SendProbe> probes = new ArrayList<>();
    for (long t = 0; t < d.toNanos(); t += S.tick().toNanos()) {
      advance(S.tick());
      l.tick();
      probes.addAll(of(l.drain(), Action.SendProbe.class));
    }
    return probes;
  }

  @Test
  void reProbesSlowDownWhileTheyFindNobodyNewAndSpeedUpWhenAHolderAppears() {
    DownloadLoop l = wanting(1);
    for (int i = 0; i < 10; i++) {
      l.matched(peer(10 + i), SEG, 512, true);
    }
    l.drain();
    // Every wanter heard (none but us) is a known holder: 1, 1, 2, 4, 8 s apart (each ±25 %)
    // instead of every second. No block is ever answered, so the node has no reason to fetch
    // from the origin within the lan patience (20 s).
    List<Action.SendProbe> quiet = probesOver(l, Duration.ofSeconds(18));
    assertTrue(quiet.size() >= 3 && quiet.size() <= 6, quiet.size() + " probes in 18 s");
    // A newcomer answers: the next probes come a second apart again.
    l.matched(peer(30), SEG, 512, true);
    l.drain();
    List<Action.SendProbe> after = probesOver(l, Duration.ofSeconds(12));
    assertTrue(after.size() >= 2, after.size() + " probes in 12 s after a new holder");
  }

  @Test
  void segmentsDueWithinHalfASecondShareOneProbe() {
    SegmentRef other = new SegmentRef(SegmentId.of(bytes(8)), 512, 65536, 65536, 1);
    // Another node fetches both (so this one does not, and sends no probe to say it fetches).
    view.heard(99, List.of(SEG, other.id()), 2, now[0]);
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.tick();
    assertEquals(List.of(SEG), of(l.drain(), Action.SendProbe.class).get(0).segments());
    advance(Duration.ofMillis(100));
    l.want(other, new BitSet());
    l.tick();
    assertEquals(List.of(other.id()), of(l.drain(), Action.SendProbe.class).get(0).segments());
    // Their re-probes fall due 0.65–1.35 s later, at most 0.6 s apart: one probe takes both.
    List<Action.SendProbe> next = probesOver(l, Duration.ofMillis(1300));
    assertEquals(1, next.size(), "probes " + next);
    assertEquals(2, next.get(0).segments().size());
  }

  @Test
  void anAdoptedWanterWhoseListFailedIsNotAdoptedAgainForFiveSeconds() {
    view.heard(70, peer(5), List.of(SEG), 0, now[0]); // a subnet-mate probing for SEG
    DownloadLoop l = loop(1);
    l.want(REF, new BitSet());
    l.tick();
    List<Action.AskBlockList> asked = new ArrayList<>(of(l.drain(), Action.AskBlockList.class));
    for (int i = 0; i < 10 && asked.isEmpty(); i++) {
      advance(S.tick());
      l.tick();
      asked.addAll(of(l.drain(), Action.AskBlockList.class));
    }
    assertEquals(1, asked.size(), "the wanter is adopted and asked for its list");
    assertEquals(peer(5), asked.get(0).peer());
    l.blockListFailed(asked.get(0).id(), Outcome.TIMEOUT);
    int again = 0;
    long until = now[0] + DownloadLoop.READOPT_AFTER_NANOS - S.tick().toNanos();
    while (now[0] < until) {
      advance(S.tick());
      view.heard(70, peer(5), List.of(SEG), 0, now[0]); // still probing: still a wanter
      l.tick();
      again += of(l.drain(), Action.AskBlockList.class).size();
    }
    assertEquals(0, again, "asked again within five seconds");
    for (int i = 0; i < 20 && again == 0; i++) {
      advance(S.tick());
      l.tick();
      again += of(l.drain(), Action.AskBlockList.class).size();
    }
    assertEquals(1, again, "adopted again after five seconds");
  }

  @Test
  void theElectedNodeWaitsForListsOfAdoptedWantersOnlyABoundedTime() {
    // Six subnet-mates probe for SEG and hold nothing; this node outranks them all. Their lists
    // never come back (a site short of CPU): the elected node must not wait for them.
    long self = 0;
    long[] mates = {21, 22, 23, 24, 25, 26};
    for (long id = 100; id < 200; id++) {
      boolean best = true;
      for (long m : mates) {
        best &= Long.compareUnsigned(SubnetView.score(id, SEG), SubnetView.score(m, SEG)) > 0;
      }
      if (best) {
        self = id;
        break;
      }
    }
    assertNotEquals(0, self);
    for (int i = 0; i < mates.length; i++) {
      view.heard(mates[i], peer(30 + i), List.of(SEG), 0, now[0]);
    }
    DownloadLoop l = loop(self);
    l.want(REF, new BitSet());
    int asked = 0;
    List<Action.FetchOrigin> fo = new ArrayList<>();
    long opened = now[0] + S.discoveryWait().toNanos();
    long until = opened + DownloadLoop.ADOPTED_LIST_WAIT_NANOS + Duration.ofMillis(200).toNanos();
    while (now[0] < until && fo.isEmpty()) {
      for (int i = 0; i < mates.length; i++) {
        view.heard(mates[i], peer(30 + i), List.of(SEG), 0, now[0]); // still probing
      }
      l.tick();
      List<Action> out = l.drain();
      asked += of(out, Action.AskBlockList.class).size();
      fo.addAll(of(out, Action.FetchOrigin.class));
      advance(S.tick());
    }
    assertTrue(asked > 0, "the wanters were adopted and asked for their lists");
    assertFalse(fo.isEmpty(), "the elected node waited beyond the bound for lists of wanters that never said they hold anything");
    assertTrue(now[0] > opened + DownloadLoop.ADOPTED_LIST_WAIT_NANOS - 2 * S.tick().toNanos(),
        "it did not give their lists a moment (the fetching flags of subnet-mates that started with it come meanwhile)");
    assertEquals(FallbackReason.COORDINATED, fo.get(0).reason());
  }

  /** Ticks {@code l} every tick for {@code d}; the origin requests it made, and when the first came. */
  List<Action.FetchOrigin> tickFor(DownloadLoop l, Duration d, long[] firstAt) {
    return tickFor(l, d, firstAt, null);
  }

  /** As above; each probe {@code l} sends comes back {@code echoAfter} later (null: never). */
  List<Action.FetchOrigin> tickFor(DownloadLoop l, Duration d, long[] firstAt, Duration echoAfter) {
    List<Action.FetchOrigin> fo = new ArrayList<>();
    List<Long> sent = new ArrayList<>();
    long until = now[0] + d.toNanos();
    while (now[0] < until) {
      advance(S.tick());
      while (echoAfter != null && !sent.isEmpty() && sent.get(0) + echoAfter.toNanos() <= now[0]) {
        l.ownProbeHeard(sent.remove(0));
      }
      l.tick();
      List<Action> out = l.drain();
      if (!of(out, Action.SendProbe.class).isEmpty()) {
        sent.add(now[0]);
      }
      List<Action.FetchOrigin> f = of(out, Action.FetchOrigin.class);
      if (fo.isEmpty() && !f.isEmpty()) {
        firstAt[0] = now[0];
      }
      fo.addAll(f);
    }
    return fo;
  }

  @Test
  void whereProbesComeBackTheDiscoveryWaitCountsFromTheFirstProbesReturn() {
    long[] pair = rankedPair();
    DownloadLoop l = loop(pair[0]);
    l.echoesOwnProbes(true);
    l.want(REF, new BitSet());
    l.tick();
    long sent = now[0];
    assertEquals(1, of(l.drain(), Action.SendProbe.class).size());
    long[] firstAt = {0};
    // The listener runs 500 ms behind (a machine short of CPU): nothing until the probe is back.
    assertTrue(tickFor(l, Duration.ofMillis(500), firstAt).isEmpty(), "went to the origin before its probe came back");
    long back = now[0];
    l.ownProbeHeard(sent);
    // A subnet-mate that started with it is heard now, while the wait counted from the return runs.
    view.heard(pair[1], List.of(SEG), 0, now[0]);
    List<Action.FetchOrigin> fo = tickFor(l, S.discoveryWait().plusSeconds(1), firstAt);
    assertFalse(fo.isEmpty());
    assertTrue(firstAt[0] >= back + S.discoveryWait().toNanos(), "the wait did not count from the probe's return");
    assertEquals(FallbackReason.COORDINATED, fo.get(0).reason(), "the subnet-mate heard during the wait was ignored");
  }

  @Test
  void aProbeThatNeverComesBackHoldsTheOriginForTwoSecondsAtMost() {
    DownloadLoop l = loop(1);
    l.echoesOwnProbes(true);
    l.want(REF, new BitSet());
    l.tick();
    long sent = now[0];
    l.drain();
    long[] firstAt = {0};
    List<Action.FetchOrigin> fo = tickFor(l, Duration.ofSeconds(3), firstAt);
    assertFalse(fo.isEmpty());
    assertEquals(FallbackReason.NO_PEER, fo.get(0).reason());
    long waited = firstAt[0] - sent;
    assertTrue(waited >= DownloadLoop.ECHO_WAIT_MAX_NANOS && waited <= DownloadLoop.ECHO_WAIT_MAX_NANOS + S.tick().toNanos(),
        "waited " + waited / 1_000_000 + " ms");
  }

  @Test
  void aSegmentTheResolverProbedCountsFromThatProbesReturnHeardBeforeTheLoopWantedIt() {
    DownloadLoop l = loop(1);
    l.echoesOwnProbes(true);
    long probed = now[0];
    advance(Duration.ofMillis(5));
    l.ownProbeHeard(probed); // the resolver's probe came back after 5 ms
    long back = now[0];
    advance(Duration.ofMillis(20));
    l.want(REF, new BitSet(), probed);
    long[] firstAt = {0};
    List<Action.FetchOrigin> fo = tickFor(l, Duration.ofSeconds(1), firstAt, Duration.ofMillis(5));
    assertFalse(fo.isEmpty(), "waited for a return it had already heard");
    assertTrue(firstAt[0] >= back + S.discoveryWait().toNanos()
        && firstAt[0] <= back + S.discoveryWait().toNanos() + S.tick().toNanos(), "at " + (firstAt[0] - back) / 1_000_000);
  }

  @Test
  void noOriginFetchStartsWhileAProbeOfThisNodeIsOverdueAndOneStartsWhenItIsBack() {
    DownloadLoop l = loop(1);
    l.echoesOwnProbes(true);
    long probed = now[0];
    advance(Duration.ofMillis(5));
    l.ownProbeHeard(probed); // the resolver's probe: back at once, so the discovery wait runs from here
    l.want(REF, new BitSet(), probed);
    // The loop's own probe goes out at its first tick and takes 600 ms to come back: the listener
    // is behind, so the view may lack what subnet-mates said meanwhile.
    long[] firstAt = {0};
    List<Action.FetchOrigin> fo = tickFor(l, Duration.ofSeconds(1), firstAt, Duration.ofMillis(600));
    assertFalse(fo.isEmpty());
    assertTrue(firstAt[0] >= probed + Duration.ofMillis(600).toNanos(), "fetched while its probe was overdue, at "
        + (firstAt[0] - probed) / 1_000_000 + " ms");

    // A node whose probes never come back is not held back beyond the wait for one of them.
    DownloadLoop m = loop(2);
    m.echoesOwnProbes(true);
    m.want(new SegmentRef(SegmentId.of(bytes(8)), 512, 65536, 65536, 0), new BitSet());
    long start = now[0];
    long[] at = {0};
    assertFalse(tickFor(m, Duration.ofSeconds(5), at).isEmpty(), "never fetched");
    assertTrue(at[0] - start <= DownloadLoop.ECHO_WAIT_MAX_NANOS + 2 * S.tick().toNanos(),
        "held back " + (at[0] - start) / 1_000_000 + " ms");
  }

  @Test
  void wakeAtIsNeverWhileIdleAndTheNextTickOnceSomethingIsWanted() {
    DownloadLoop l = loop(1);
    assertEquals(Long.MAX_VALUE, l.wakeAt(), "nothing in progress");
    l.want(REF, new BitSet());
    assertTrue(l.wakeAt() <= now[0], "a segment wanted: the next tick probes");
    l.tick();
    assertEquals(1, of(l.drain(), Action.SendProbe.class).size());
    // Nobody answers: nothing to do before the discovery wait ends (then origin planning), but a
    // driver that sleeps looks again within the wake cap (what only the subnet view changes).
    assertEquals(now[0] + Math.min(S.discoveryWait().toNanos(), DownloadLoop.WAKE_CAP_NANOS), l.wakeAt());
  }

  /**
   * Drives one loop against a small world (a partial holder whose blocks grow, a complete holder
   * that is often busy, the origin) on the daemon's fixed tick, and checks at every tick before
   * {@link DownloadLoop#wakeAt} that the tick decides nothing: what lets the simulator skip them.
   */
  @Test
  void ticksBeforeWakeAtDecideNothing() {
    for (int seed = 1; seed <= 4; seed++) {
      now[0] = 1_000_000_000L;
      SplittableRandom r = new SplittableRandom(seed);
      DownloadLoop l = new DownloadLoop(1, S, new SubnetView(S), () -> now[0], new SplittableRandom(seed));
      BitSet partial = new BitSet();
      // Input events: at[i] is when, what[i] runs then.
      List<long[]> due = new ArrayList<>();
      List<Runnable> what = new ArrayList<>();
      l.want(REF, new BitSet());
      long tick = S.tick().toNanos();
      int skipped = 0;
      int ticks = 0;
      boolean matched = false;
      for (long t = now[0]; l.busy() && t < now[0] + 120_000_000_000L; t += 1_000_000L) {
        now[0] = t;
        if (r.nextInt(5) == 0) {
          partial.set(r.nextInt(REF.blocks()));
        }
        for (int i = 0; i < due.size(); i++) {
          if (due.get(i)[0] <= t) {
            due.remove(i);
            what.remove(i).run();
            i--;
          }
        }
        if (!matched && t >= 1_400_000_000L) {
          matched = true;
          l.matched(peer(2), SEG, 1, false);
          l.matched(peer(3), SEG, REF.blocks(), true);
        }
        List<Action> actions = new ArrayList<>(l.drain()); // what the inputs decided
        if ((t - 1_000_000_000L) % tick == 0) {
          boolean quiet = l.wakeAt() > t;
          l.tick();
          ticks++;
          List<Action> ticked = l.drain();
          if (quiet) {
            skipped++;
            assertEquals(List.of(), ticked, "seed " + seed + ": a tick before wakeAt decided something at " + t);
          }
          actions.addAll(ticked);
        }
        for (Action a : actions) {
          long id;
          Runnable answer;
          long delay = 1_000_000L + r.nextInt(4_000_000);
          if (a instanceof Action.GetBlock g) {
            id = g.id();
            boolean has = g.peer().equals(peer(3)) ? r.nextInt(3) > 0 : partial.get(g.index());
            boolean slow = r.nextInt(50) == 0;
            delay = slow ? 900_000_000L : delay;
            answer = () -> l.blockResult(id, has ? Outcome.OK : Outcome.NOT_AVAILABLE, 0);
          } else if (a instanceof Action.AskBlockList b) {
            id = b.id();
            BitSet held = b.peer().equals(peer(3)) ? fullSet() : (BitSet) partial.clone();
            answer = r.nextInt(20) == 0 ? () -> l.blockListFailed(id, Outcome.TIMEOUT) : () -> l.blockList(id, held);
          } else if (a instanceof Action.FetchOrigin f) {
            answer = () -> {
              for (int b = f.first(); b < f.first() + f.count(); b++) {
                l.originBlock(f.id(), SEG, b);
              }
              l.originEnd(f.id(), true, "");
            };
            delay = 50_000_000L;
          } else {
            continue;
          }
          due.add(new long[] {t + delay});
          what.add(answer);
        }
      }
      assertFalse(l.busy(), "seed " + seed + ": the segment was not done");
      assertTrue(skipped > ticks / 4, "seed " + seed + ": only " + skipped + " of " + ticks + " ticks could be skipped");
    }
  }

  static BitSet fullSet() {
    BitSet b = new BitSet();
    b.set(0, REF.blocks());
    return b;
  }
}
