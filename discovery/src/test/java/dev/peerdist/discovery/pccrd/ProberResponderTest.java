package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.DiscoveryCounters;
import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.DiscoveryListener;
import dev.peerdist.discovery.HeardProbe;
import dev.peerdist.discovery.LocalHoldings;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.discovery.ProbeMatch;
import dev.peerdist.discovery.SubnetListener;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.ProbeMatches;
import dev.peerdist.discovery.wsd.WsdCodec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The pure PCCRD state machines without sockets: a {@link Prober}'s probe datagrams go to a
 * {@link Responder} as bytes, its reply datagrams back to the prober, with a hand-moved clock and
 * seeded randomness; counters are read from the one {@link DiscoveryCounters}.
 */
class ProberResponderTest {
  private static final WsdCodec CODEC = new WsdCodec();
  private static final InetSocketAddress PROBER_ADDR = new InetSocketAddress(addr("192.168.7.10"), 40000);
  private static final InetAddress RESPONDER_ADDR = addr("192.168.7.20");
  private static final DiscoveryKey HELD = key(1);
  private static final DiscoveryKey OTHER = key(2);

  private long nanos = 1_000_000_000L;
  private final List<HeardProbe> heardProbes = new ArrayList<>();
  private final List<ProbeMatch> heardMatches = new ArrayList<>();
  private final List<Long> ownProbesHeard = new ArrayList<>();
  private final SubnetListener subnet = new SubnetListener() {
    @Override
    public void ownProbeHeard(long sentNanos) {
      ownProbesHeard.add(sentNanos);
    }

    @Override
    public void probeHeard(HeardProbe probe) {
      heardProbes.add(probe);
    }

    @Override
    public void matchReceived(ProbeMatch match) {
      heardMatches.add(match);
    }
  };
  private final DiscoveryCounters proberCounts = new DiscoveryCounters(DiscoveryListener.NONE);
  private final DiscoveryCounters responderCounts = new DiscoveryCounters(DiscoveryListener.NONE);
  private final SplittableRandom random = new SplittableRandom(13);
  private Supplier<ProbeTag> tag;
  private final Prober prober = new Prober(new Prober.Settings(1472, 1, Duration.ofMillis(50), Duration.ofMillis(250),
      Duration.ofSeconds(10), 64, 2, true), CODEC, policy(), proberCounts, () -> subnet, () -> tag, random,
      () -> nanos);
  private final Prober other = new Prober(new Prober.Settings(1472, 1, Duration.ofMillis(50), Duration.ofMillis(250),
      Duration.ofSeconds(10), 64, 2, true), CODEC, policy(), DiscoveryListener.NONE, () -> SubnetListener.NONE,
      () -> null, random, () -> nanos);
  private final Responder responder = responder(1000, 1000);
  private final LocalHoldings holdings = k -> k.equals(HELD) ? new LocalHoldings.Holding(7, false)
      : LocalHoldings.Holding.NONE;

