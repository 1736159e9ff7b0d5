package dev.peerdist.node.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;

/** What a Netty encoder writes for one message, as bytes (for tests that compare heads written by hand). */
public final class EncodedBytes {
  private EncodedBytes() {}

  /** The bytes {@code encoder} writes for {@code message}, every outbound buffer in order. */
  public static byte[] of(ChannelHandler encoder, Object message) {
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    ch.writeOutbound(message);
    ByteBuf all = Unpooled.buffer();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      all.writeBytes(b);
      b.release();
    }
    ch.finishAndReleaseAll();
    byte[] bytes = ByteBufUtil.getBytes(all);
    all.release();
    return bytes;
  }
}
