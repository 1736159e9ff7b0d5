package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.content.BlockCipher;
import dev.peerdist.chunkstore.content.HashAlgorithm;
import dev.peerdist.chunkstore.content.PccrcKeys;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.node.http.PeerHttpServer;
import dev.peerdist.node.http.PeerServerConfig;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrMessage.GetBlocks;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * PCCRR serving throughput: one {@link PeerHttpServer} over a {@link RocksChunkStore} on disk,
 * many keep-alive client connections on loopback each asking MSG_GETBLKS for random 64 KiB
 * blocks, one at a time per connection. Measured next to two baselines in the same run:
 *
 * <ul>
 *   <li>(a) AES-256-CBC encryption of 64 KiB blocks alone on one core — what per-request
 *       encryption would cost (the store encrypts at rest, so serving does none);
 *   <li>(b) plain Netty HTTP/1.1 serving the same number of bytes per response from memory,
 *       driven by the same client code — the ceiling of HTTP over loopback on this machine.
 * </ul>
 *
 * <p>The client and both servers share the machine's cores, as they do in the LIMITS.md
 * figures; compare ratios, not absolute numbers. MB = 10^6 bytes. Bounded: each phase runs for
 * a fixed time and every thread and file is removed afterwards.
 */
public final class ServingBenchmark {
  private static final int BLOCK = SegmentRecord.V1_BLOCK_SIZE;

  /** What to run. */
  public record Options(int blocks, int connections, double seconds, int serverIoThreads, Path dir) {
    public static Options standard() {
      return new Options(1024, 32, 5, 1, Path.of(System.getProperty("java.io.tmpdir")));
    }

    public static Options quick() {
      return new Options(256, 16, 2, 1, Path.of(System.getProperty("java.io.tmpdir")));
    }
  }

  /** MB/s of the three measurements. */
  public record Result(double servingMbps, double servingRps, double plainHttpMbps, double aesMbps,
      long errors, long servingResponses, long plainResponses) {}

  private ServingBenchmark() {}

  /** Runs all three measurements and prints them with ratios to {@code out}. */
  public static Result run(Options o, PrintStream out) {
    out.printf(Locale.ROOT, "Serving benchmark: %d blocks of 64 KiB in RocksDB, %d connections, %.1f s per phase%n",
        o.blocks(), o.connections(), o.seconds());
    double aes = aesOneCore(o.seconds());
    out.printf(Locale.ROOT, "  (a) AES-256-CBC encrypt, one core      %9.1f MB/s%n", aes);
    Path dir;
    try {
      dir = Files.createTempDirectory(o.dir(), "peerdist-serving-bench");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a work directory under " + o.dir(), e);
    }
    try {
      Load plain = plainHttp(o);
      out.printf(Locale.ROOT, "  (b) plain Netty HTTP, same bytes        %9.1f MB/s  (%.0f req/s)%n",
          plain.mbps(), plain.rps());
      Load serving = pccrr(o, dir);
      out.printf(Locale.ROOT, "  PCCRR MSG_BLK from RocksChunkStore      %9.1f MB/s  (%.0f req/s, %d errors)%n",
          serving.mbps(), serving.rps(), serving.errors());
      out.printf(Locale.ROOT, "  ratio %.2f  PCCRR serving / plain HTTP%n", serving.mbps() / plain.mbps());
      out.printf(Locale.ROOT, "  ratio %.2f  PCCRR serving / AES-CBC on one core%n", serving.mbps() / aes);
      return new Result(serving.mbps(), serving.rps(), plain.mbps(), aes, serving.errors() + plain.errors(),
          serving.allResponses(), plain.allResponses());
    } finally {
      deleteTree(dir);
    }
  }

  // ------------------------------------------------------------------------------ (a) AES alone

  static double aesOneCore(double seconds) {
    try {
      byte[] key = new byte[32];
      byte[] iv = new byte[16];
      byte[] block = new byte[BLOCK];
      new SplittableRandom(1).nextBytes(block);
      Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
      SecretKeySpec k = new SecretKeySpec(key, "AES");
      byte[] out = new byte[BlockCipher.paddedLength(BLOCK)];
      // Warm up the intrinsics before measuring.
      long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
      while (System.nanoTime() < warmEnd) {
        c.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
        c.doFinal(block, 0, BLOCK, out, 0);
      }
      long n = 0;
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      long now;
      do {
        iv[0]++;
        c.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
        c.doFinal(block, 0, BLOCK, out, 0);
        n++;
        now = System.nanoTime();
      } while (now < end);
      return n * (double) BLOCK / ((now - start) / 1e9) / 1e6;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC unavailable", e);
    }
  }

  // ------------------------------------------------------------------------------ load client

  /** Measured rates, errors, and every response including the warm-up ones. */
  record Load(double mbps, double rps, long errors, long allResponses) {}

  /** A request factory per call: which body to POST next. */
  interface Requests {
    ByteBuf next(SplittableRandom random);
  }

