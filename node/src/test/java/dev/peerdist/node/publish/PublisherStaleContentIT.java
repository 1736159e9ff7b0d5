package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentVersion;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: an in-place edit that restores the modification time ({@code touch -r}) must not
 * leave stale content information cached. The publisher sees the change (the ETag includes the
 * ctime), never serves the old content information for the new bytes, and drops the old entry.
 */
@Timeout(60)
class PublisherStaleContentIT {
  @TempDir Path dir;

  @Test
  void editThatRestoresMtimeGetsNewContentInformationAndDropsTheOld() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path f = root.resolve("pkg.bin");
    byte[] content = new byte[300_000];
    new Random(5).nextBytes(content);
    Files.write(f, content);
    byte[] secret = new byte[32];
    new Random(6).nextBytes(secret);
    try (PublishingServer s = PublishingServer.start(PublisherConfig.builder().root(root)
        .stateDir(dir.resolve("state")).port(0).secretKeyMaterial(secret).hashWait(Duration.ofSeconds(30))
        .maxContentVersion(ContentVersion.V1).build())) {
      URI url = s.httpUri().orElseThrow().resolve("pkg.bin");
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest ask = HttpRequest.newBuilder(url).header("Accept-Encoding", "peerdist")
          .header("X-P2P-PeerDist", "Version=1.1").timeout(Duration.ofSeconds(30)).build();
      HttpResponse<byte[]> first = http.send(ask, HttpResponse.BodyHandlers.ofByteArray());
      assertEquals("peerdist", first.headers().firstValue("Content-Encoding").orElse(""));
      PccrcContentInformationSource pccrc = new PccrcContentInformationSource();
      assertArrayEquals(pccrc.generate(f, ContentVersion.V1, secret), first.body());

      // Edit in place (same size, same inode), then put the old modification time back.
      FileTime mtime = Files.getLastModifiedTime(f);
      Thread.sleep(20); // a ctime tick apart on coarse clocks
      try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
        raf.seek(100_000);
        raf.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      }
      Files.setLastModifiedTime(f, mtime);
      assertEquals(mtime, Files.getLastModifiedTime(f));

      HttpResponse<byte[]> second = http.send(ask, HttpResponse.BodyHandlers.ofByteArray());
      assertNotEquals(first.headers().firstValue("ETag"), second.headers().firstValue("ETag"),
          "the edit is visible in the ETag");
      if (second.headers().firstValue("Content-Encoding").orElse("").equals("peerdist")) {
        assertArrayEquals(pccrc.generate(f, ContentVersion.V1, secret), second.body(),
            "content information describes the new bytes, never the stale ones");
      } else {
        assertArrayEquals(Files.readAllBytes(f), second.body(), "or the new bytes are served plainly");
      }
      HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=100000-100007")
          .build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(second.headers().firstValue("ETag"), range.headers().firstValue("ETag"),
          "range answers carry the new ETag, so a client holding the old one can tell");
      // A client that sends the ETag its plan was made from gets 412, never the new bytes as old.
      HttpResponse<byte[]> stale = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=100000-100007")
          .header("If-Match", first.headers().firstValue("ETag").orElseThrow())
          .header("X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(412, stale.statusCode());
      HttpResponse<byte[]> current = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=100000-100007")
          .header("If-Match", second.headers().firstValue("ETag").orElseThrow()).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(206, current.statusCode());
      assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, current.body());
      s.precompute("/pkg.bin").get();
      try (Stream<Path> entries = Files.walk(dir.resolve("state").resolve("content-information"))) {
        assertEquals(1, entries.filter(p -> p.toString().endsWith(".ci")).count(), "the stale entry was dropped");
      }
      assertTrue(s.contentInformation().generatedCount() >= 2);
    }
  }
}
