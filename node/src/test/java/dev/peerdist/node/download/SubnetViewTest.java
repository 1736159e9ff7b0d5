package dev.peerdist.node.download;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
      for (int step = 0; step < 4_000; step++) {
        // Time moves by up to 2 s, sometimes 40 s at once (members leave the 30 s window).
        now += random.nextInt(10) == 0 ? 40_000_000_000L : random.nextLong(2_000_000_000L);
        long id = 1 + random.nextInt(300);
        int g = random.nextInt(segments.size());
        boolean fetching = random.nextInt(5) == 0;
        view.heard(id, endpoint(id), List.of(segments.get(g)), fetching ? 1 : 0, now);
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
          assertEquals(x == null ? Long.MIN_VALUE : x.last, view.lastHeard(self, seg));
          assertEquals(x == null ? Long.MIN_VALUE : x.fetching, view.lastFetching(self, seg));
          assertEquals(x != null && x.fetching != Long.MIN_VALUE && now - x.fetching <= 5_000_000_000L,
              view.fetching(endpoint(self), seg, now, 5_000_000_000L));
        }
      }
    }
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
}
