package dev.peerdist.node.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** With an upload cap the publisher still serves every byte, whole files and ranges, to several clients. */
@Timeout(60)
class PublisherUploadCapIT {
  @TempDir Path tmp;

  @Test
  void cappedServerServesExactBytes() throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(5).nextBytes(data);
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.write(root.resolve("p.bin"), data);
    PublisherConfig c = PublisherConfig.builder().root(root).stateDir(tmp.resolve("state")).port(0)
        .uploadBytesPerSecond(16L << 20).build();
    assertEquals(16L << 20, c.uploadBytesPerSecond());
    try (PublishingServer s = PublishingServer.start(c)) {
      URI u = s.httpUri().orElseThrow().resolve("p.bin");
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var whole = http.sendAsync(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.ofByteArray());
      var second = http.sendAsync(HttpRequest.newBuilder(u).build(), HttpResponse.BodyHandlers.ofByteArray());
      HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(u).header("Range", "bytes=1000000-1999999").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(206, range.statusCode());
      assertArrayEquals(Arrays.copyOfRange(data, 1_000_000, 2_000_000), range.body());
      assertArrayEquals(data, whole.get().body());
      assertArrayEquals(data, second.get().body());
    }
    assertThrows(IllegalArgumentException.class, () -> PublisherConfig.builder().root(root)
        .stateDir(tmp.resolve("state")).uploadBytesPerSecond(-1).build());
  }
}
