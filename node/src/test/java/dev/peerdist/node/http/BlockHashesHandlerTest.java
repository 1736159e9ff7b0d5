package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The block-hash list on the PCCRR port: to askers that prove they know HoD, nothing else changes. */
class BlockHashesHandlerTest {
  final InMemoryChunkStore store = new InMemoryChunkStore(1L << 30);
  final SegmentRecord record = TestSegments.v1(new Random(3), 5).record();
  final EmbeddedChannel ch = new EmbeddedChannel(new BlockHashesHandler(store, Runnable::run));

  @AfterEach
  void close() {
    ch.finishAndReleaseAll();
    store.close();
  }

  FullHttpResponse get(String path, String proof) {
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    if (proof != null) {
      req.headers().set(BlockHashesHandler.PROOF_HEADER, proof);
    }
    ch.writeInbound(req);
    ch.runPendingTasks();
    return ch.readOutbound();
  }

  String proof() {
    return HexFormat.of().formatHex(BlockHashesHandler.proof(record.hashOfData()));
  }

  @Test
  void aKnownSegmentWithTheRightProofGetsItsHashesInBlockOrder() {
    store.putSegment(record);
    FullHttpResponse r = get(BlockHashesHandler.PATH + record.id().toHex().toLowerCase(), proof());
    assertEquals(200, r.status().code());
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < record.blockCount(); i++) {
      expected.writeBytes(record.blockHash(i));
    }
    assertArrayEquals(expected.toByteArray(), ByteBufUtil.getBytes(r.content()));
    r.release();
  }

  @Test
  void aWrongOrMissingProofIsForbiddenAndAnUnknownSegmentNotFound() {
    store.putSegment(record);
    String path = BlockHashesHandler.PATH + record.id().toHex();
    FullHttpResponse noProof = get(path, null);
    assertEquals(403, noProof.status().code());
    noProof.release();
    FullHttpResponse wrong = get(path, HexFormat.of().formatHex(new byte[32]));
    assertEquals(403, wrong.status().code());
    wrong.release();
    FullHttpResponse unknown = get(BlockHashesHandler.PATH + "00".repeat(32), proof());
    assertEquals(404, unknown.status().code());
    unknown.release();
    FullHttpResponse garbage = get(BlockHashesHandler.PATH + "zz", proof());
    assertEquals(400, garbage.status().code());
    garbage.release();
  }

  @Test
  void otherRequestsGoOnToThePccrrHandlerUnchanged() {
    FullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
        "/116B50EB-ECE2-41ac-8429-9F9E963361B7/");
    ch.writeInbound(post);
    FullHttpRequest passed = ch.readInbound();
    assertSame(post, passed);
    passed.release();
  }
}
