package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The delay line over real sockets on 127.0.0.1: bytes arrive unchanged and in order both ways, it
 * counts them, and a request/response cannot complete in less than the two one-way delays (a
 * lower bound the scheduled writes guarantee, not a speed measurement).
 */
@Timeout(60)
class DelayLineIT {
  @Test
  void forwardsExactBytesBothWaysAfterTheDelay() throws Exception {
    byte[] payload = new byte[8 << 20];
    new Random(9).nextBytes(payload);
    try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> {
        try (Socket s = echo.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          byte[] req = new byte[4];
          new DataInputStream(in).readFully(req);
          out.write(payload);
          out.flush();
          byte[] up = new byte[1 << 20];
          new DataInputStream(in).readFully(up);
          out.write(up, 0, 16);
        } catch (Exception e) {
          // The test fails on the client side.
        }
      });
      server.start();
      Duration oneWay = Duration.ofMillis(40);
      try (DelayLine line = DelayLine.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
          (InetSocketAddress) echo.getLocalSocketAddress(), oneWay, 8, 256 * 1024);
          Socket c = new Socket(line.address().getAddress(), line.address().getPort())) {
        long t0 = System.nanoTime();
        c.getOutputStream().write(new byte[] {1, 2, 3, 4});
        c.getOutputStream().flush();
        DataInputStream in = new DataInputStream(c.getInputStream());
        byte[] got = new byte[payload.length];
        in.readFully(got, 0, 1);
        long firstByte = System.nanoTime() - t0;
        in.readFully(got, 1, got.length - 1);
        assertArrayEquals(payload, got);
        assertTrue(firstByte >= 2 * oneWay.toNanos(), "first byte after " + firstByte / 1e6 + " ms");
        byte[] up = new byte[1 << 20];
        new Random(3).nextBytes(up);
        c.getOutputStream().write(up);
        byte[] echoed = new byte[16];
        in.readFully(echoed);
        assertArrayEquals(java.util.Arrays.copyOf(up, 16), echoed);
        assertEquals(payload.length + 16, line.bytesDown());
        assertEquals(4 + up.length, line.bytesUp());
        assertEquals(1, line.accepted());
      }
      server.join(10_000);
    }
  }
}
