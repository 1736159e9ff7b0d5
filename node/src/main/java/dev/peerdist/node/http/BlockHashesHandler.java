package dev.peerdist.node.http;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.SegmentId;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * peerdist's one addition to the PCCRR port: the block-hash list of a segment this node knows,
 * so that subnet-mates need not each fetch it from the publisher (issue 8: content information at
 * a thousand nodes would otherwise cross the WAN half a package's worth). Windows and iPXE never
 * ask for it; requests to other paths go on to the PCCRR handler unchanged.
 *
 * <pre>
 * GET /peerdist/v1/block-hashes/&lt;segment id, 64 hex digits&gt;
 * X-PeerDist-Proof: &lt;hex SHA-256("peerdist block hashes" || HoD)&gt;
 * → 200, body = the block hashes in block order (PROTOCOL.md §2.3 BlockHashes); 403 when the proof
 *   does not match; 404 when the segment is unknown here
 * </pre>
 *
 * <p>The proof shows the asker got the segment's description (HoD) from the publisher, so the list
 * goes only to nodes the publisher already described the segment to. The asker checks the list
 * against HoD itself (H(hashes) = HoD, PROTOCOL.md §2.2), so a lying peer can only waste a request.
 */
public final class BlockHashesHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  /** The path prefix. */
  public static final String PATH = "/peerdist/v1/block-hashes/";
  /** The request header carrying the proof. */
  public static final String PROOF_HEADER = "X-PeerDist-Proof";
  private static final byte[] PROOF_LABEL = "peerdist block hashes".getBytes(StandardCharsets.US_ASCII);

  private final ChunkStore store;
  private final Executor storeExecutor;

  public BlockHashesHandler(ChunkStore store, Executor storeExecutor) {
    super(false);
    this.store = store;
    this.storeExecutor = storeExecutor;
  }

  /** The proof for a segment of {@code hashOfData} (what an asker sends). */
  public static byte[] proof(byte[] hashOfData) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(PROOF_LABEL);
      return d.digest(hashOfData);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    String uri = request.uri();
    if (!HttpMethod.GET.equals(request.method()) || !uri.toLowerCase(Locale.ROOT).startsWith(PATH)) {
      ctx.fireChannelRead(request); // PCCRR (or a 404/405 from its handler)
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    String hex = uri.substring(PATH.length());
    String proofHex = request.headers().get(PROOF_HEADER);
    request.release();
    SegmentId id;
    byte[] proof;
    try {
      id = SegmentId.fromHex(hex.toUpperCase(Locale.ROOT));
      proof = proofHex == null ? null : HexFormat.of().parseHex(proofHex.trim());
    } catch (IllegalArgumentException e) {
      send(ctx, HttpResponseStatus.BAD_REQUEST, null, keepAlive);
      return;
    }
    if (proof == null) {
      send(ctx, HttpResponseStatus.FORBIDDEN, null, keepAlive);
      return;
    }
    try {
      storeExecutor.execute(() -> {
        Optional<SegmentRecord> r;
        try {
          r = store.segment(id);
        } catch (RuntimeException e) {
          r = Optional.empty();
        }
        Optional<SegmentRecord> found = r;
        ctx.executor().execute(() -> answer(ctx, found, proof, keepAlive));
      });
    } catch (RejectedExecutionException e) {
      send(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, null, keepAlive);
    }
  }

  private void answer(ChannelHandlerContext ctx, Optional<SegmentRecord> r, byte[] proof, boolean keepAlive) {
    if (r.isEmpty() || r.get().blockCount() == 0) {
      send(ctx, HttpResponseStatus.NOT_FOUND, null, keepAlive);
      return;
    }
    SegmentRecord record = r.get();
    if (!MessageDigest.isEqual(proof(record.hashOfData()), proof)) {
      send(ctx, HttpResponseStatus.FORBIDDEN, null, keepAlive);
      return;
    }
    ByteBuf body = ctx.alloc().buffer(record.blockCount() * record.algorithm().length());
    for (int i = 0; i < record.blockCount(); i++) {
      body.writeBytes(record.blockHash(i));
    }
    send(ctx, HttpResponseStatus.OK, body, keepAlive);
  }

  private static void send(ChannelHandlerContext ctx, HttpResponseStatus status, ByteBuf body, boolean keepAlive) {
    FullHttpResponse r = body == null
        ? new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status)
        : new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1, status, body);
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body == null ? 0 : body.readableBytes());
    if (body != null) {
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
    }
    if (keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(r);
    } else {
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
