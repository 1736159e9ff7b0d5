package dev.peerdist.node.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.http.PccrrResponder;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.http.PeerServerStats;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PeerClient}'s connections over loopback: a timed-out exchange keeps its connection until
 * the late answer arrives, which is discarded, never read as a later exchange's; a connection
 * whose late answer never comes is closed; good exchanges reuse one connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerClientIT {
  private final TestSegments.Segment seg = TestSegments.v1(new Random(5), 8);
  private final List<AutoCloseable> open = new ArrayList<>();
  private InMemoryChunkStore store;
  private PccrrResponder honest;

  @BeforeEach
  void fill() {
    store = own(new InMemoryChunkStore(64L << 20));
    store.putSegment(seg.record());
    for (int i = 0; i < 8; i++) {
      store.putBlock(seg.record().id(), i, seg.block(i));
    }
    honest = new PccrrResponder(store, new PeerServerStats());
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private <T extends AutoCloseable> T own(T c) {
    open.add(c);
    return c;
  }

  private PeerClient client(Duration timeout, Duration lateWait, int connections) {
    return own(new PeerClient(PeerClientConfig.defaults().withRequestTimeout(timeout).withLateAnswerWait(lateWait)
        .withPool(connections, 16)));
  }

  private BlockFetchResult fetch(PeerClient c, PeerEndpoint peer, int index) throws Exception {
    return c.fetchBlock(peer, seg.record(), index).get(30, TimeUnit.SECONDS);
  }

  @Test
  void anExchangeAfterATimedOutOneGetsItsOwnAnswerNotTheLateOneOnTheSameConnection() throws Exception {
    MisbehavingPeer late = own(new MisbehavingPeer(MisbehavingPeer.Mode.LATE_FIRST, honest::answer));
    PeerClient c = client(Duration.ofSeconds(1), Duration.ofSeconds(30), 1);

    BlockFetchResult first = fetch(c, late.endpoint(), 1);
    assertEquals(Outcome.TIMEOUT, first.outcome(), first.detail());
    // The answer to block 1 goes out now and is read and dropped; the connection is clean again.
    late.releaseHeld();
    awaitLateAnswerDiscarded(c);
    BlockFetchResult second = fetch(c, late.endpoint(), 2);
    assertEquals(Outcome.OK, second.outcome(), second.detail());
    assertArrayEquals(seg.block(2), second.data());
    BlockFetchResult third = fetch(c, late.endpoint(), 3);
    assertArrayEquals(seg.block(3), third.data());

    assertEquals(1, c.stats().connectionsOpened());
    assertEquals(1, late.connectionsAccepted());
    assertEquals(1, c.stats().timeouts());
    assertEquals(1, c.stats().lateAnswersDiscarded());
    assertEquals(0, c.stats().lateAnswersMissing());
  }

  private static void awaitLateAnswerDiscarded(PeerClient c) throws InterruptedException {
    for (int i = 0; i < 3000 && c.stats().lateAnswersDiscarded() == 0; i++) {
      Thread.sleep(10);
    }
    assertEquals(1, c.stats().lateAnswersDiscarded(), "the late answer arrived and was dropped");
  }

  @Test
  void whileAnAnswerIsOwedTheConnectionCarriesNothingElse() throws Exception {
    MisbehavingPeer late = own(new MisbehavingPeer(MisbehavingPeer.Mode.LATE_FIRST, honest::answer));
    PeerClient c = client(Duration.ofSeconds(1), Duration.ofSeconds(30), 2);

    assertEquals(Outcome.TIMEOUT, fetch(c, late.endpoint(), 1).outcome());
    // The owing connection is not used: the next exchange opens the second one and is answered.
    BlockFetchResult second = fetch(c, late.endpoint(), 2);
    assertArrayEquals(seg.block(2), second.data());
    assertEquals(2, late.connectionsAccepted());
    late.releaseHeld();
    for (int i = 3; i < 8; i++) {
      assertArrayEquals(seg.block(i), fetch(c, late.endpoint(), i).data(), "block " + i);
    }
    assertEquals(2, c.stats().connectionsOpened(), "no third connection");
  }

  @Test
  void connectionsOwingLateAnswersAreBoundedToAsManyAgainAsThePool() throws Exception {
    MisbehavingPeer stall = own(new MisbehavingPeer(MisbehavingPeer.Mode.STALL, honest::answer));
    PeerClient c = client(Duration.ofMillis(200), Duration.ofSeconds(30), 1);

    assertEquals(Outcome.TIMEOUT, fetch(c, stall.endpoint(), 1).outcome());
    // An owing connection does not count against the pool: the next exchange gets a new one.
    assertEquals(Outcome.TIMEOUT, fetch(c, stall.endpoint(), 2).outcome());
    // Two owe answers now (twice the pool of one): the third waits for a connection and is BUSY.
    BlockFetchResult third = fetch(c, stall.endpoint(), 3);
    assertEquals(Outcome.BUSY, third.outcome(), third.detail());
    assertEquals(2, c.stats().connectionsOpened());
    assertEquals(2, stall.connectionsAccepted());
  }

  @Test
  void aPeerThatNeverAnswersHasItsConnectionClosedAfterTheLateAnswerWait() throws Exception {
    MisbehavingPeer stall = own(new MisbehavingPeer(MisbehavingPeer.Mode.STALL, honest::answer));
    PeerClient c = client(Duration.ofMillis(300), Duration.ofMillis(300), 1);

    assertEquals(Outcome.TIMEOUT, fetch(c, stall.endpoint(), 1).outcome());
    assertTrue(stall.awaitClientCloses(1, 30), "the client closes the connection that owes an answer");
    assertEquals(1, c.stats().lateAnswersMissing());
    assertEquals(0, c.stats().lateAnswersDiscarded());
    // The next exchange needs (and gets) a new connection; it times out the same way.
    assertEquals(Outcome.TIMEOUT, fetch(c, stall.endpoint(), 2).outcome());
    assertEquals(2, c.stats().connectionsOpened());
    assertTrue(stall.awaitClientCloses(2, 30));
  }

  @Test
  void exchangesWithAHonestServerShareOneConnectionAndBlockListsAreRight() throws Exception {
    PeerHttpServer server = own(PeerHttpServer.start(store, PeerServerConfig.defaults()));
    PeerEndpoint peer = new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
    PeerClient c = client(Duration.ofSeconds(10), Duration.ofSeconds(10), 4);
    for (int round = 0; round < 20; round++) {
      BlockList list = c.blockList(peer, seg.record().id(), List.of(new BlockRange(0, 8))).get(30, TimeUnit.SECONDS);
      assertEquals(List.of(new BlockRange(0, 8)), list.ranges());
      assertArrayEquals(seg.block(round % 8), fetch(c, peer, round % 8).data());
    }
    assertEquals(1, c.stats().connectionsOpened(), "one at a time: one connection");
    assertEquals(40, c.stats().exchanges());
  }

  @Test
  void moreExchangesThanConnectionsWaitAndAllAreAnswered() throws Exception {
    PeerHttpServer server = own(PeerHttpServer.start(store, PeerServerConfig.defaults()));
    PeerEndpoint peer = new PeerEndpoint(new InetSocketAddress(server.address().getAddress(), server.port()));
    PeerClient c = client(Duration.ofSeconds(20), Duration.ofSeconds(10), 2);
    List<CompletableFuture<BlockFetchResult>> all = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      all.add(c.fetchBlock(peer, seg.record(), i % 8));
    }
    for (int i = 0; i < 12; i++) {
      assertArrayEquals(seg.block(i % 8), all.get(i).get(30, TimeUnit.SECONDS).data(), "exchange " + i);
    }
    assertTrue(c.stats().connectionsOpened() <= 2, "opened " + c.stats().connectionsOpened());
  }

  @Test
  void aClosedClientFailsExchangesAsIoErrors() throws Exception {
    PeerClient c = client(Duration.ofSeconds(1), Duration.ofSeconds(1), 1);
    c.close();
    BlockFetchResult r = fetch(c, new PeerEndpoint(new InetSocketAddress("127.0.0.1", 9)), 0);
    assertEquals(Outcome.IO_ERROR, r.outcome());
  }

  @Test
  void aRefusedConnectionIsAnIoError() throws Exception {
    PeerClient c = client(Duration.ofSeconds(1), Duration.ofSeconds(1), 1);
    java.net.ServerSocket s = new java.net.ServerSocket(0);
    int port = s.getLocalPort();
    s.close();
    BlockFetchResult r = fetch(c, new PeerEndpoint(new InetSocketAddress("127.0.0.1", port)), 0);
    assertEquals(Outcome.IO_ERROR, r.outcome(), r.detail());
    // The place is given back: a second attempt fails the same way rather than waiting BUSY.
    assertEquals(Outcome.IO_ERROR, fetch(c, new PeerEndpoint(new InetSocketAddress("127.0.0.1", port)), 0).outcome());
  }

}
