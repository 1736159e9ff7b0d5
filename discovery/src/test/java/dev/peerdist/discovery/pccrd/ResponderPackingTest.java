package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryCounters;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.wsd.AppSequence;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link Responder#encode} sizes V1 replies by arithmetic instead of trial encodings; it must
 * pack exactly as encoding every candidate would: each datagram the longest run of the remaining
 * held ids whose ProbeMatches (with the largest header values) fits both the remaining reply
 * budget and the envelope limit, and nothing once not even one id fits.
 */
class ResponderPackingTest {
  private static final WsdCodec CODEC = new WsdCodec();
  private static final String ENDPOINT = "urn:uuid:87A89944-0230-43a5-AC4E-FAB1386C8E2C";

  @Test
  void packsAsTrialEncodingDoesForIdsOfEveryLengthAndAnyBudget() {
    SplittableRandom random = new SplittableRandom(20261204);
    int datagrams = 0;
    int trimmedCases = 0;
    // One responder per envelope limit, each answering all its rounds (it keeps sizes per XAddr).
    List<Integer> limits = List.of(32 * 1024, 4096, 1500);
    List<DiscoveryCounters> counts = new ArrayList<>();
    List<Responder> responders = new ArrayList<>();
    for (int maxMessageBytes : limits) {
      DiscoveryCounters c = new DiscoveryCounters(DiscoveryListener.NONE);
      counts.add(c);
      responders.add(new Responder(new Responder.Settings(80, null, 2.0, maxMessageBytes), CODEC,
          new ResponderPolicy(new SplittableRandom(1), Duration.ofMillis(100), false, 64),
          new ProbeRateLimiter(java.time.Clock.systemUTC(), 1000, 1000, 1000, 1000, 64), new DuplicateMessageFilter(64),
          Responder.OwnProbes.NONE, c, () -> SubnetListener.NONE, ENDPOINT, 1 + random.nextInt(1 << 30), new SplittableRandom(2)));
    }
    for (int round = 0; round < 300; round++) {
      int which = random.nextInt(limits.size());
      int maxMessageBytes = limits.get(which);
      DiscoveryCounters counters = counts.get(which);
      long trimmedBefore = counters.stats().trimmedIds();
      Responder responder = responders.get(which);
      int n = 1 + random.nextInt(random.nextBoolean() ? 8 : 120);
      List<DiscoveryKey> keys = new ArrayList<>();
      Map<DiscoveryKey, LocalHoldings.Holding> offered = new HashMap<>();
      for (int i = 0; i < n; i++) {
        byte[] id = new byte[random.nextBoolean() ? 32 : 1 + random.nextInt(64)];
        for (int j = 0; j < id.length; j++) {
          id[j] = (byte) random.nextInt(256);
        }
        DiscoveryKey k = DiscoveryKey.of(DiscoveryKey.Form.V1, id);
        keys.add(k);
        if (random.nextInt(4) > 0) {
          offered.put(k, new LocalHoldings.Holding(1 + random.nextInt(Integer.MAX_VALUE), random.nextBoolean()));
        }
        if (random.nextInt(20) == 0) {
          keys.add(k); // a repeated id is answered once
        }
      }
      if (offered.isEmpty()) {
        continue;
      }
      String xaddr = List.of("192.0.2.10:80", "[fd00::1234:5678:9abc:def0]:65535", "10.1.1.1:8080")
          .get(random.nextInt(3));
      // RelatesTo is the prober's MessageID, any token: escaped characters and non-ASCII count.
      String relatesTo = List.of("urn:uuid:" + UUID.randomUUID(), "a&b<c>\"d", "é€😀x", "1").get(random.nextInt(4));
      long budget = 1000 + random.nextInt(40_000);
      Responder.PendingReply pending = new Responder.PendingReply(new PccrdQuery(DiscoveryKey.Form.V1, keys), offered,
          relatesTo, xaddr, new InetSocketAddress("192.0.2.20", 5000), budget, Duration.ZERO);

      Responder.Reply reply = responder.encode(pending);

      List<DiscoveryKey> held = keys.stream().filter(offered::containsKey).distinct().toList();
      long left = budget;
      int from = 0;
      for (byte[] d : reply.datagrams()) {
        long limit = Math.min(left, maxMessageBytes);
        int fit = 0;
        while (from + fit < held.size() && trialSize(held.subList(from, from + fit + 1), pending) <= limit) {
          fit++;
        }
        assertTrue(fit > 0, "a datagram was sent although no id fits");
        ProbeMatches pm = (ProbeMatches) CODEC.decode(d);
        List<String> expected = held.subList(from, from + fit).stream().map(DiscoveryKey::toHex).toList();
        assertEquals(expected, pm.matches().get(0).scopes(), "round " + round);
        assertTrue(d.length <= limit, d.length + " > " + limit);
        left -= d.length;
        from += fit;
        datagrams++;
      }
      boolean oneMoreFits = from < held.size()
          && trialSize(held.subList(from, from + 1), pending) <= Math.min(left, maxMessageBytes);
      assertTrue(!oneMoreFits, "round " + round + ": packing stopped while an id still fit");
      assertEquals(held.size() - from, counters.stats().trimmedIds() - trimmedBefore, "round " + round);
      trimmedCases += from < held.size() ? 1 : 0;
    }
    assertTrue(datagrams > 300 && trimmedCases > 10, datagrams + " datagrams, " + trimmedCases + " trimmed");
  }

  /** The size of a reply for {@code keys} with the largest header values, by encoding it. */
  private static int trialSize(List<DiscoveryKey> keys, Responder.PendingReply r) {
    ProbeMatches.Match m = PccrdProfile.match(new PccrdQuery(DiscoveryKey.Form.V1, keys), r.offered(), ENDPOINT,
        r.xaddr()).orElseThrow();
    return CODEC.encode(PccrdProfile.reply("urn:uuid:" + new UUID(-1L, -1L), r.relatesTo(),
        new AppSequence(0xFFFF_FFFFL, 0xFFFF_FFFFL), List.of(m))).length;
  }
}
