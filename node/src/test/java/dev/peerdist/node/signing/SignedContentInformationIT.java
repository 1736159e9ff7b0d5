package dev.peerdist.node.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed content information over real sockets: a publisher with {@code --signing-key} signs every
 * content-information answer (whole and range pieces); a node pinning its key downloads (and a
 * second node gets the blocks from the first); a node pinning another key, or facing an unsigned
 * publisher, refuses with a clear error; a node without {@code publisher-key} ignores signatures.
 */
@Timeout(120)
class SignedContentInformationIT {
  static final int SIZE = 700_000;

  @TempDir Path dir;
  Path root;
  byte[] content;
  final List<AutoCloseable> closers = new ArrayList<>();
  final int discovery = 20000 + ThreadLocalRandom.current().nextInt(30000);

  @BeforeEach
  void files() throws IOException {
    root = Files.createDirectories(dir.resolve("root"));
    content = new byte[SIZE];
    new Random(21).nextBytes(content);
    Files.write(root.resolve("pkg.bin"), content);
    Files.write(root.resolve("other.bin"), new byte[SIZE]);
  }

  @AfterEach
  void close() throws Exception {
    for (int i = closers.size() - 1; i >= 0; i--) {
      closers.get(i).close();
    }
  }

  PublishingServer publisher(String name, ContentSigner signer) throws IOException {
    byte[] secret = new byte[32];
    new Random(22).nextBytes(secret);
    PublishingServer p = PublishingServer.start(PublisherConfig.builder().root(root).stateDir(dir.resolve(name))
        .bind(InetAddress.getLoopbackAddress()).port(0).secretKeyMaterial(secret).hashWait(Duration.ofSeconds(30))
        .signer(signer).build());
    closers.add(p);
    return p;
  }

  Node node(String name, PublishingServer p, String key) throws IOException {
    NodeConfig.Builder b = NodeConfig.builder()
        .set(ConfigKey.STORE, dir.resolve(name).toString())
        .set(ConfigKey.PUBLISHER, p.httpUri().orElseThrow().toString())
        .set(ConfigKey.BIND, "127.0.0.1").set(ConfigKey.PCCRR_PORT, "0").set(ConfigKey.ADMIN_PORT, "0")
        .set(ConfigKey.MIRROR_PORT, "0").set(ConfigKey.INTERFACE, "lo")
        .set(ConfigKey.DISCOVERY_PORT, Integer.toString(discovery))
        .set(ConfigKey.DNSSD, "false").set(ConfigKey.CACHE_SIZE, "256MiB");
    if (key != null) {
      b.set(ConfigKey.PUBLISHER_KEY, key);
    }
    Node n = Node.start(b.build(), NodeDirectories::multicast, Clock.systemUTC());
    closers.add(n);
    return n;
  }

  DownloadRecord fetch(Node n, URI url) throws IOException {
    try (Download d = n.engine().open(url)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b;
      while ((b = d.next()) != null) {
        out.write(b);
      }
      assertArrayEquals(content, out.toByteArray());
      return d.record();
    }
  }

  @Test
  void pinnedKeyAcceptsSignedAnswersAndRefusesOthers() throws Exception {
    ContentSigner signer = ContentSigner.loadOrCreate(dir.resolve("keys/publisher.key"));
    assertTrue(Files.exists(dir.resolve("keys/publisher.key.pub")));
    assertEquals(signer.publicKey(), ContentSigner.loadOrCreate(dir.resolve("keys/publisher.key")).publicKey(),
        "the second start reads the same key");
    PublishingServer signed = publisher("signed", signer);
    String pinned = ContentSignature.publicKeyBase64(signer.publicKey());
    URI url = signed.httpUri().orElseThrow().resolve("pkg.bin");

    // The header is there, on whole answers and on range pieces, and verifies for this path only.
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    for (String range : new String[] {null, "bytes=0-0"}) {
      HttpRequest.Builder rb = HttpRequest.newBuilder(url).header("Accept-Encoding", "peerdist")
          .header("X-P2P-PeerDist", "Version=1.1").header("X-P2P-PeerDistEx", "MinContentInformation=1.0, "
              + "MaxContentInformation=1.0");
      if (range != null) {
        rb.header("Range", range);
      }
      HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
      for (int i = 0; i < 50 && !r.headers().firstValue("Content-Encoding").orElse("").equals("peerdist"); i++) {
        Thread.sleep(100); // hashes are made in the background on first request
        r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
      }
      String header = r.headers().firstValue(ContentSignature.HEADER).orElseThrow();
      byte[] body = r.body();
      Map<String, java.security.PublicKey> keys = ContentSignature.byId(List.of(signer.publicKey()));
      ContentSignature.verify(keys, "/pkg.bin", header, body);
      assertThrows(ContentSignature.RejectedException.class,
          () -> ContentSignature.verify(keys, "/other.bin", header, body));
      byte[] changed = body.clone();
      changed[changed.length - 1] ^= 1;
      assertThrows(ContentSignature.RejectedException.class,
          () -> ContentSignature.verify(keys, "/pkg.bin", header, changed));
    }

    Node a = node("a", signed, pinned);
    DownloadRecord ra = fetch(a, url);
    assertTrue(ra.peerdist());
    Node b = node("b", signed, pinned);
    DownloadRecord rb = fetch(b, url);
    assertEquals(SIZE, rb.bytes(ByteSource.PEER), "b verified every piece of content information it fetched");

    // Unsigned is the default and stays interoperable: a node without publisher-key ignores the header.
    DownloadRecord plain = fetch(node("c", signed, null), url);
    assertTrue(plain.peerdist());

    // Another key pinned: refused, saying so.
    ContentSigner other = ContentSigner.loadOrCreate(dir.resolve("keys/other.key"));
    Node wrong = node("wrong", signed, ContentSignature.publicKeyBase64(other.publicKey()));
    IOException e = assertThrows(IOException.class, () -> fetch(wrong, url));
    assertTrue(messages(e).contains("not a pinned publisher-key"), messages(e));

    // An unsigned publisher for a node that requires signatures: refused.
    PublishingServer unsigned = publisher("unsigned", null);
    Node strict = node("strict", unsigned, pinned);
    IOException e2 = assertThrows(IOException.class,
        () -> fetch(strict, unsigned.httpUri().orElseThrow().resolve("pkg.bin")));
    assertTrue(messages(e2).contains("not signed"), messages(e2));
  }

  static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append(" | ");
    }
    return sb.toString();
  }
}
