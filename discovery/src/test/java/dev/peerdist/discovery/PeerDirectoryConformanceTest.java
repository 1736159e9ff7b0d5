package dev.peerdist.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.discovery.pccrd.ProbeTag;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link PeerDirectory} must show (HOUSE-STYLE 17). Extend it with a factory
 * for the implementation under test; the in-memory twin and the PCCRD multicast directory both
 * pass it. Every test uses fresh random keys, so directories of other tests (or other processes
 * on the same multicast group) cannot answer them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class PeerDirectoryConformanceTest {
  private final List<PeerDirectory> opened = new ArrayList<>();

  /** A new directory on the shared test network that advertises {@code advertised} for PCCRR. */
  protected abstract PeerDirectory newDirectory(PeerEndpoint advertised) throws Exception;

  /** How long probes wait for answers in these tests; must exceed the responders' back-off. */
  protected Duration probeWait() {
    return Duration.ofMillis(400);
  }

  @AfterEach
  void closeAll() {
    opened.forEach(PeerDirectory::close);
  }

  protected final PeerDirectory directory(int advertisedPort) throws Exception {
    PeerDirectory d = newDirectory(endpoint(advertisedPort));
    opened.add(d);
    return d;
  }

  protected static PeerEndpoint endpoint(int port) {
    return new PeerEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
  }

  protected static DiscoveryKey randomKey(DiscoveryKey.Form form) {
    byte[] b = new byte[32];
    ThreadLocalRandom.current().nextBytes(b);
    return DiscoveryKey.of(form, b);
  }

  /** Holdings from a fixed table. */
  protected static LocalHoldings holding(Map<DiscoveryKey, LocalHoldings.Holding> table) {
    Map<DiscoveryKey, LocalHoldings.Holding> copy = new HashMap<>(table);
    return k -> copy.getOrDefault(k, LocalHoldings.Holding.NONE);
  }

  private List<ProbeMatch> probe(PeerDirectory d, List<DiscoveryKey> keys, int enough) throws Exception {
    return d.probe(keys, probeWait(), enough).get(probeWait().toMillis() + 20_000, TimeUnit.MILLISECONDS);
  }

  @Test
  void aHolderAnswersWithItsEndpointAndBlockCount() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    PeerDirectory holder = directory(8081);
    holder.serve(holding(Map.of(k, new LocalHoldings.Holding(5, true))));
    PeerDirectory asker = directory(8082);
    List<ProbeMatch> matches = probe(asker, List.of(k), 0);
    assertEquals(1, matches.size(), matches.toString());
    ProbeMatch m = matches.get(0);
    assertEquals(endpoint(8081), m.peer());
    assertEquals(Map.of(k, 5), m.blocksHeld());
    assertFalse(m.latency().isNegative());
    assertTrue(m.endpointId().startsWith("urn:uuid:"), m.endpointId());
  }

  @Test
  void nobodyHoldingMeansAnEmptyList() throws Exception {
    PeerDirectory holder = directory(8081);
    holder.serve(holding(Map.of(randomKey(DiscoveryKey.Form.V1), new LocalHoldings.Holding(5, true))));
    directory(8083).serve(holding(Map.of()));
    assertTrue(probe(directory(8082), List.of(randomKey(DiscoveryKey.Form.V1)), 0).isEmpty());
  }

  @Test
  void partialHoldingsReportOnlyHeldKeysAndTheirCounts() throws Exception {
    DiscoveryKey a = randomKey(DiscoveryKey.Form.V1);
    DiscoveryKey b = randomKey(DiscoveryKey.Form.V1);
    DiscoveryKey c = randomKey(DiscoveryKey.Form.V1);
    directory(8081).serve(holding(Map.of(a, new LocalHoldings.Holding(3, false), c, new LocalHoldings.Holding(1, true))));
    List<ProbeMatch> matches = probe(directory(8082), List.of(a, b, c), 0);
    assertEquals(1, matches.size(), matches.toString());
    assertEquals(Map.of(a, 3, c, 1), matches.get(0).blocksHeld());
  }

  @Test
  void severalRespondersAllAnswer() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    for (int port : new int[] {8081, 8082, 8083}) {
      directory(port).serve(holding(Map.of(k, new LocalHoldings.Holding(port - 8080, port == 8083))));
    }
    List<ProbeMatch> matches = probe(directory(8090), List.of(k), 0);
    Map<Integer, Integer> byPort = matches.stream()
        .collect(Collectors.toMap(m -> m.peer().address().getPort(), m -> m.blocksHeld().get(k)));
    assertEquals(Map.of(8081, 1, 8082, 2, 8083, 3), byPort);
  }

  @Test
  void enoughPeersEndsTheWaitEarly() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    for (int port : new int[] {8081, 8082, 8083}) {
      directory(port).serve(holding(Map.of(k, new LocalHoldings.Holding(1, true))));
    }
    PeerDirectory asker = directory(8090);
    // A long wait that the test would notice: completion must come from enoughPeers.
    List<ProbeMatch> matches = asker.probe(List.of(k), Duration.ofSeconds(30), 2).get(15, TimeUnit.SECONDS);
    assertTrue(matches.size() >= 2, matches.toString());
    Set<PeerEndpoint> peers = matches.stream().map(ProbeMatch::peer).collect(Collectors.toSet());
    assertEquals(matches.size(), peers.size(), "one match per peer");
  }

  @Test
  void v2ProbesReportCompleteness() throws Exception {
    DiscoveryKey full = randomKey(DiscoveryKey.Form.V2);
    DiscoveryKey part = randomKey(DiscoveryKey.Form.V2);
    DiscoveryKey none = randomKey(DiscoveryKey.Form.V2);
    directory(8081).serve(holding(Map.of(full, new LocalHoldings.Holding(1, true), part, new LocalHoldings.Holding(1, false))));
    List<ProbeMatch> matches = probe(directory(8082), List.of(full, none, part), 0);
    assertEquals(1, matches.size(), matches.toString());
    assertEquals(Set.of(full, part), matches.get(0).blocksHeld().keySet());
    assertEquals(Map.of(full, true, part, false), matches.get(0).complete());
  }

  @Test
  void aDirectoryDoesNotAnswerItselfAndAnswersNothingBeforeServe() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    PeerDirectory self = directory(8081);
    self.serve(holding(Map.of(k, new LocalHoldings.Holding(1, true))));
    directory(8082); // never told what to serve
    assertTrue(probe(self, List.of(k), 0).isEmpty());
  }

  @Test
  void closeStopsAnsweringAndProbingAndIsIdempotent() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    PeerDirectory holder = directory(8081);
    holder.serve(holding(Map.of(k, new LocalHoldings.Holding(1, true))));
    PeerDirectory asker = directory(8082);
    assertEquals(1, probe(asker, List.of(k), 0).size());
    holder.close();
    holder.close();
    assertTrue(probe(asker, List.of(k), 0).isEmpty());
    asker.close();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> asker.probe(List.of(k), probeWait(), 0).get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
  }

  @Test
  void mixedFormsAndEmptyKeyListsAreRefused() throws Exception {
    PeerDirectory d = directory(8081);
    assertThrows(ExecutionException.class, () -> d.probe(
        List.of(randomKey(DiscoveryKey.Form.V1), randomKey(DiscoveryKey.Form.V2)), probeWait(), 0).get(10, TimeUnit.SECONDS));
    assertThrows(ExecutionException.class, () -> d.probe(List.of(), probeWait(), 0).get(10, TimeUnit.SECONDS));
  }

  // ------------------------------------------------------------ SubnetListener, tags, sendProbe

  /** How long a test waits for an event that must come (generous: a loaded CI machine). */
  protected Duration eventWait() {
    return probeWait().plusSeconds(15);
  }

  /** Records what a {@link SubnetListener} hears. */
  protected static final class Recorder implements SubnetListener {
    final BlockingQueue<HeardProbe> probes = new LinkedBlockingQueue<>();
    final BlockingQueue<ProbeMatch> matches = new LinkedBlockingQueue<>();

    @Override
    public void probeHeard(HeardProbe probe) {
      probes.add(probe);
    }

    @Override
    public void matchReceived(ProbeMatch match) {
      matches.add(match);
    }
  }

  /** The next element satisfying {@code p} within {@code wait}, or null (others are skipped). */
  private static <T> T next(BlockingQueue<T> q, Predicate<T> p, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      T t = q.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (t == null || p.test(t)) {
        return t;
      }
    }
  }

  private static Predicate<HeardProbe> asksFor(DiscoveryKey k) {
    return h -> h.keys().contains(k);
  }

  @Test
  void probesOfOtherNodesReachTheListenerOnceWithTheirTag() throws Exception {
    DiscoveryKey a = randomKey(DiscoveryKey.Form.V1);
    DiscoveryKey b = randomKey(DiscoveryKey.Form.V1);
    Recorder heardThere = new Recorder();
    directory(8081).listen(heardThere);
    PeerDirectory prober = directory(8082);
    Recorder heardHere = new Recorder();
    prober.listen(heardHere);
    ProbeTag tag = new ProbeTag(0xABCDEF012345L, 8082, ProbeTag.ORIGIN_ACTIVE);
    prober.tagProbes(() -> tag);
    prober.sendProbe(List.of(a, b));
    HeardProbe h = next(heardThere.probes, asksFor(a), eventWait());
    assertTrue(h != null, "the probe was not heard");
    assertEquals(Optional.of(tag), h.tag());
    assertEquals(Optional.of(tag), ProbeTag.fromMessageId(h.messageId()));
    assertEquals(DiscoveryKey.Form.V1, h.form());
    assertEquals(List.of(a, b), h.keys());
    assertTrue(h.source().getAddress().isLoopbackAddress(), h.source().toString());
    // Copies of the probe (SOAP-over-UDP repeats) are not reported again; our own never.
    HeardProbe again = next(heardThere.probes, asksFor(a), probeWait().multipliedBy(2));
    assertTrue(again == null, "heard twice: " + again);
    assertTrue(next(heardHere.probes, asksFor(a), Duration.ZERO) == null, "a node heard its own probe");
  }

  @Test
  void aProbeSentWithItsOwnTagCarriesThatTagWhateverTheSupplierSaysWhenItGoesOut() throws Exception {
    DiscoveryKey a = randomKey(DiscoveryKey.Form.V1);
    DiscoveryKey b = randomKey(DiscoveryKey.Form.V1);
    Recorder heard = new Recorder();
    directory(8081).listen(heard);
    PeerDirectory prober = directory(8082);
    ProbeTag fetching = new ProbeTag(0x1234L, 8082, ProbeTag.ORIGIN_ACTIVE | (1 << 4));
    ProbeTag idle = new ProbeTag(0x1234L, 8082, 0);
    prober.tagProbes(() -> idle); // what the sender's flags say by the time its probe goes out
    prober.sendProbe(List.of(a), fetching);
    prober.sendProbe(List.of(b), null);
    HeardProbe ha = next(heard.probes, asksFor(a), eventWait());
    assertTrue(ha != null, "the probe was not heard");
    assertEquals(Optional.of(fetching), ha.tag());
    HeardProbe hb = next(heard.probes, asksFor(b), eventWait());
    assertTrue(hb != null, "the second probe was not heard");
    assertEquals(Optional.of(idle), hb.tag(), "without a tag of its own a probe takes the supplier's");
  }

  @Test
  void untaggedProbesAreHeardWithoutATagAndAFailingTagSupplierLeavesProbesUntagged() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V2);
    Recorder r = new Recorder();
    directory(8081).listen(r);
    PeerDirectory prober = directory(8082);
    probe(prober, List.of(k), 0);
    HeardProbe h = next(r.probes, asksFor(k), eventWait());
    assertTrue(h != null, "the probe was not heard");
    assertEquals(Optional.empty(), h.tag());
    assertTrue(h.messageId().startsWith("urn:uuid:"), h.messageId());
    assertEquals(DiscoveryKey.Form.V2, h.form());

    DiscoveryKey k2 = randomKey(DiscoveryKey.Form.V2);
    prober.tagProbes(() -> {
      throw new IllegalStateException("no tag today");
    });
    prober.sendProbe(List.of(k2));
    HeardProbe h2 = next(r.probes, asksFor(k2), eventWait());
    assertTrue(h2 != null, "the probe was not sent");
    assertEquals(Optional.empty(), h2.tag());
  }

  @Test
  void answersToSendProbeArriveThroughTheListener() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    directory(8081).serve(holding(Map.of(k, new LocalHoldings.Holding(3, false))));
    PeerDirectory asker = directory(8082);
    Recorder r = new Recorder();
    asker.listen(r);
    asker.sendProbe(List.of(k));
    ProbeMatch m = next(r.matches, x -> x.blocksHeld().containsKey(k), eventWait());
    assertTrue(m != null, "no answer reached the listener");
    assertEquals(endpoint(8081), m.peer());
    assertEquals(Map.of(k, 3), m.blocksHeld());
    assertTrue(m.endpointId().startsWith("urn:uuid:"), m.endpointId());
  }

  @Test
  void answersAfterTheProbeFutureCompletedStillReachTheListener() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V2);
    for (int port : new int[] {8081, 8082, 8083}) {
      directory(port).serve(holding(Map.of(k, new LocalHoldings.Holding(1, true))));
    }
    PeerDirectory asker = directory(8090);
    Recorder r = new Recorder();
    asker.listen(r);
    List<ProbeMatch> first = asker.probe(List.of(k), Duration.ofSeconds(30), 1).get(20, TimeUnit.SECONDS);
    assertEquals(1, first.size(), first.toString());
    Set<PeerEndpoint> heard = new java.util.HashSet<>();
    while (heard.size() < 3) {
      ProbeMatch m = next(r.matches, x -> x.blocksHeld().containsKey(k), eventWait());
      assertTrue(m != null, "only " + heard + " reached the listener");
      assertEquals(Map.of(k, true), m.complete());
      heard.add(m.peer());
    }
    assertEquals(Set.of(endpoint(8081), endpoint(8082), endpoint(8083)), heard);
  }

  @Test
  void everyPartOfALargeReplyReachesTheListener() throws Exception {
    List<DiscoveryKey> keys = new ArrayList<>();
    Map<DiscoveryKey, LocalHoldings.Holding> table = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
      keys.add(k);
      table.put(k, new LocalHoldings.Holding(i + 1, false));
    }
    directory(8081).serve(holding(table));
    PeerDirectory asker = directory(8082);
    Recorder r = new Recorder();
    asker.listen(r);
    asker.sendProbe(keys);
    Map<DiscoveryKey, Integer> union = new HashMap<>();
    while (union.size() < keys.size()) {
      ProbeMatch m = next(r.matches, x -> keys.containsAll(x.blocksHeld().keySet()), eventWait());
      assertTrue(m != null, "only " + union.size() + " of " + keys.size() + " ids reached the listener");
      assertEquals(endpoint(8081), m.peer());
      union.putAll(m.blocksHeld());
    }
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(i + 1, union.get(keys.get(i)));
    }
  }

  @Test
  void theResponderAsksHoldingsWithTheProbeSoItCanThinItsAnswers() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    List<HeardProbe> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    directory(8081).serve(new LocalHoldings() {
      @Override
      public Holding holding(DiscoveryKey key) {
        return new Holding(7, true);
      }

      @Override
      public Holding holding(DiscoveryKey key, HeardProbe probe) {
        asked.add(probe);
        // Answer peerdist nodes that are cache servers only.
        return probe.tag().filter(t -> t.has(ProbeTag.CACHE_SERVER)).isPresent() ? holding(key) : Holding.NONE;
      }
    });
    PeerDirectory plain = directory(8082);
    assertTrue(probe(plain, List.of(k), 0).isEmpty());
    PeerDirectory cache = directory(8083);
    cache.tagProbes(() -> new ProbeTag(9, 8083, ProbeTag.CACHE_SERVER));
    List<ProbeMatch> m = probe(cache, List.of(k), 0);
    assertEquals(1, m.size(), m.toString());
    assertEquals(Map.of(k, 7), m.get(0).blocksHeld());
    assertTrue(asked.stream().anyMatch(p -> p.tag().isEmpty() && p.keys().equals(List.of(k))), asked.toString());
    assertTrue(asked.stream().anyMatch(p -> p.tag().map(t -> t.nodeId() == 9).orElse(false)), asked.toString());
  }

  @Test
  void listenReplacesThePreviousListener() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    directory(8081).serve(holding(Map.of(k, new LocalHoldings.Holding(1, true))));
    PeerDirectory asker = directory(8082);
    Recorder old = new Recorder();
    Recorder current = new Recorder();
    asker.listen(old);
    asker.listen(current);
    asker.sendProbe(List.of(k));
    assertTrue(next(current.matches, x -> x.blocksHeld().containsKey(k), eventWait()) != null, "no answer");
    assertTrue(old.matches.isEmpty(), old.matches.toString());
  }

  @Test
  void aListenerThatThrowsDoesNotStopDiscovery() throws Exception {
    DiscoveryKey k = randomKey(DiscoveryKey.Form.V1);
    PeerDirectory holder = directory(8081);
    holder.serve(holding(Map.of(k, new LocalHoldings.Holding(2, true))));
    holder.listen(new SubnetListener() {
      @Override
      public void probeHeard(HeardProbe probe) {
        throw new IllegalStateException("listener bug");
      }
    });
    PeerDirectory asker = directory(8082);
    asker.listen(new SubnetListener() {
      @Override
      public void matchReceived(ProbeMatch match) {
        throw new IllegalStateException("listener bug");
      }
    });
    assertEquals(1, probe(asker, List.of(k), 0).size());
    assertEquals(1, probe(asker, List.of(k), 0).size());
  }

  @Test
  void sendProbeRefusesBadKeysAndDoesNothingOnceClosed() throws Exception {
    PeerDirectory d = directory(8081);
    assertThrows(IllegalArgumentException.class, () -> d.sendProbe(List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> d.sendProbe(List.of(randomKey(DiscoveryKey.Form.V1), randomKey(DiscoveryKey.Form.V2))));
    d.close();
    d.sendProbe(List.of(randomKey(DiscoveryKey.Form.V1)));
  }
}
