package dev.peerdist.node.pccrr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.PccrrMessage.BlockList;
import dev.peerdist.node.pccrr.PccrrMessage.Blocks;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlockList;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import dev.peerdist.node.pccrr.PccrrMessage.NegoResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code encode(lead, message, alloc)} writes exactly the lead bytes, then what {@code encode} writes. */
class PccrrCodecLeadTest {
  @Test
  void theLeadComesFirstAndTheMessageIsUnchanged() {
    byte[] raw = new byte[32];
    Arrays.fill(raw, (byte) 7);
    SegmentId id = SegmentId.of(raw);
    byte[] block = new byte[65_536 + 16];
    Arrays.fill(block, (byte) 3);
    byte[] iv = new byte[16];
    Arrays.fill(iv, (byte) 9);
    List<PccrrMessage> messages = List.of(
        GetBlocks.of(1, id, 5),
        new GetBlockList(1, id, List.of(new BlockRange(0, 3), new BlockRange(7, 1))),
        new BlockList(3, id, List.of(new BlockRange(2, 4)), 9),
        new Blocks(3, id, 5, 6, block, new byte[0], iv),
        Blocks.notAvailable(1, id, 5),
        new NegoResponse(0, ProtocolVersion.V1_0, ProtocolVersion.V2_0));
    for (byte[] lead : List.of(new byte[0], "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII))) {
      for (PccrrMessage m : messages) {
        ByteBuf out = PccrrCodec.encode(lead, m, UnpooledByteBufAllocator.DEFAULT);
        byte[] got;
        try {
          got = ByteBufUtil.getBytes(out);
        } finally {
          out.release();
        }
        byte[] message = PccrrCodec.encodeToArray(m);
        byte[] expected = Arrays.copyOf(lead, lead.length + message.length);
        System.arraycopy(message, 0, expected, lead.length, message.length);
        assertArrayEquals(expected, got, m.type() + " after " + lead.length + " lead bytes");
      }
    }
  }
}
