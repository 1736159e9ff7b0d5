package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.metrics.ByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two publishers over copies of the same directory (copied, so inodes and ctimes differ; the
 * mtime kept, as rsync -t does) with the same secret: with {@code --etag content} they hand out
 * identical content information and ETags, a range request to one with the other's ETag in
 * If-Match is served, and a node downloading through a round-robin TCP balancer in front of both
 * gets the file; an in-place edit that restores the mtime still changes the ETag. With the
 * default ETags the replicas disagree (why the mode exists).
 */
@Timeout(120)
class PublisherReplicasIT {
  static final int SIZE = 900_000;

  @TempDir Path dir;
  final List<AutoCloseable> closers = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  PublishingServer replica(String name, Path root, boolean contentEtag) throws IOException {
    byte[] secret = new byte[32];
    new Random(77).nextBytes(secret);
    PublishingServer p = PublishingServer.start(PublisherConfig.builder().root(root).stateDir(dir.resolve(name))
        .bind(InetAddress.getLoopbackAddress()).port(0).secretKeyMaterial(secret).hashWait(Duration.ofSeconds(30))
        .contentEtag(contentEtag).build());
    closers.add(p);
    return p;
  }

  static HttpResponse<byte[]> contentInformation(URI url) throws Exception {
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    HttpRequest req = HttpRequest.newBuilder(url).header("Accept-Encoding", "peerdist")
        .header("X-P2P-PeerDist", "Version=1.1")
        .header("X-P2P-PeerDistEx", "MinContentInformation=1.0, MaxContentInformation=1.0").build();
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    for (int i = 0; i < 100 && !r.headers().firstValue("Content-Encoding").orElse("").equals("peerdist"); i++) {
      Thread.sleep(100); // default ETags: content information is made in the background
      r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }
    assertEquals("peerdist", r.headers().firstValue("Content-Encoding").orElse(""));
    return r;
  }

  @Test
  void replicasOverCopiedDirectoriesAgree() throws Exception {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));
    byte[] content = new byte[SIZE];
    new Random(8).nextBytes(content);
    Files.write(a.resolve("pkg.bin"), content);
    Thread.sleep(20); // a later ctime for the copy
    Files.write(b.resolve("pkg.bin"), content);
    FileTime mtime = Files.getLastModifiedTime(a.resolve("pkg.bin"));
    Files.setLastModifiedTime(b.resolve("pkg.bin"), mtime);

    // Default ETags: size, mtime, inode, ctime — the copies disagree.
    PublishingServer la = replica("la", a, false);
    PublishingServer lb = replica("lb", b, false);
    assertNotEquals(contentInformation(la.httpUri().orElseThrow().resolve("pkg.bin")).headers().firstValue("ETag"),
        contentInformation(lb.httpUri().orElseThrow().resolve("pkg.bin")).headers().firstValue("ETag"));

    PublishingServer ra = replica("ra", a, true);
    PublishingServer rb = replica("rb", b, true);
    HttpResponse<byte[]> ca = contentInformation(ra.httpUri().orElseThrow().resolve("pkg.bin"));
    HttpResponse<byte[]> cb = contentInformation(rb.httpUri().orElseThrow().resolve("pkg.bin"));
    String etag = ca.headers().firstValue("ETag").orElseThrow();
    assertTrue(etag.startsWith("\"c-"), etag);
    assertEquals(etag, cb.headers().firstValue("ETag").orElseThrow());
    assertArrayEquals(ca.body(), cb.body(), "identical content information, so identical segment ids");

    // A range from replica b under replica a's ETag.
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(rb.httpUri().orElseThrow().resolve("pkg.bin"))
        .header("Range", "bytes=100-199").header("If-Match", etag).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, range.statusCode());
    assertArrayEquals(java.util.Arrays.copyOfRange(content, 100, 200), range.body());

    // A node behind a round-robin balancer: content information and ranges land on either replica.
    try (Balancer lb2 = new Balancer(ra.httpUri().orElseThrow().getPort(), rb.httpUri().orElseThrow().getPort())) {
      URI via = URI.create("http://127.0.0.1:" + lb2.port() + "/");
      NodeConfig c = NodeConfig.builder().set(ConfigKey.STORE, dir.resolve("node").toString())
          .set(ConfigKey.PUBLISHER, via.toString()).set(ConfigKey.BIND, "127.0.0.1").set(ConfigKey.PCCRR_PORT, "0")
          .set(ConfigKey.ADMIN_PORT, "0").set(ConfigKey.MIRROR_PORT, "0").set(ConfigKey.INTERFACE, "lo")
          .set(ConfigKey.DISCOVERY_PORT, Integer.toString(20000 + ThreadLocalRandom.current().nextInt(30000)))
          .set(ConfigKey.DNSSD, "false").set(ConfigKey.CACHE_SIZE, "256MiB").build();
      try (Node n = Node.start(c, NodeDirectories::multicast, Clock.systemUTC());
          Download d = n.engine().open(via.resolve("pkg.bin"))) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk;
        while ((chunk = d.next()) != null) {
          out.write(chunk);
        }
        assertArrayEquals(content, out.toByteArray());
        assertTrue(d.record().peerdist());
        assertEquals(SIZE, d.record().bytes(ByteSource.ORIGIN));
      }
      assertTrue(lb2.connections() >= 2, "the balancer spread " + lb2.connections() + " connection(s)");
    }

    // An in-place edit that restores the mtime still changes the ETag (the local change key keys the hashing).
    byte[] edited = content.clone();
    edited[SIZE / 2] ^= 1;
    Files.write(a.resolve("pkg.bin"), edited);
    Files.setLastModifiedTime(a.resolve("pkg.bin"), mtime);
    String after = contentInformation(ra.httpUri().orElseThrow().resolve("pkg.bin")).headers().firstValue("ETag")
        .orElseThrow();
    assertNotEquals(etag, after);
  }

  /** A TCP balancer on loopback sending each new connection to the next backend in turn. */
  static final class Balancer implements AutoCloseable {
    private final ServerSocket server;
    private final int[] backends;
    private final AtomicInteger next = new AtomicInteger();
    private final List<Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();

    Balancer(int... backends) throws IOException {
      this.backends = backends;
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::accept, "balancer");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int connections() {
      return next.get();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket in = server.accept();
          Socket out = new Socket();
          out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(),
              backends[next.getAndIncrement() % backends.length]), 2000);
          open.add(in);
          open.add(out);
          pipe(in, out);
          pipe(out, in);
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void pipe(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
          i.transferTo(o);
        } catch (IOException e) {
          // the other side closed
        } finally {
          try {
            to.shutdownOutput();
          } catch (IOException e) {
            // already closed
          }
        }
      }, "balancer-pipe");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
