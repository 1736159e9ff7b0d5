package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.node.interop.PccrrWire;
import dev.peerdist.node.interop.RawHttp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The PCCRR server's limits over real sockets on loopback (issue 10 item 2, issue 11): a client
 * with 32 one-block requests in flight gets every block; idle connections from one address do
 * not lock out another address; slow requests lose their connection.
 */
@Timeout(120)
class PccrrServerLimitsIT {
  private final TestSegments.Segment seg = TestSegments.v1(new Random(11), 64);
  private InMemoryChunkStore store;
  private PeerHttpServer server;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void fill() {
    store = new InMemoryChunkStore(64L << 20);
    store.putSegment(seg.record());
    for (int i = 0; i < 64; i++) {
      store.putBlock(seg.record().id(), i, seg.block(i));
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
    store.close();
  }

  private InetSocketAddress start(PeerServerConfig config) {
    server = PeerHttpServer.start(store, config);
    return server.address();
  }

  private void checkBlock(PccrrWire.Block b, int index) throws IOException {
    assertTrue(b.block().length > 0, "block " + index + " answered empty");
    assertEquals(index, b.index());
    byte[] plain = PccrrWire.decrypt(b, seg.record().segmentSecret(), seg.record().blockLength(index), false);
    assertArrayEquals(seg.block(index), plain, "block " + index);
  }

  @Test
  void aClientWith32OneBlockRequestsInFlightGetsEveryBlockFromSixteenSlots() throws Exception {
    // max-uploads defaults to 16 in the daemon: half of iPXE's 32 requests must wait, not fail.
    InetSocketAddress at = start(PeerServerConfig.defaults().withMaxActiveClients(16));
    int clients = 32;
    int rounds = 8;
    CyclicBarrier together = new CyclicBarrier(clients);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int first = c;
        done.add(pool.submit(() -> {
          try (RawHttp http = new RawHttp(at, null, 10_000)) {
            for (int r = 0; r < rounds; r++) {
              int index = (first + r * 7) % 64;
              together.await(30, TimeUnit.SECONDS);
              RawHttp.Response resp = http.post(PccrrWire.getBlocks(seg.record().id().toBytes(), index, PccrrWire.AES_128));
              assertEquals(200, resp.status());
              checkBlock(PccrrWire.readBlock(resp.body()), index);
            }
          }
          return rounds;
        }));
      }
      int served = 0;
      for (Future<Integer> f : done) {
        served += f.get(60, TimeUnit.SECONDS);
      }
      assertEquals(clients * rounds, served);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, server.stats().busy(), "no empty busy answer for a well-behaved client");
    assertEquals(clients * rounds, server.stats().blocksServed());
  }

  @Test
  void threeHundredIdleConnectionsFromOneAddressDoNotLockOutAnother() throws Exception {
    InetSocketAddress at = start(PeerServerConfig.defaults().withBind(InetAddress.getByName("127.0.0.1"), 0));
    List<Socket> idle = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Socket s = new Socket();
      s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
      s.connect(at, 5000);
      idle.add(s);
      open.add(s);
    }
    // A client on another loopback address is served while the 300 sit there.
    try (RawHttp other = new RawHttp(at, InetAddress.getByName("127.0.0.2"), 10_000)) {
      RawHttp.Response r = other.post(PccrrWire.getBlocks(seg.record().id().toBytes(), 5, PccrrWire.AES_128));
      assertEquals(200, r.status());
      checkBlock(PccrrWire.readBlock(r.body()), 5);
    }
    assertTrue(server.stats().connectionsRefused() >= 300 - 64,
        "one address keeps at most 64 connections: refused " + server.stats().connectionsRefused());
    // Those that were accepted but send nothing lose their connection at the header deadline (5 s).
    Socket kept = idle.get(0);
    kept.setSoTimeout(20_000);
    long t0 = System.nanoTime();
    assertEquals(-1, kept.getInputStream().read(), "the server closes an idle first connection");
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(19), "closed by the deadline, not the test timeout");
  }

  @Test
  void aRequestWhoseBytesTrickleInIsCutAtItsReadDeadline() throws Exception {
    InetSocketAddress at = start(PeerServerConfig.defaults()
        .withRequestDeadlines(Duration.ofSeconds(30), Duration.ofSeconds(1))
        .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(15)));
    try (RawHttp http = new RawHttp(at, null, 20_000)) {
      RawHttp.Response r = http.post(PccrrWire.getBlocks(seg.record().id().toBytes(), 1, PccrrWire.AES_128));
      checkBlock(PccrrWire.readBlock(r.body()), 1);
      // The next request starts and stalls inside its headers.
      http.writeRaw(("POST " + RawHttp.PCCRR_PATH + " HTTP/1.1\r\nHo").getBytes(StandardCharsets.US_ASCII));
      assertTrue(http.closedByServer(), "the slow request keeps its connection");
    }
    assertTrue(server.stats().timeouts() >= 1, "timeouts " + server.stats().timeouts());
  }
}
