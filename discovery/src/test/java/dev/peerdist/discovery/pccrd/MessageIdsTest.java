package dev.peerdist.discovery.pccrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.peerdist.discovery.DiscoveryKey;
import dev.peerdist.discovery.wsd.Probe;
import dev.peerdist.discovery.wsd.WsdCodec;
import dev.peerdist.discovery.wsd.WsdLimits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Reading a datagram's MessageID without decoding it: the same id as the decoder, or none. */
class MessageIdsTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void peekGivesTheDecodersMessageIdOfEncodedProbes() {
    WsdCodec codec = new WsdCodec(WsdLimits.DEFAULT);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 200; i++) {
      byte[] seg = new byte[32];
      random.nextBytes(seg);
      String id = i % 2 == 0 ? MessageIds.random(random) : new ProbeTag(random.nextLong() >>> 16, 8080, 0).toMessageId(random);
      byte[] d = codec.encode(PccrdProfile.probe(id, new PccrdQuery(DiscoveryKey.Form.V1,
          List.of(DiscoveryKey.of(DiscoveryKey.Form.V1, seg)))));
      assertEquals(((Probe) codec.decode(d)).messageId(), MessageIds.peek(d));
      assertEquals(id, MessageIds.peek(d));
    }
  }

  @Test
  void anyPrefixOrNoneAndOnlyTheStartTag() {
    assertEquals("urn:uuid:1", MessageIds.peek(bytes("<e><h><wsa:MessageID>urn:uuid:1</wsa:MessageID></h></e>")));
    assertEquals("urn:uuid:2", MessageIds.peek(bytes("<e><MessageID>urn:uuid:2</MessageID></e>")));
    assertEquals("x", MessageIds.peek(bytes("<a:NotMessageID>y</a:NotMessageID><a:MessageID>x</a:MessageID>")),
        "another element ending in MessageID is not it");
    assertNull(MessageIds.peek(bytes("<e>text</wsa:MessageID></e>")), "an end tag alone");
  }

  @Test
  void anythingButPlainTextIsLeftToTheDecoder() {
    assertNull(MessageIds.peek(bytes("<a:MessageID> urn:uuid:1</a:MessageID>")), "space");
    assertNull(MessageIds.peek(bytes("<a:MessageID>urn:uuid:1\n</a:MessageID>")), "newline");
    assertNull(MessageIds.peek(bytes("<a:MessageID>urn&amp;1</a:MessageID>")), "entity");
    assertNull(MessageIds.peek(bytes("<a:MessageID><![CDATA[x]]></a:MessageID>")), "CDATA");
    assertNull(MessageIds.peek(bytes("<a:MessageID></a:MessageID>")), "empty");
    assertNull(MessageIds.peek(bytes("<a:MessageID>urn:\u00e9</a:MessageID>")), "not ASCII");
    assertNull(MessageIds.peek(bytes("<a:MessageID>" + "x".repeat(MessageIds.MAX_PEEKED_CHARS + 1) + "</a:MessageID>")), "too long");
    assertNull(MessageIds.peek(bytes("<a:MessageID>urn:uuid:1")), "cut short");
    assertNull(MessageIds.peek(bytes("<e/>")));
    assertNull(MessageIds.peek(new byte[0]));
  }
}
