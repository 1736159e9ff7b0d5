package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/**
 * The server writes the heads of its PCCRR answers itself; they must be the bytes Netty's encoder
 * wrote for the response the handler built before (same status, headers and order).
 */
class PccrrAnswerHeadTest {
  /** The head of the response the handler used to build, through Netty's encoder (body left out). */
  static byte[] nettyHead(int length, boolean keepAlive) {
    HttpHeadersFactory headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(new byte[length]), headers, headers);
    r.headers()
        .add(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
        .addInt(HttpHeaderNames.CONTENT_LENGTH, length);
    if (!keepAlive) {
      r.headers().add(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    byte[] bytes = EncodedBytes.of(new HttpResponseEncoder(), r);
    return java.util.Arrays.copyOf(bytes, bytes.length - length);
  }

  @Test
  void theHeadIsByteForByteWhatNettysEncoderWrote() {
    // A negotiation answer, block lists, an empty MSG_BLK, a 64 KiB block, the largest answer.
    for (int length : new int[] {28, 68, 92, 65_620, 65_656, 393_220}) {
      for (boolean keepAlive : new boolean[] {true, false}) {
        assertArrayEquals(nettyHead(length, keepAlive), PccrrRequestHandler.answerHead(length, keepAlive),
            length + " keep-alive " + keepAlive);
      }
    }
  }
}
