package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.BlockOpener;
import dev.peerdist.node.pccrr.BlockRange;
import dev.peerdist.node.pccrr.MessageType;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrMessage;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetSegmentList;
import dev.peerdist.node.pccrr.PccrrMessage.NegoRequest;
import dev.peerdist.node.pccrr.PccrrMessage.NegoResponse;
import dev.peerdist.node.pccrr.PccrrMessage.SegmentList;
import dev.peerdist.node.pccrr.ProtocolVersion;
import dev.peerdist.node.pccrr.SegmentRange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server pipeline on an {@link EmbeddedChannel}: routing, limits, malformed input, answers. */
class PeerChannelPipelineTest {
  private final Random random = new Random(7);
  private final TestSegments.Segment v1 = TestSegments.v1(random, 3);
  private final TestSegments.Segment v2 = TestSegments.v2(random, 5000);
  private InMemoryChunkStore store;
  private PeerServerStats stats;
  private UploadScheduler uploads;
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() {
    store = new InMemoryChunkStore(64L << 20);
    store.putSegment(v1.record());
    store.putBlock(v1.record().id(), 0, v1.block(0));
    store.putBlock(v1.record().id(), 2, v1.block(2));
    store.putSegment(v2.record());
    store.putBlock(v2.record().id(), 0, v2.block(0));
    stats = new PeerServerStats();
    uploads = new UploadScheduler(4, 0, 0);
    newChannel();
  }