  /**
   * Keeps {@code connections} keep-alive connections busy with one request each, for
   * {@code seconds} after a warm-up of a third of that, and counts response body bytes.
   */
  static Load drive(InetSocketAddress target, int connections, double seconds, Requests requests) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-client", true),
        NioIoHandler.newFactory());
    AtomicLong bytes = new AtomicLong();
    AtomicLong responses = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong all = new AtomicLong();
    long warmupEnd = System.nanoTime() + (long) (seconds / 3 * 1e9);
    long end = warmupEnd + (long) (seconds * 1e9);
    CountDownLatch done = new CountDownLatch(connections);
    try {
      Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              SplittableRandom random = new SplittableRandom(ch.hashCode());
              ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(PccrrCodec.MAX_RESPONSE_BODY),
                  new SimpleChannelInboundHandler<FullHttpResponse>() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                      send(ctx, random);
                    }

                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                      long now = System.nanoTime();
                      all.incrementAndGet();
                      if (r.status().code() != 200 || r.content().readableBytes() < BLOCK) {
                        errors.incrementAndGet();
                      } else if (now >= warmupEnd && now < end) {
                        bytes.addAndGet(r.content().readableBytes());
                        responses.incrementAndGet();
                      }
                      if (now < end) {
                        send(ctx, random);
                      } else {
                        ctx.close();
                      }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                      done.countDown();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                      errors.incrementAndGet();
                      ctx.close();
                    }

                    private void send(ChannelHandlerContext ctx, SplittableRandom random) {
                      ByteBuf body = requests.next(random);
                      FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                          "/116B50EB-ECE2-41ac-8429-9F9E963361B7/", body);
                      req.headers().set(HttpHeaderNames.HOST, "bench");
                      HttpUtil.setContentLength(req, body.readableBytes());
                      ctx.writeAndFlush(req);
                    }
                  });
            }
          });
      for (int i = 0; i < connections; i++) {
        b.connect(target).addListener(f -> {
          if (!f.isSuccess()) {
            errors.incrementAndGet();
            done.countDown();
          }
        });
      }
      if (!done.await((long) (seconds * 2 + 30), TimeUnit.SECONDS)) {
        errors.incrementAndGet();
      }
      return new Load(bytes.get() / seconds / 1e6, responses.get() / seconds, errors.get(), all.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  // ------------------------------------------------------------------------------ (b) plain HTTP

  static Load plainHttp(Options o) {
    // The same size as a served MSG_BLK body: transport header + message around a padded block.
    int size = 4 + 16 + 36 + 8 + 4 + BlockCipher.paddedLength(BLOCK) + 4 + 4 + 16;
    ByteBuf payload = Unpooled.unreleasableBuffer(Unpooled.directBuffer(size).writeZero(size));
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-plain-accept", true),
        NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(o.serverIoThreads(),
        new DefaultThreadFactory("bench-plain-io", true), NioIoHandler.newFactory());
    try {
      Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(PccrrCodec.MAX_REQUEST_SIZE),
                  new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                          payload.duplicate());
                      HttpUtil.setContentLength(r, size);
                      ctx.writeAndFlush(r);
                    }
                  });
            }
          })
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).syncUninterruptibly().channel();
      try {
        byte[] body = new byte[68];
        return drive((InetSocketAddress) server.localAddress(), o.connections(), o.seconds(),
            r -> Unpooled.wrappedBuffer(body));
      } finally {
        server.close().syncUninterruptibly();
      }
    } finally {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  // ------------------------------------------------------------------------------ PCCRR serving

  static Load pccrr(Options o, Path dir) {
    HashAlgorithm a = HashAlgorithm.SHA_256;
    byte[] ks = PccrcKeys.serverSecret(a, "serving benchmark".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    SplittableRandom random = new SplittableRandom(5);
    List<SegmentId> ids = new ArrayList<>();
    try (ChunkStore store = RocksChunkStore.at(dir.resolve("store")).capacityBytes(4L << 30).open()) {
      int perSegment = SegmentRecord.V1_SEGMENT_SIZE / BLOCK;
      byte[] block = new byte[BLOCK];
      for (int first = 0; first < o.blocks(); first += perSegment) {
        int n = Math.min(perSegment, o.blocks() - first);
        List<byte[]> data = new ArrayList<>();
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          random.nextBytes(block);
          data.add(block.clone());
          hashes.add(a.hash(block));
        }
        byte[] hod = PccrcKeys.v1HashOfData(a, hashes);
        SegmentRecord r = SegmentRecord.v1(a, hod, PccrcKeys.segmentSecret(a, ks, hod), n * BLOCK, hashes);
        store.putSegment(r);
        for (int i = 0; i < n; i++) {
          store.putBlock(r.id(), i, data.get(i));
        }
        for (int i = 0; i < n; i++) {
          ids.add(r.id());
        }
      }
      int[] indexes = new int[ids.size()];
      for (int i = 0; i < indexes.length; i++) {
        indexes[i] = i % perSegment;
      }
      PeerServerConfig config = PeerServerConfig.defaults()
          .withThreads(o.serverIoThreads(), 2)
          .withMaxActiveClients(Math.max(64, o.connections() * 2));
      try (PeerHttpServer server = PeerHttpServer.start(store, config)) {
        Load load = drive(server.address(), o.connections(), o.seconds(), r -> {
          int k = r.nextInt(indexes.length);
          return Unpooled.wrappedBuffer(PccrrCodec.encodeToArray(GetBlocks.of(1, ids.get(k), indexes[k])));
        });
        long served = server.stats().blocksServed();
        if (served == 0) {
          throw new IllegalStateException("the server served no blocks; the measurement is void");
        }
        return load;
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: the directory is under tmp
    }
  }

  /** {@code java -cp ... dev.peerdist.simulator.bench.ServingBenchmark [--quick]}. */
  public static void main(String[] args) {
    boolean quick = args.length > 0 && args[0].equals("--quick");
    run(quick ? Options.quick() : Options.standard(), System.out);
  }
}
