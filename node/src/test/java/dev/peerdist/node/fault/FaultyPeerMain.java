package dev.peerdist.node.fault;

import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A misbehaving PCCRR peer, run as its own JVM by {@code FaultMatrixIT}: a proxy in front of a
 * real, honest peer. Every request is forwarded; each MSG_BLK answer is spoiled with probability
 * {@code rate} (seeded), the others pass unchanged. Faults:
 *
 * <ul>
 *   <li>{@code corrupt}: one ciphertext byte flipped (the block no longer verifies);
 *   <li>{@code truncate}: the HTTP head and half the body, then the connection closes;
 *   <li>{@code stall}: the request is read and never answered;
 *   <li>{@code reset}: the connection is reset (RST) instead of answered;
 *   <li>{@code wrong-segment}: the answer names another segment;
 *   <li>{@code wrong-index}: the answer names another block of the segment;
 *   <li>{@code lacks}: BLKLIST claims every block (the honest peer has them all), but the block
 *       itself comes back empty (SizeOfBlock 0: "not available", PROTOCOL.md §4.4).
 * </ul>
 *
 * <p>Arguments: {@code UPSTREAM_PORT FAULT RATE SEED}. Prints {@code port N} once listening, and
 * exits when its standard input closes (so it never outlives the test).
 */
public final class FaultyPeerMain {
  private FaultyPeerMain() {}

  public static void main(String[] args) throws Exception {
    int upstream = Integer.parseInt(args[0]);
    String fault = args[1];
    double rate = Double.parseDouble(args[2]);
    SplittableRandom random = new SplittableRandom(Long.parseLong(args[3]));
    ServerSocket server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
    out.println("port " + server.getLocalPort());
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // The test holds our stdin open while it needs us.
        }
      } catch (IOException e) {
        // Parent gone.
      }
      System.exit(0);
    }, "faulty-peer-stdin");
    watchdog.setDaemon(true);
    watchdog.start();
    while (true) {
      Socket s = server.accept();
      long seed = random.nextLong();
      Thread t = new Thread(() -> serve(s, upstream, fault, rate, new SplittableRandom(seed)), "faulty-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private static void serve(Socket client, int upstreamPort, String fault, double rate, SplittableRandom random) {
    try (client; Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
      InputStream cin = client.getInputStream();
      OutputStream cout = client.getOutputStream();
      InputStream uin = up.getInputStream();
      OutputStream uout = up.getOutputStream();
      while (true) {
        Http req = Http.read(cin);
        if (req == null) {
          return;
        }
        uout.write(req.raw());
        uout.flush();
        Http resp = Http.read(uin);
        if (resp == null) {
          return;
        }
        PccrrMessage m = decode(resp.body());
        boolean spoil = m instanceof PccrrMessage.Blocks && random.nextDouble() < rate;
        if (!spoil) {
          cout.write(resp.raw());
          cout.flush();
          continue;
        }
        PccrrMessage.Blocks b = (PccrrMessage.Blocks) m;
        switch (fault) {
          case "corrupt" -> {
            byte[] block = b.block().clone();
            if (block.length > 0) {
              block[block.length / 2] ^= 0x5a;
            }
            send(cout, resp, new PccrrMessage.Blocks(b.cryptoAlgoId(), b.segmentId(), b.blockIndex(),
                b.nextBlockIndex(), block, b.vrfBlock(), b.iv()));
          }
          case "truncate" -> {
            byte[] raw = resp.raw();
            cout.write(raw, 0, resp.headLength() + resp.body().length / 2);
            cout.flush();
            return;
          }
          case "stall" -> {
            while (cin.read() >= 0) {
              // Hold the connection, answer nothing.
            }
            return;
          }
          case "reset" -> {
            client.setSoLinger(true, 0);
            return;
          }
          case "wrong-segment" -> {
            byte[] other = new byte[32];
            random.nextBytes(other);
            send(cout, resp, new PccrrMessage.Blocks(b.cryptoAlgoId(), SegmentId.of(other), b.blockIndex(),
                b.nextBlockIndex(), b.block(), b.vrfBlock(), b.iv()));
          }
          case "wrong-index" -> send(cout, resp, new PccrrMessage.Blocks(b.cryptoAlgoId(), b.segmentId(),
              b.blockIndex() + 1, b.nextBlockIndex(), b.block(), b.vrfBlock(), b.iv()));
          case "lacks" -> send(cout, resp, new PccrrMessage.Blocks(b.cryptoAlgoId(), b.segmentId(), b.blockIndex(),
              b.nextBlockIndex(), new byte[0], b.vrfBlock(), new byte[0]));
          default -> throw new IllegalArgumentException("unknown fault " + fault);
        }
      }
    } catch (IOException | RuntimeException e) {
      // The client or the upstream went away: end this connection.
    }
  }

  private static PccrrMessage decode(byte[] body) {
    ByteBuf in = Unpooled.wrappedBuffer(body);
    try {
      return PccrrCodec.decodeResponse(in);
    } catch (RuntimeException e) {
      return null;
    } finally {
      in.release();
    }
  }

  private static void send(OutputStream out, Http like, PccrrMessage m) throws IOException {
    byte[] body = PccrrCodec.encodeToArray(m);
    String head = like.headWithoutLength() + "Content-Length: " + body.length + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
  }

  /** One HTTP/1.1 message with a Content-Length body (what PCCRR over HTTP uses, §4.1). */
  private record Http(String head, byte[] body) {
    static Http read(InputStream in) throws IOException {
      ByteArrayOutputStream h = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return null;
        }
        h.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        if (h.size() > 16384) {
          throw new IOException("head too long");
        }
      }
      String head = h.toString(StandardCharsets.US_ASCII);
      int length = 0;
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      if (length < 0 || length > PccrrCodec.MAX_RESPONSE_BODY) {
        throw new IOException("bad length " + length);
      }
      return new Http(head, in.readNBytes(length));
    }

    int headLength() {
      return head.length();
    }

    byte[] raw() {
      byte[] h = head.getBytes(StandardCharsets.US_ASCII);
      byte[] all = new byte[h.length + body.length];
      System.arraycopy(h, 0, all, 0, h.length);
      System.arraycopy(body, 0, all, h.length, body.length);
      return all;
    }

    String headWithoutLength() {
      StringBuilder sb = new StringBuilder();
      for (String line : head.split("\r\n")) {
        if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          sb.append(line).append("\r\n");
        }
      }
      return sb.toString();
    }
  }
}
