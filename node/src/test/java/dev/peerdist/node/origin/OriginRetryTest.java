package dev.peerdist.node.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OriginRetryTest {
  private static final URI URL = URI.create("http://publisher.example/pkg.bin");
  private final OriginRetry retry = new OriginRetry(Duration.ofMillis(1), Duration.ofSeconds(30));

  @Test
  void whatMayPassAndWhatWouldComeBackTheSame() {
    assertTrue(OriginRetry.transientFailure(new ConnectException("Connection refused")));
    assertTrue(OriginRetry.transientFailure(new HttpConnectTimeoutException("connect timed out")));
    assertTrue(OriginRetry.transientFailure(new OriginException(URL, "timed out",
        new java.net.http.HttpTimeoutException("request timed out"))));
    assertTrue(OriginRetry.transientFailure(new OriginException(URL, 503, "unexpected status")));
    assertTrue(OriginRetry.transientFailure(new OriginException(URL, 429, "unexpected status")));
    assertTrue(OriginRetry.transientFailure(new OriginException(URL, 200, "body ended after 3 of 9 bytes", true)));
    assertFalse(OriginRetry.transientFailure(new OriginException(URL, 404, "unexpected status")));
    assertFalse(OriginRetry.transientFailure(new OriginException(URL, 200, "malformed content information")));
    assertFalse(OriginRetry.transientFailure(new OriginException(URL, "cannot request",
        new IllegalArgumentException("bad URI"))));
    assertFalse(OriginRetry.transientFailure(new IOException("the publisher no longer answers with content information")));
  }

  /**
   * A publisher (or a proxy before it) that closes connections before answering. The JDK's client
   * sends a GET once more on a new connection by itself, then reports a plain IOException; that
   * is asked again (here twice, four connections closed) instead of failing the download.
   */
  @Test
  void aConnectionClosedBeforeTheAnswerIsAskedAgain() throws Exception {
    byte[] body = "plain bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int closed = 4;
    AtomicInteger connections = new AtomicInteger();
    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try {
          while (connections.get() <= closed) {
            try (java.net.Socket s = server.accept()) {
              java.io.InputStream in = s.getInputStream();
              int last4 = 0;
              for (int b; last4 != 0x0d0a0d0a && (b = in.read()) >= 0; ) {
                last4 = (last4 << 8) | b; // up to the blank line that ends the request head
              }
              if (connections.incrementAndGet() > closed) {
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().write(body);
              } // else closed without a byte of answer
            }
          }
        } catch (IOException e) {
          // the test fails on its assertions
        }
      }, "closing-publisher");
      t.setDaemon(true);
      t.start();
      URI url = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/pkg.bin");
      try (OriginClient c = new OriginClient(OriginClientConfig.defaults());
          ContentInformationResponse r = retry.send("content information of " + url,
              () -> c.fetchContentInformation(url, false))) {
        ContentInformationResponse.Plain plain = assertInstanceOf(ContentInformationResponse.Plain.class, r);
        assertArrayEquals(body, plain.body().readAllBytes());
      }
      assertEquals(closed + 1, connections.get());
    }
  }


  @Test
  void transientFailuresAreSentAgainUntilTheRequestSucceeds() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    String answer = retry.send("test", () -> {
      if (attempts.incrementAndGet() < 4) {
        throw new ConnectException("Connection timed out");
      }
      return "content information";
    });
    assertEquals("content information", answer);
    assertEquals(4, attempts.get());
  }

  @Test
  void aFailureThatWouldComeBackTheSameIsThrownAtOnce() {
    AtomicInteger attempts = new AtomicInteger();
    OriginException notFound = new OriginException(URL, 404, "unexpected status for a content-information request");
    OriginException thrown = assertThrows(OriginException.class, () -> retry.send("test", () -> {
      attempts.incrementAndGet();
      throw notFound;
    }));
    assertSame(notFound, thrown);
    assertEquals(1, attempts.get());
    assertEquals(0, thrown.getSuppressed().length);
  }

  @Test
  void afterGiveUpTheLastFailureIsThrownSayingHowManyAttempts() {
    OriginRetry shortRetry = new OriginRetry(Duration.ofMillis(2), Duration.ofMillis(40));
    AtomicInteger attempts = new AtomicInteger();
    ConnectException e = assertThrows(ConnectException.class, () -> shortRetry.send("test", () -> {
      attempts.incrementAndGet();
      throw new ConnectException("Connection refused");
    }));
    assertTrue(attempts.get() >= 2, "asked again before giving up: " + attempts.get());
    assertTrue(attempts.get() < 40, "pauses double: " + attempts.get());
    assertEquals(1, e.getSuppressed().length);
    assertTrue(e.getSuppressed()[0].getMessage().startsWith("gave up after " + attempts.get() + " attempts"),
        e.getSuppressed()[0].getMessage());
  }

  @Test
  void noneNeverAsksTwice() {
    AtomicInteger attempts = new AtomicInteger();
    assertThrows(ConnectException.class, () -> OriginRetry.NONE.send("test", () -> {
      attempts.incrementAndGet();
      throw new ConnectException("Connection refused");
    }));
    assertEquals(1, attempts.get());
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new OriginRetry(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new OriginRetry(Duration.ofSeconds(1), Duration.ofSeconds(-1)));
  }
}
