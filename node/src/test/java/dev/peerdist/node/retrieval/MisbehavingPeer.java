package dev.peerdist.node.retrieval;

import dev.peerdist.discovery.PeerEndpoint;
import dev.peerdist.node.pccrr.PccrrCodec;
import dev.peerdist.node.pccrr.PccrrMessage;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A PCCRR peer on 127.0.0.1 that misbehaves on purpose: it answers every request with the
 * correct answer (from {@code responder}), then corrupts it, never answers, or closes halfway.
 * Plain blocking sockets, one daemon thread per connection; {@link #close()} ends them all.
 */
public final class MisbehavingPeer implements AutoCloseable {
  public enum Mode {
    /** Flip one ciphertext byte of every block. */
    CORRUPT,
    /** Read the request, never answer. */
    STALL,
    /** Send the headers and half the body, then close. */
    CLOSE_MID,
    /**
     * Answer the first request only once {@link #releaseHeld()} is called (a late answer); answer
     * every later request at once, correctly.
     */
    LATE_FIRST
  }

  private final ServerSocket server;
  private final Mode mode;
  private final Function<PccrrMessage, PccrrMessage> responder;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
  private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
  /** One permit per connection the client closed (end of stream read here). */
  private final java.util.concurrent.Semaphore clientCloses = new java.util.concurrent.Semaphore(0);

  public MisbehavingPeer(Mode mode, Function<PccrrMessage, PccrrMessage> responder) throws IOException {
    this.mode = mode;
    this.responder = responder;
    this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "misbehaving-" + mode.name().toLowerCase(Locale.ROOT));
    t.setDaemon(true);
    t.start();
  }

  public PeerEndpoint endpoint() {
    return new PeerEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "misbehaving-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      while (!closed) {
        byte[] body = readRequest(in);
        if (body == null) {
          clientCloses.release();
          return;
        }
        PccrrMessage req = PccrrCodec.decodeRequest(Unpooled.wrappedBuffer(body));
        byte[] answer = PccrrCodec.encodeToArray(responder.apply(req));
        switch (mode) {
          case STALL -> {
            while (!closed && in.read() >= 0) {
              // hold the connection open, answer nothing
            }
            if (!closed) {
              clientCloses.release();
            }
            return;
          }
          case CORRUPT -> {
            if (answer.length > 100) {
              answer[80] ^= 0x5a; // inside the ciphertext (it starts at byte 68 for a 32-byte id)
            }
            write(out, answer, answer.length);
          }
          case CLOSE_MID -> {
            write(out, answer, answer.length / 2);
            return;
          }
          case LATE_FIRST -> {
            if (requests.getAndIncrement() == 0) {
              while (!closed && !held.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                // until released
              }
            }
            write(out, answer, answer.length);
          }
          default -> throw new IllegalStateException();
        }
      }
    } catch (IOException | RuntimeException e) {
      // the client went away or sent garbage: end this connection
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void write(OutputStream out, byte[] body, int sendBytes) throws IOException {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: keep-alive\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body, 0, sendBytes);
    out.flush();
  }

  /** Reads one HTTP request and returns its body, or null at end of stream. Bounded sizes. */
  private static byte[] readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 8192) {
        throw new IOException("header too long");
      }
    }
    int length = 0;
    for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    if (length < 0 || length > PccrrCodec.MAX_REQUEST_SIZE) {
      throw new IOException("bad length " + length);
    }
    return in.readNBytes(length);
  }

  /** LATE_FIRST: sends the held answer to the first request now. */
  public void releaseHeld() {
    held.countDown();
  }

  /** Connections accepted so far. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  /** Waits until the client has closed {@code n} connections in all; false if not within {@code seconds}. */
  public boolean awaitClientCloses(int n, long seconds) throws InterruptedException {
    if (!clientCloses.tryAcquire(n, seconds, java.util.concurrent.TimeUnit.SECONDS)) {
      return false;
    }
    clientCloses.release(n);
    return true;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
