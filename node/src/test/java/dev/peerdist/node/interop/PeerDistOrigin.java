package dev.peerdist.node.interop;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test support: the PCCRTP side of a foreign client (PROTOCOL.md §5.2): one PeerDist GET for the
 * content information with the client's own headers, and MissingDataRequest range GETs for what
 * no peer supplied (counted: the tests assert that none are needed).
 */
public final class PeerDistOrigin {
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final AtomicLong rangeBytes = new AtomicLong();
  private final AtomicLong rangeRequests = new AtomicLong();

  /** Content information and the identity length. */
  public record Answer(ContentInformation info, long contentLength) {}

  /**
   * The PeerDist GET: {@code Accept-Encoding: peerdist} and {@code X-P2P-PeerDist: Version=...},
   * plus {@code X-P2P-PeerDistEx} when {@code peerDistEx} is not null.
   */
  public Answer contentInformation(URI url, String version, String peerDistEx) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120))
        .header("Accept-Encoding", "peerdist").header("X-P2P-PeerDist", "Version=" + version);
    if (peerDistEx != null) {
      b.header("X-P2P-PeerDistEx", peerDistEx);
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    String encoding = r.headers().firstValue("Content-Encoding").orElse("");
    if (r.statusCode() != 200 || !encoding.toLowerCase(Locale.ROOT).contains("peerdist")) {
      throw new IOException("no content information from " + url + ": status " + r.statusCode() + ", encoding '"
          + encoding + "'");
    }
    String pd = r.headers().firstValue("X-P2P-PeerDist").orElse("");
    long length = -1;
    for (String part : pd.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length == 2 && kv[0].equalsIgnoreCase("ContentLength")) {
        length = Long.parseLong(kv[1].trim());
      }
    }
    return new Answer(ContentInformationCodec.standard().decode(r.body()), length);
  }

  /** A MissingDataRequest for {@code [start, end)} (PROTOCOL.md §5.2 step 5). */
  public byte[] range(URI url, long start, long end) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
        .header("Range", "bytes=" + start + "-" + (end - 1))
        .header("X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true").build();
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    if ((r.statusCode() != 206 && r.statusCode() != 200) || r.body().length != end - start) {
      throw new IOException("range " + start + "-" + end + " of " + url + ": status " + r.statusCode());
    }
    rangeRequests.incrementAndGet();
    rangeBytes.addAndGet(r.body().length);
    return r.body();
  }

  /** Bytes fetched by MissingDataRequest so far. */
  public long rangeBytes() {
    return rangeBytes.get();
  }

  public long rangeRequests() {
    return rangeRequests.get();
  }
}
