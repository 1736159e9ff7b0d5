package dev.peerdist.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
}