  private static InetAddress addr(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static DiscoveryKey key(int n) {
    byte[] b = new byte[32];
    b[0] = (byte) n;
    return DiscoveryKey.of(DiscoveryKey.Form.V1, b);
  }

  private ResponderPolicy policy() {
    return new ResponderPolicy(new SplittableRandom(7), Duration.ofMillis(100), false, 64);
  }

  private Responder responder(double globalRate, int globalBurst) {
    ProbeRateLimiter limiter = new ProbeRateLimiter(java.time.Clock.systemUTC(), 1000, 1000, globalRate, globalBurst, 64);
    return new Responder(new Responder.Settings(8080, null, 4.0, 32 * 1024), CODEC, policy(), limiter,
        new DuplicateMessageFilter(64), other, responderCounts, () -> subnet, "urn:uuid:responder", 1,
        new SplittableRandom(3));
  }

  private Optional<Responder.PendingReply> deliver(Responder r, byte[] probeDatagram) {
    Probe p = (Probe) CODEC.decode(probeDatagram);
    return r.onProbe(p, probeDatagram.length, PROBER_ADDR, RESPONDER_ADDR, holdings);
  }

  private Prober.Call deliverReply(byte[] reply) {
    return prober.onProbeMatches((ProbeMatches) CODEC.decode(reply), RESPONDER_ADDR,
        a -> a.getHostAddress().startsWith("192.168.7."),
        x -> new PeerEndpoint(new InetSocketAddress(RESPONDER_ADDR, Integer.parseInt(x.substring(x.indexOf(':') + 1)))));
  }

  @Test
  void aProbeForAHeldSegmentIsAnsweredAndTheAnswerCompletesTheCall() {
    tag = () -> new ProbeTag(0xABCDEF, 8080, ProbeTag.ORIGIN_ACTIVE);
    CompletableFuture<List<ProbeMatch>> result = new CompletableFuture<>();
    Prober.Call call = prober.open(result, 1);
    Prober.Transmission t = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD, OTHER)), call,
        Duration.ofMillis(300).toNanos(), null);
    assertEquals(1, t.datagrams().size());
    assertEquals(2, t.keys());
    assertEquals(1, t.repeatAtNanos().size(), "one repeat within the wait");
    long repeat = t.repeatAtNanos().get(0);
    assertTrue(repeat >= Duration.ofMillis(50).toNanos() && repeat <= Duration.ofMillis(250).toNanos(), "" + repeat);

    Responder.PendingReply pending = deliver(responder, t.datagrams().get(0)).orElseThrow();
    assertEquals(1, heardProbes.size());
    assertEquals(0xABCDEF, heardProbes.get(0).tag().orElseThrow().nodeId(), "the tag travels in the MessageID");
    assertEquals(List.of(HELD), List.copyOf(pending.offered().keySet()), "only what is held is offered");
    assertFalse(pending.delay().isNegative());
    assertTrue(pending.delay().compareTo(Duration.ofMillis(100)) <= 0, pending.delay().toString());
    assertEquals("192.168.7.20:8080", pending.xaddr());
    Responder.Reply reply = responder.encode(pending);
    assertEquals(1, reply.datagrams().size());
    assertEquals(1, reply.keysPerDatagram());

    nanos += Duration.ofMillis(20).toNanos();
    Prober.Call enough = deliverReply(reply.datagrams().get(0));
    assertEquals(call, enough, "one peer was enough");
    List<ProbeMatch> got = prober.finish(call);
    assertEquals(1, got.size());
    assertEquals(7, got.get(0).blocksHeld().get(HELD));
    assertEquals(Duration.ofMillis(20), got.get(0).latency());
    assertEquals(new InetSocketAddress(RESPONDER_ADDR, 8080), got.get(0).peer().address());
    assertNull(prober.finish(call), "finishing twice yields nothing");
    assertEquals(1, heardMatches.size(), "the subnet listener hears the match too");
    assertEquals(1, proberCounts.stats().matchesReceived());
    assertFalse(Prober.wanted(call), "no repeat after the call finished");
  }

  @Test
  void copiesOfAHandledProbeAndOfOwnProbesAreSettledWithoutDecoding() {
    Prober.Transmission t = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null,
        Duration.ofSeconds(10).toNanos(), null);
    byte[] first = t.datagrams().get(0);
    assertFalse(responder.settledBeforeDecoding(first), "a new probe is decoded");
    assertTrue(deliver(responder, first).isPresent());
    // A copy whose body would not even decode: its MessageID alone says it was handled.
    String text = new String(first, java.nio.charset.StandardCharsets.UTF_8);
    int endTag = text.indexOf("MessageID>", text.indexOf("MessageID>") + 1);
    byte[] broken = text.substring(0, endTag + 10).concat("!!not xml").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(responder.settledBeforeDecoding(broken));
    assertEquals(1, responderCounts.stats().duplicates(), "counted as the duplicate it is");
    assertEquals(0, responderCounts.stats().malformed(), "not decoded, so not malformed");

    long sentAt = nanos;
    Prober.Transmission own = other.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null, 0, null);
    nanos += 300_000_000L;
    assertTrue(responder.settledBeforeDecoding(own.datagrams().get(0)), "own probe: never answered");
    assertTrue(responder.settledBeforeDecoding(own.datagrams().get(0)), "its second copy");
    assertEquals(List.of(sentAt), ownProbesHeard, "the first copy's return is reported, once");
    assertEquals(1, heardProbes.size(), "neither copy is a subnet-mate's probe");
  }

  @Test
  void repeatsAreDroppedByMessageIdAndOwnProbesAreNeverAnswered() {
    Prober.Transmission t = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null,
        Duration.ofSeconds(10).toNanos(), null);
    assertTrue(deliver(responder, t.datagrams().get(0)).isPresent());
    assertTrue(deliver(responder, t.datagrams().get(0)).isEmpty(), "the repeat");
    assertEquals(1, responderCounts.stats().duplicates());
    assertEquals(1, heardProbes.size(), "a repeat is reported once");

    long sentAt = nanos;
    Prober.Transmission own = other.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null, 0, null);
    nanos += 400_000_000L; // it comes back 400 ms later: the listener runs behind
    assertTrue(deliver(responder, own.datagrams().get(0)).isEmpty(), "the responder's own node sent it");
    assertEquals(1, heardProbes.size(), "own probes are not reported as probes");
    assertEquals(List.of(sentAt), ownProbesHeard, "its return is reported with when it was sent");
    nanos += 150_000_000L; // its repeat (or its copy on the other address family) comes back too
    assertTrue(deliver(responder, own.datagrams().get(0)).isEmpty());
    assertEquals(List.of(sentAt), ownProbesHeard,
        "only the first copy back says how late the listener is: a repeat sent later would overstate it");
    String ownId = Probe.class.cast(CODEC.decode(own.datagrams().get(0))).messageId();
    assertTrue(other.isOwn(ownId), "it is still remembered as its own");
    assertEquals(-1, other.firstReturn(ownId), "its return was reported already");
    assertEquals(-1, other.firstReturn("urn:uuid:00000000-0000-0000-0000-000000000000"), "not one of its probes");
  }

  @Test
  void nothingHeldIsSilenceAndTheRateLimitDropsWithoutRememberingTheProbe() {
    Prober.Transmission none = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(OTHER)), null, 0, null);
    assertTrue(deliver(responder, none.datagrams().get(0)).isEmpty());
    assertEquals(new DiscoveryCounters(null).stats(), responderCounts.stats(), "silence is not a drop");

    Responder limited = responder(0.000001, 1);
    Prober.Transmission first = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null, 0, null);
    Prober.Transmission second = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null, 0, null);
    assertTrue(deliver(limited, first.datagrams().get(0)).isPresent());
    assertTrue(deliver(limited, second.datagrams().get(0)).isEmpty());
    assertEquals(1, responderCounts.stats().rateLimited());
    assertTrue(deliver(limited, second.datagrams().get(0)).isEmpty());
    assertEquals(2, responderCounts.stats().rateLimited(), "a dropped probe is not marked handled: its repeat counts again");
    assertEquals(0, responderCounts.stats().duplicates());
  }

  @Test
  void answersToNoProbeOrFromOffSubnetAreDroppedAndLateAnswersOnlyReachTheListener() {
    CompletableFuture<List<ProbeMatch>> result = new CompletableFuture<>();
    Prober.Call call = prober.open(result, 0);
    Prober.Transmission t = prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), call, 0, null);
    byte[] reply = responder.encode(deliver(responder, t.datagrams().get(0)).orElseThrow()).datagrams().get(0);

    // Off-subnet sender.
    assertNull(prober.onProbeMatches((ProbeMatches) CODEC.decode(reply), addr("10.9.9.9"),
        a -> a.getHostAddress().startsWith("192.168.7."), x -> null));
    assertEquals(1, proberCounts.stats().offSubnet());

    assertTrue(prober.finish(call).isEmpty(), "nothing usable arrived in time");
    nanos += Duration.ofSeconds(5).toNanos();
    assertNull(deliverReply(reply), "late: no call waits");
    assertEquals(1, heardMatches.size(), "a late answer within the window still reaches the listener");
    nanos += Duration.ofSeconds(6).toNanos();
    deliverReply(reply);
    assertEquals(1, proberCounts.stats().unsolicited(), "beyond the late-answer window");
    assertEquals(1, heardMatches.size());
  }

  @Test
  void callsInFlightAreBoundedAndMemoryOfSentProbesToo() {
    prober.open(new CompletableFuture<>(), 0);
    prober.open(new CompletableFuture<>(), 0);
    assertThrows(IllegalStateException.class, () -> prober.open(new CompletableFuture<>(), 0));
    for (int i = 0; i < 500; i++) {
      prober.transmit(new PccrdQuery(DiscoveryKey.Form.V1, List.of(HELD)), null, 0, null);
    }
    assertTrue(prober.remembered() <= 64, "" + prober.remembered());
    assertNotNull(prober.waiting());
  }
}
