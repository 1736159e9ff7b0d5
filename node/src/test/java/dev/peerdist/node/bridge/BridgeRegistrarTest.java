package dev.peerdist.node.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ByteRange;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationGenerator;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.ServerSecret;
import dev.peerdist.chunkstore.memory.InMemoryChunkStore;
import dev.peerdist.node.origin.ContentInformationResponse;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registrar's decisions, with a scripted publisher. */
class BridgeRegistrarTest {
  private static final URI URL = URI.create("http://publisher.test/pkg.bin");
  private static final byte[] CONTENT = new byte[1_000_000];
  private static final ContentInformation V1;
  private static final ContentInformation V2;

  static {
    new Random(3).nextBytes(CONTENT);
    ServerSecret secret = ServerSecret.ofKeyMaterial(new byte[] {1, 2, 3});
    V1 = ContentInformationGenerator.builder(secret).version(ContentVersion.V1).build().generate(CONTENT);
    V2 = ContentInformationGenerator.builder(secret).version(ContentVersion.V2).build().generate(CONTENT);
  }

  private final InMemoryChunkStore store = new InMemoryChunkStore(64L << 20);
  private final ContentBridge bridge = new ContentBridge(store, Clock.systemUTC(), new SplittableRandom(2));
  private final Deque<ContentInformationResponse> script = new ArrayDeque<>();
  private final AtomicInteger asked = new AtomicInteger();
  private final BridgeRegistrar registrar = new BridgeRegistrar(bridge, url -> {
    asked.incrementAndGet();
    ContentInformationResponse r = script.poll();
    if (r == null) {
      throw new java.io.IOException("no more answers scripted");
    }
    return r;
  }, Clock.systemUTC());

  @AfterEach
  void close() {
    registrar.close();
    store.close();
  }

  private static ContentInformationResponse.Encoded answer(ContentInformation info, String etag, String range) {
    return new ContentInformationResponse.Encoded(info, new byte[0], CONTENT.length, "1.1", Optional.ofNullable(etag),
        Optional.empty(), range);
  }

  private static ContentInformationResponse.Plain plain(boolean makeHash) {
    return new ContentInformationResponse.Plain(200, new ByteArrayInputStream(CONTENT), CONTENT.length, makeHash,
        Optional.of("\"e1\""), Optional.empty());
  }

  @Test
  void aV1AnswerLeadsToOneV2RequestAndARegistration() throws Exception {
    script.add(answer(V2, "\"e1\"", null));
    registrar.contentInformation(URL, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    assertTrue(bridge.covers(V1));
    assertEquals(1, asked.get());
    // Bridged already: nothing more to ask.
    registrar.contentInformation(URL, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    assertEquals(1, asked.get());
  }

  @Test
  void aPublisherStillHashingIsAskedAgainLater() throws Exception {
    script.add(plain(true));
    script.add(answer(V2, "\"e1\"", null));
    registrar.contentInformation(URL, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(30)));
    assertEquals(2, asked.get());
    assertTrue(bridge.covers(V1));
  }

  @Test
  void aPublisherWithoutV2IsNotAskedAgainSoonAndChangedFilesAreNotBridged() throws Exception {
    script.add(answer(V1, "\"e1\"", null)); // V1 again: no V2 on this publisher
    registrar.contentInformation(URL, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    registrar.contentInformation(URL, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    assertEquals(1, asked.get(), "remembered for " + BridgeRegistrar.NO_V2_MEMORY);
    assertFalse(bridge.covers(V1));

    URI other = URI.create("http://publisher.test/other.bin");
    script.add(answer(V2, "\"e2\"", null)); // the file changed between the two requests
    registrar.contentInformation(other, answer(V1, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    assertFalse(bridge.covers(V1));
  }

  @Test
  void rangesAndV2AnswersAreNotBridged() throws Exception {
    registrar.contentInformation(URL, answer(V1.forRange(new ByteRange(0, 1000)), "\"e1\"", "bytes 0-999/1000000"));
    registrar.contentInformation(URL, answer(V2, "\"e1\"", null));
    assertTrue(registrar.awaitIdle(Duration.ofSeconds(20)));
    assertEquals(0, asked.get());
  }
}
