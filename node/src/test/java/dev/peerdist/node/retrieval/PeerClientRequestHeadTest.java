package dev.peerdist.node.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.peerdist.node.http.EncodedBytes;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

/** The client writes its request heads itself; they must be the bytes Netty's encoder wrote before. */
class PeerClientRequestHeadTest {
  static byte[] nettyHead(String host, int length) {
    HttpHeaders h = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders()
        .add(HttpHeaderNames.HOST, host)
        .addInt(HttpHeaderNames.CONTENT_LENGTH, length)
        .add(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM)
        .add(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    return EncodedBytes.of(new HttpRequestEncoder(), new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
        PeerClient.PATH, Unpooled.EMPTY_BUFFER, h, EmptyHttpHeaders.INSTANCE));
  }

  @Test
  void theHeadIsByteForByteWhatNettysEncoderWrote() {
    for (String host : new String[] {"10.0.0.7:1337", "[fe80::1]:80", "peer.example"}) {
      for (int length : new int[] {0, 7, 52, 112, 65_536}) {
        assertArrayEquals(nettyHead(host, length), PeerClient.requestHead(host, length), host + " " + length);
      }
    }
  }
}