  private void newChannel() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
    PeerServerConfig config = PeerServerConfig.defaults();
    channel = new EmbeddedChannel(new PeerChannelInitializer(config, new PccrrResponder(store, stats),
        Runnable::run, uploads, stats));
  }

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
    store.close();
  }

  /** The bytes of one HTTP/1.1 request with {@code body}, as a client sends them. */
  private static ByteBuf request(String method, String path, byte[] body) {
    String head = method + " " + path + " HTTP/1.1\r\nHost: peer\r\nContent-Length: " + body.length + "\r\n\r\n";
    return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
  }

  /** A PCCRR request {@link #request} (POST to the PCCRR path). */
  private static ByteBuf pccrrRequest(PccrrMessage m) {
    return request("POST", PccrrRequestHandler.PATH, PccrrCodec.encodeToArray(m));
  }

  private FullHttpResponse exchange(String method, String path, byte[] body) {
    channel.writeInbound(request(method, path, body));
    channel.runPendingTasks();
    List<FullHttpResponse> responses = responses();
    for (int i = 1; i < responses.size(); i++) {
      responses.get(i).release(); // one exchange, one answer: the tests that expect more use responses()
    }
    return responses.isEmpty() ? null : responses.get(0); // none: the connection was closed
  }

  private PccrrMessage post(PccrrMessage request) {
    FullHttpResponse response = exchange("POST", PccrrRequestHandler.PATH, PccrrCodec.encodeToArray(request));
    try {
      assertEquals(200, response.status().code());
      PccrrMessage m = PccrrCodec.decodeResponse(response.content());
      assertFalse(response.content().isReadable(), "one message per body");
      return m;
    } finally {
      response.release();
    }
  }

  private int status(String method, String path, byte[] body) {
    FullHttpResponse r = exchange(method, path, body);
    try {
      return r.status().code();
    } finally {
      r.release();
    }
  }

  @Test
  void servesAStoredBlockThatOpensAndVerifies() {
    SegmentId id = v1.record().id();
    Blocks blk = (Blocks) post(GetBlocks.of(1, id, 0));
    assertEquals(3, blk.cryptoAlgoId(), "served with the §4.5 recommended label");
    assertEquals(0, blk.blockIndex());
    assertEquals(2, blk.nextBlockIndex(), "next held block");
    assertEquals(65552, blk.block().length, "PKCS#7 padded");
    BlockOpener.Opened opened = BlockOpener.open(blk.cryptoAlgoId(), blk.iv(), blk.block(), v1.record(), 0);
    assertTrue(opened.ok());
    assertArrayEquals(v1.block(0), opened.plaintext());
    assertEquals(1, stats.blocksServed());
    assertEquals(1, stats.requests(MessageType.GETBLKS));
    assertEquals(0, uploads.active(), "slot returned");
    assertTrue(channel.isOpen(), "keep-alive");
  }

  @Test
  void v2SegmentIsBlockZero() {
    Blocks blk = (Blocks) post(GetBlocks.of(1, v2.record().id(), 0));
    assertEquals(0, blk.nextBlockIndex());
    assertArrayEquals(v2.block(0), BlockOpener.open(blk.cryptoAlgoId(), blk.iv(), blk.block(), v2.record(), 0)
        .plaintext());
  }

  @Test
  void unknownSegmentAndMissingBlockGetTheEmptyAnswer() {
    SegmentId unknown = SegmentId.of(new byte[32]);
    assertEquals(Blocks.notAvailable(1, unknown, 0), post(GetBlocks.of(1, unknown, 0)));
    assertEquals(Blocks.notAvailable(1, v1.record().id(), 1), post(GetBlocks.of(1, v1.record().id(), 1)));
    assertEquals(2, stats.notAvailable());
  }

  @Test
  void blockListAndSegmentList() {
    SegmentId id = v1.record().id();
    assertEquals(new BlockList(1, id, List.of(new BlockRange(0, 1)), 2),
        post(new GetBlockList(1, id, List.of(new BlockRange(0, 2)))));
    assertEquals(new BlockList(1, id, List.of(new BlockRange(0, 1), new BlockRange(2, 1)), 0),
        post(new GetBlockList(1, id, List.of(new BlockRange(0, 3)))));
    byte[] rid = new byte[16];
    rid[0] = 9;
    // v1 is partial, v2 whole, unknown absent: only position 1 is held.
    PccrrMessage seg = post(new GetSegmentList(1, rid, List.of(id, v2.record().id(), SegmentId.of(new byte[32])),
        new byte[0]));
    assertEquals(new SegmentList(1, rid, List.of(new SegmentRange(1, 1)), new byte[0]), seg);
  }

  @Test
  void negotiationAndUnsupportedVersion() {
    assertEquals(new NegoResponse(1, ProtocolVersion.V1_0, ProtocolVersion.V2_0),
        post(new NegoRequest(1, ProtocolVersion.V1_0, ProtocolVersion.V2_0)));
    byte[] v3 = PccrrCodec.encodeToArray(GetBlocks.of(1, v1.record().id(), 0));
    v3[3] = 3; // ProtVer 3.0
    FullHttpResponse r = exchange("POST", PccrrRequestHandler.PATH, v3);
    try {
      assertEquals(new NegoResponse(0, ProtocolVersion.V1_0, ProtocolVersion.V2_0),
          PccrrCodec.decodeResponse(r.content()));
    } finally {
      r.release();
    }
  }

  /** Takes every upload slot with requests of another client that never finish. */
  private void occupyAllSlots() {
    for (int i = 0; i < 4; i++) {
      uploads.submit("another client", new UploadScheduler.Job() {
        @Override
        public void start() {}

        @Override
        public void busy() {
          throw new AssertionError("not queued");
        }
      });
    }
    assertEquals(4, uploads.active());
  }

  @Test
  void aFullServerWithoutAQueueAnswersEmptyAtOnce() {
    occupyAllSlots();
    assertEquals(Blocks.notAvailable(1, v1.record().id(), 0), post(GetBlocks.of(1, v1.record().id(), 0)));
    assertEquals(1, stats.busy());
    assertEquals(0, stats.blocksServed());
  }

  @Test
  void aBlockListTakesNoUploadSlotAndIsAnsweredEvenWhenEverySlotIsTaken() {
    occupyAllSlots();
    SegmentId id = v1.record().id();
    assertEquals(new BlockList(1, id, List.of(new BlockRange(0, 1), new BlockRange(2, 1)), 0),
        post(new GetBlockList(1, id, List.of(new BlockRange(0, 3)))));
    assertEquals(0, stats.busy(), "not the busy answer: the store's accounts answered");
    assertEquals(4, uploads.active(), "no slot taken or returned");
    assertTrue(channel.config().isAutoRead(), "the connection reads on once answered");
    SegmentId unknown = SegmentId.of(new byte[32]);
    assertEquals(new BlockList(1, unknown, List.of(), 0),
        post(new GetBlockList(1, unknown, List.of(new BlockRange(0, 1)))));
    assertEquals(0, stats.busy(), "not held, not busy");
    assertEquals(1, stats.notAvailable());
    assertEquals(4, uploads.active());
  }

  @Test
  void deadlinesFollowEveryRequestWithOneTimer() {
    // Defaults: 5 s for the first request and for reading one, 30 s idle between requests.
    channel.freezeTime();
    SegmentId id = v1.record().id();
    GetBlockList ask = new GetBlockList(1, id, List.of(new BlockRange(0, 3)));
    post(ask);
    channel.advanceTimeBy(29, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertTrue(channel.isOpen(), "idle for 29 s of 30");
    post(ask); // the idle deadline starts again from this answer
    channel.advanceTimeBy(29, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertTrue(channel.isOpen(), "58 s after the first answer, 29 s after the second");
    assertEquals(0, stats.timeouts());
    // A request that starts and stalls is cut at its read deadline, not the idle one.
    channel.writeInbound(Unpooled.wrappedBuffer(("POST " + PccrrRequestHandler.PATH + " HTTP/1.1\r\nHo")
        .getBytes(StandardCharsets.US_ASCII)));
    channel.advanceTimeBy(4, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertTrue(channel.isOpen(), "4 s into the request");
    channel.advanceTimeBy(2, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertFalse(channel.isOpen(), "past the 5 s read deadline");
    assertEquals(1, stats.timeouts());
  }

  @Test
  void anIdleConnectionIsClosedAtTheIdleDeadline() {
    channel.freezeTime();
    post(new GetBlockList(1, v1.record().id(), List.of(new BlockRange(0, 3))));
    channel.advanceTimeBy(31, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    assertFalse(channel.isOpen());
    assertEquals(1, stats.timeouts());
  }

  @Test
  void requestsSentBackToBackInOneReadAreAnsweredOneAtATimeInOrder() {
    // The store executor runs only when the test says so: the block request stays in progress
    // (reads always on the store threads, none on the event loop).
    java.util.ArrayDeque<Runnable> storeTasks = new java.util.ArrayDeque<>();
    channel.finishAndReleaseAll();
    channel = new EmbeddedChannel(new PeerChannelInitializer(
        PeerServerConfig.defaults().withInlineReadsBelow(java.time.Duration.ZERO),
        new PccrrResponder(store, stats), storeTasks::add, uploads, stats));
    SegmentId id = v1.record().id();
    channel.writeInbound(Unpooled.wrappedBuffer(pccrrRequest(GetBlocks.of(1, id, 2)),
        pccrrRequest(new GetBlockList(1, id, List.of(new BlockRange(0, 3))))));
    channel.runPendingTasks();
    assertNull(channel.readOutbound(), "the block list waits behind the block request");
    assertEquals(1, stats.requests(MessageType.GETBLKS));
    assertEquals(0, stats.requests(MessageType.GETBLKLIST), "one request at a time");
    assertEquals(1, storeTasks.size());
    storeTasks.poll().run();
    channel.runPendingTasks();
    List<FullHttpResponse> both = responses();
    FullHttpResponse r1 = both.get(0);
    FullHttpResponse r2 = both.get(1);
    try {
      assertEquals(2, ((Blocks) PccrrCodec.decodeResponse(r1.content())).blockIndex(), "the block first");
      assertEquals(new BlockList(1, id, List.of(new BlockRange(0, 1), new BlockRange(2, 1)), 0),
          PccrrCodec.decodeResponse(r2.content()), "then the list");
    } finally {
      r1.release();
      r2.release();
    }
  }

  @Test
  void whileStoreReadsAreFastABlockIsAnsweredOnTheEventLoopAndAfterASlowOneOnTheStoreThreads() {
    java.util.ArrayDeque<Runnable> storeTasks = new java.util.ArrayDeque<>();
    long[] readNanos = {0};
    // A store whose block reads take as long as the test says (a disk instead of the page cache).
    dev.peerdist.chunkstore.ChunkStore timed = (dev.peerdist.chunkstore.ChunkStore) java.lang.reflect.Proxy.newProxyInstance(dev.peerdist.chunkstore.ChunkStore.class.getClassLoader(),
        new Class<?>[] {dev.peerdist.chunkstore.ChunkStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("storedBlock") && readNanos[0] > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(readNanos[0]);
          }
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    channel.finishAndReleaseAll();
    channel = new EmbeddedChannel(new PeerChannelInitializer(PeerServerConfig.defaults(),
        new PccrrResponder(timed, stats), storeTasks::add, uploads, stats));
    SegmentId id = v1.record().id();
    assertEquals(2, ((Blocks) post(GetBlocks.of(1, id, 2))).blockIndex());
    assertEquals(0, storeTasks.size(), "answered on the event loop");
    readNanos[0] = 20_000_000; // one read of 20 ms: the average is then above 0.5 ms
    assertEquals(2, ((Blocks) post(GetBlocks.of(1, id, 2))).blockIndex());
    assertEquals(0, storeTasks.size(), "the slow read itself was on the event loop");
    readNanos[0] = 0;
    channel.writeInbound(pccrrRequest(GetBlocks.of(1, id, 2)));
    channel.runPendingTasks();
    assertNull(channel.readOutbound(), "the next read waits for a store thread");
    assertEquals(1, storeTasks.size());
    storeTasks.poll().run();
    channel.runPendingTasks();
    FullHttpResponse r = responses().get(0);
    try {
      assertEquals(2, ((Blocks) PccrrCodec.decodeResponse(r.content())).blockIndex(), "answered from the store thread");
    } finally {
      r.release();
    }
  }

  @Test
  void aFullServerQueuesTheRequestAndServesItWhenASlotFrees() {
    uploads = new UploadScheduler(4, 2, 8);
    newChannel();
    occupyAllSlots();
    channel.writeInbound(pccrrRequest(GetBlocks.of(1, v1.record().id(), 0)));
    channel.runPendingTasks();
    assertNull(channel.readOutbound(), "no answer while every slot is taken");
    assertEquals(1, uploads.queued());
    assertFalse(channel.config().isAutoRead(), "one request per connection at a time");
    uploads.finished(); // A slot frees: the queued request is next.
    channel.runPendingTasks();
    FullHttpResponse r = responses().get(0);
    try {
      Blocks blk = (Blocks) PccrrCodec.decodeResponse(r.content());
      assertEquals(65552, blk.block().length, "served, not the busy answer");
    } finally {
      r.release();
    }
    assertEquals(0, stats.busy());
    assertEquals(1, stats.queued());
    assertEquals(3, uploads.active(), "three other requests remain; this one returned its slot after writing");
  }

  @Test
  void pathIsCaseInsensitiveOtherPathsAre404OtherMethods405() {
    byte[] body = PccrrCodec.encodeToArray(GetBlocks.of(1, v1.record().id(), 0));
    assertEquals(200, status("POST", PccrrRequestHandler.PATH.toLowerCase(), body));
    assertEquals(404, status("POST", "/other/", body));
    assertEquals(404, status("POST", "/116B50EB-ECE2-41ac-8429-9F9E963361B7", body));
    assertEquals(405, status("GET", PccrrRequestHandler.PATH, new byte[0]));
    assertEquals(405, status("PUT", PccrrRequestHandler.PATH, body));
    assertEquals(4, stats.httpRejected());
    assertTrue(channel.isOpen());
  }

  @Test
  void oversizedBodyIs413AndNeverDecoded() {
    assertEquals(413, status("POST", PccrrRequestHandler.PATH, new byte[PccrrCodec.MAX_REQUEST_SIZE + 1]));
    assertEquals(0, stats.requests(MessageType.GETBLKS));
  }

  @Test
  void malformedRequestIsDroppedByClosingAndCounted() {
    byte[] body = PccrrCodec.encodeToArray(GetBlocks.of(1, v1.record().id(), 0));
    body[19] = 33; // SizeOfSegmentID 33
    assertNull(exchange("POST", PccrrRequestHandler.PATH, body));
    assertFalse(channel.isOpen());
    assertEquals(1, stats.malformed());
  }

  @Test
  void truncatedAndTrailingBodiesAreMalformed() {
    byte[] body = PccrrCodec.encodeToArray(GetBlocks.of(1, v1.record().id(), 0));
    assertNull(exchange("POST", PccrrRequestHandler.PATH, java.util.Arrays.copyOf(body, 40)));
    assertEquals(1, stats.malformed());
    tearDown();
    setUp();
    assertNull(exchange("POST", PccrrRequestHandler.PATH, java.util.Arrays.copyOf(body, body.length + 4)));
    assertEquals(1, stats.malformed());
    assertFalse(channel.isOpen());
  }

  @Test
  void responseRequestTypeIsMalformed() {
    byte[] body = PccrrCodec.encodeToArray(GetBlocks.of(1, v1.record().id(), 0));
    body[7] = 5; // MSG_BLK is a response
    assertNull(exchange("POST", PccrrRequestHandler.PATH, body));
    assertEquals(1, stats.malformed());
  }

  /** The HTTP responses the channel wrote so far, decoded (the caller releases them). */
  private List<FullHttpResponse> responses() {
    EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
    ByteBuf out;
    while ((out = channel.readOutbound()) != null) {
      decoder.writeInbound(out);
    }
    List<FullHttpResponse> all = new java.util.ArrayList<>();
    FullHttpResponse r;
    while ((r = decoder.readInbound()) != null) {
      all.add(r);
    }
    decoder.finishAndReleaseAll();
    return all;
  }
}
