package dev.peerdist.discovery.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a discovery socket reads its queue: many datagrams per wake-up of the event loop, each in a
 * buffer one byte larger than the decoder accepts.
 */
class DatagramReadsTest {
  private final EmbeddedChannel ch = new EmbeddedChannel();

  /** A read handle of the discovery sockets' allocator, as a wake-up of the event loop starts it. */
  private RecvByteBufAllocator.ExtendedHandle wakeUp() {
    RecvByteBufAllocator.ExtendedHandle h =
        (RecvByteBufAllocator.ExtendedHandle) WsDiscoveryPeerDirectory.datagramAllocator(1400).newHandle();
    h.reset(ch.config());
    return h;
  }

  @AfterEach
  void close() {
    ch.close();
  }

  @Test
  void aWakeUpReadsUpToThirtyTwoDatagramsNotOne() {
    RecvByteBufAllocator.ExtendedHandle h = wakeUp();
    int read = 0;
    do {
      ByteBuf b = h.allocate(UnpooledByteBufAllocator.DEFAULT);
      assertEquals(1401, b.writableBytes(), "one byte more than the largest datagram the decoder accepts");
      b.release();
      h.attemptedBytesRead(1401);
      h.lastBytesRead(900); // a datagram smaller than the buffer, as every datagram is
      h.incMessagesRead(1);
      read++;
    } while (h.continueReading(() -> true) && read < 1000);
    assertEquals(WsDiscoveryPeerDirectory.DATAGRAMS_PER_READ, read);
    assertTrue(read > 1);
  }

  @Test
  void readingStopsWhenTheSocketIsEmpty() {
    assertFalse(wakeUp().continueReading(() -> true), "nothing read yet: no more reads this wake-up");
  }
}
