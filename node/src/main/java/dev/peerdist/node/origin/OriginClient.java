package dev.peerdist.node.origin;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentInformationFormatException;
import dev.peerdist.node.pccrtp.PeerDistHeaderCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The client side of MS-PCCRTP (PROTOCOL.md §5.2), for the daemon: asks an origin for content
 * information and fetches missing bytes by range. Built on the JDK's {@link HttpClient}
 * (HTTP/1.1, HTTPS, timeouts; no automatic decompression, so {@code peerdist} bodies arrive as
 * sent). Thread-safe; one instance per daemon is enough. Close it to stop its threads.
 *
 * <pre>{@code
 * try (OriginClient origin = new OriginClient(OriginClientConfig.defaults())) {
 *   try (ContentInformationResponse r = origin.fetchContentInformation(uri)) {
 *     if (r instanceof ContentInformationResponse.Encoded pd) { ... pd.info() ... }
 *     else if (r instanceof ContentInformationResponse.Plain plain) { ... plain.body() ... }
 *   }
 *   byte[] block = origin.fetchRange(uri, 65536, 131072);
 * }
 * }</pre>
 */
public final class OriginClient implements AutoCloseable {
  /** Request header values exactly as iPXE sends them (TEST-VECTORS.md TV-7b). */
  static final String PEERDIST_VERSION = "Version=1.1";

  static final String PEERDIST_EX_V1_V2 = "MinContentInformation=1.0, MaxContentInformation=2.0";
  static final String PEERDIST_EX_V1_ONLY = "MinContentInformation=1.0, MaxContentInformation=1.0";
  static final String MISSING_DATA = "Version=1.1, MissingDataRequest=true";

  private final OriginClientConfig config;
  private final ExecutorService executor;
  /**
   * Built on first use ({@link #http()}): without a TLS setting of its own, building an
   * {@code HttpClient} loads the JDK's default {@code SSLContext} and its CA certificates, a tenth
   * of a second or more of a daemon's start-up (docs/PERFORMANCE.md, "Start-up") that a node
   * whose peers hold everything never needs.
   */
  private final HttpClient.Builder builder;
  private HttpClient http; // guarded by this
  private final ContentInformationCodec codec;
  private final SSLContext tls;

  /**
   * @throws IllegalArgumentException when the trusted certificate cannot be read
   */
  public OriginClient(OriginClientConfig config) {
    this.config = config;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "origin-client-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout())
            // With a bearer token, redirects are not followed: the JDK would resend the
            // Authorization header to wherever the redirect points.
            .followRedirects(config.bearerToken() == null ? HttpClient.Redirect.NORMAL : HttpClient.Redirect.NEVER)
            .executor(executor);
    if (!config.proxy().none()) {
      b.proxy(config.proxy().selector());
      if (config.proxy().authenticator() != null) {
        b.authenticator(config.proxy().authenticator());
      }
    }
    if (config.trustAll()) {
      this.tls = TrustAll.sslContext();
      b.sslContext(tls);
    } else if (config.trustedCertificate() != null) {
      this.tls = trusting(config);
      b.sslContext(tls);
    } else {
      this.tls = null;
    }
    this.builder = b;
    this.codec = new ContentInformationCodec(config.maxContentInformationBytes());
  }

  private static SSLContext trusting(OriginClientConfig config) {
    try (InputStream in = Files.newInputStream(config.trustedCertificate())) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("trusted-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException("no certificate in " + config.trustedCertificate());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot trust certificate " + config.trustedCertificate() + ": " + e.getMessage(), e);
    }
  }

  /** As {@link #fetchContentInformation(URI, boolean)} offering V1 and V2. */
  public ContentInformationResponse fetchContentInformation(URI uri) throws IOException, InterruptedException {
    return fetchContentInformation(uri, true);
  }

  /**
   * Sends the PeerDist GET of PROTOCOL.md §5.2 step 1 / TV-7b: {@code Accept-Encoding: peerdist},
   * {@code X-P2P-PeerDist: Version=1.1}, {@code X-P2P-PeerDistEx: MinContentInformation=1.0,
   * MaxContentInformation=2.0} (1.0 when {@code offerV2} is false), plus the bearer token when
   * configured.
   *
   * @return content information, or the plain content as a stream (close it)
   * @throws OriginException on a status other than 200/206, a content-information body over the
   *     limit, a missing or bad {@code ContentLength}, or a timeout
   */
  public ContentInformationResponse fetchContentInformation(URI uri, boolean offerV2)
      throws IOException, InterruptedException {
    return fetchContentInformation(uri, offerV2, -1, -1);
  }

  /**
   * As {@link #fetchContentInformation(URI, boolean)} for the bytes {@code [first, lastInclusive]}
   * only ({@code Range}; -1 = the whole content): the content information then lists the segments
   * intersecting the range, each with the block hashes of the blocks in it (PROTOCOL.md §2.3, §5.3).
   * One byte of a segment gives its description (HoD, Kp) and one block hash.
   */
  public ContentInformationResponse fetchContentInformation(URI uri, boolean offerV2, long first, long lastInclusive)
      throws IOException, InterruptedException {
    HttpRequest.Builder rb =
        request(uri)
            .header("Accept-Encoding", "peerdist")
            .header("X-P2P-PeerDist", PEERDIST_VERSION)
            .header("X-P2P-PeerDistEx", offerV2 ? PEERDIST_EX_V1_V2 : PEERDIST_EX_V1_ONLY);
    if (first >= 0) {
      if (lastInclusive < first) {
        throw new IllegalArgumentException("invalid range " + first + "-" + lastInclusive);
      }
      rb.header("Range", "bytes=" + first + "-" + lastInclusive);
    }
    HttpResponse<InputStream> resp = send(uri, rb.build());
    InputStream body = resp.body();
    boolean handedOver = false;
    try {
      int status = resp.statusCode();
      if (status != 200 && status != 206) {
        throw new OriginException(uri, status, "unexpected status for a content-information request");
      }
      Optional<String> etag = resp.headers().firstValue("ETag");
      Optional<String> lastModified = resp.headers().firstValue("Last-Modified");
      long declared = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
      boolean peerdist = PeerDistHeaderCodec.isPeerDistEncoded(resp.headers().allValues("Content-Encoding"));
      if (!peerdist) {
        boolean makeHash =
            PeerDistHeaderCodec.peerDistEx(resp.headers().allValues("X-P2P-PeerDistEx")).makeHashRequest();
        handedOver = true;
        return new ContentInformationResponse.Plain(status, body, declared, makeHash, etag, lastModified);
      }
      PeerDistHeaderCodec.PeerDist pdh = PeerDistHeaderCodec.peerDist(resp.headers().allValues("X-P2P-PeerDist"));
      String pd = String.join(", ", resp.headers().allValues("X-P2P-PeerDist"));
      long contentLength = pdh.contentLength().orElse(-1);
      if (contentLength < 0) {
        throw new OriginException(uri, status, "peerdist response without a valid X-P2P-PeerDist ContentLength: '" + pd + "'");
      }
      if (declared > config.maxContentInformationBytes()) {
        throw new OriginException(
            uri, status, "content information of " + declared + " bytes exceeds the limit of " + config.maxContentInformationBytes());
      }
      byte[] ci = readBounded(uri, status, body, config.maxContentInformationBytes(), declared);
      config.contentInformationCheck().check(uri, status, resp.headers(), ci);
      ContentInformation info;
      try {
        info = codec.decode(ci);
      } catch (ContentInformationFormatException e) {
        throw new OriginException(uri, status, "malformed content information: " + e.getMessage());
      }
      return new ContentInformationResponse.Encoded(
          info,
          ci,
          contentLength,
          pdh.version().map(Object::toString).orElse(""),
          etag,
          lastModified,
          resp.headers().firstValue("Content-Range").orElse(null));
    } finally {
      if (!handedOver) {
        body.close();
      }
    }
  }

  /** As {@link #fetchRange(URI, long, long, String)} without an ETag check. */
  public byte[] fetchRange(URI uri, long start, long endExclusive) throws IOException, InterruptedException {
    return fetchRange(uri, start, endExclusive, null);
  }

  /**
   * The MissingDataRequest of PROTOCOL.md §5.2 step 5 / TV-7b: {@code Range: bytes=start-(end-1)},
   * {@code X-P2P-PeerDist: Version=1.1, MissingDataRequest=true}, no {@code peerdist} in
   * Accept-Encoding, no PeerDistEx.
   *
   * @param expectedEtag when not null, the response's ETag must equal it (the content
   *     information was made for that version of the file)
   * @return the bytes; shorter than asked only when the content ends before {@code endExclusive}
   * @throws IllegalArgumentException when the range is empty, negative, or larger than {@code
   *     maxRangeBytes}
   * @throws OriginException on another status than 206 (or 200 for a range starting at 0), a
   *     {@code Content-Range} that does not match, a peerdist-encoded body, a changed ETag, a body
   *     that ends early, or a timeout
   */
  public byte[] fetchRange(URI uri, long start, long endExclusive, String expectedEtag)
      throws IOException, InterruptedException {
    if (start < 0 || endExclusive <= start) {
      throw new IllegalArgumentException("invalid range [" + start + ", " + endExclusive + ")");
    }
    if (endExclusive - start > config.maxRangeBytes()) {
      throw new IllegalArgumentException(
          "range of " + (endExclusive - start) + " bytes exceeds maxRangeBytes " + config.maxRangeBytes());
    }
    int wanted = (int) (endExclusive - start);
    HttpRequest.Builder rb =
        request(uri).header("Range", "bytes=" + start + "-" + (endExclusive - 1)).header("X-P2P-PeerDist", MISSING_DATA);
    HttpResponse<InputStream> resp = send(uri, rb.build());
    try (InputStream body = resp.body()) {
      int status = resp.statusCode();
      if (PeerDistHeaderCodec.isPeerDistEncoded(resp.headers().allValues("Content-Encoding"))) {
        throw new OriginException(uri, status, "origin answered a MissingDataRequest with content information");
      }
      if (expectedEtag != null) {
        String etag = resp.headers().firstValue("ETag").orElse(null);
        if (!expectedEtag.equals(etag)) {
          throw new OriginException(uri, status, "content changed: ETag " + etag + ", expected " + expectedEtag);
        }
      }
      if (status == 200 && start == 0) {
        // The origin ignored Range; the first bytes are still the ones asked for.
        return readPrefix(uri, status, body, wanted);
      }
      if (status != 206) {
        throw new OriginException(uri, status, "unexpected status for range " + start + "-" + (endExclusive - 1));
      }
      String cr = resp.headers().firstValue("Content-Range").orElse("");
      long[] parsed = parseContentRange(cr);
      if (parsed == null || parsed[0] != start || parsed[1] >= endExclusive
          || (parsed[1] != endExclusive - 1 && parsed[1] != parsed[2] - 1)) {
        throw new OriginException(uri, status, "Content-Range '" + cr + "' does not answer bytes " + start + "-" + (endExclusive - 1));
      }
      int expected = (int) (parsed[1] - parsed[0] + 1);
      byte[] b = readBounded(uri, status, body, expected, expected);
      return b;
    }
  }

  /**
   * Opens the MissingDataRequest range {@code [start, endExclusive)} (PROTOCOL.md §5.2 step 5, the
   * same headers as {@link #fetchRange}) as a stream, for the download loop's origin fetches: the
   * caller reads blocks as they arrive instead of waiting for a whole range, and a read that gets no
   * byte for {@code readTimeout} fails (slow is fine, dead is not). Uses a plain
   * {@link HttpURLConnection}: its per-read timeout is what tells slow from dead, and connections are
   * kept alive between ranges when a body is read to its end.
   *
   * @throws OriginException on another status than 206 (or 200 for a range starting at 0), a
   *     {@code Content-Range} that does not start at {@code start}, a peerdist-encoded body, or a
   *     changed ETag; the stream's length is then what the origin announced, at most the range
   */
  public RangeStream openRange(URI uri, long start, long endExclusive, String expectedEtag, Duration readTimeout)
      throws IOException {
    if (start < 0 || endExclusive <= start) {
      throw new IllegalArgumentException("invalid range [" + start + ", " + endExclusive + ")");
    }
    HttpURLConnection c;
    try {
      c = (HttpURLConnection) uri.toURL().openConnection(config.proxy().proxyFor(uri));
      if (config.proxy().authenticator() != null) {
        c.setAuthenticator(config.proxy().authenticator());
      }
    } catch (IllegalArgumentException | java.net.MalformedURLException e) {
      throw new OriginException(uri, "cannot request", e);
    }
    if (c instanceof HttpsURLConnection https && tls != null) {
      https.setSSLSocketFactory(tls.getSocketFactory());
      if (config.trustAll()) {
        https.setHostnameVerifier((host, session) -> true);
      }
    }
    c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
    c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, readTimeout.toMillis())));
    c.setInstanceFollowRedirects(config.bearerToken() == null);
    c.setRequestProperty("Range", "bytes=" + start + "-" + (endExclusive - 1));
    c.setRequestProperty("X-P2P-PeerDist", MISSING_DATA);
    c.setRequestProperty("Accept-Encoding", "identity");
    if (config.bearerToken() != null) {
      c.setRequestProperty("Authorization", "Bearer " + config.bearerToken());
    }
    boolean ok = false;
    try {
      int status;
      try {
        status = c.getResponseCode();
      } catch (java.net.SocketTimeoutException e) {
        throw new OriginException(uri, "timed out", e);
      }
      String encoding = c.getHeaderField("Content-Encoding");
      if (encoding != null && PeerDistHeaderCodec.isPeerDistEncoded(List.of(encoding))) {
        throw new OriginException(uri, status, "origin answered a MissingDataRequest with content information");
      }
      if (expectedEtag != null && !expectedEtag.isEmpty() && !expectedEtag.equals(c.getHeaderField("ETag"))) {
        throw new OriginException(uri, status, "content changed: ETag " + c.getHeaderField("ETag") + ", expected "
            + expectedEtag);
      }
      long length;
      if (status == 200 && start == 0) {
        length = endExclusive; // Range ignored: the first bytes are still the ones asked for.
      } else if (status == 206) {
        long[] parsed = parseContentRange(c.getHeaderField("Content-Range") == null ? "" : c.getHeaderField("Content-Range"));
        if (parsed == null || parsed[0] != start || parsed[1] >= endExclusive) {
          throw new OriginException(uri, status, "Content-Range '" + c.getHeaderField("Content-Range")
              + "' does not answer bytes " + start + "-" + (endExclusive - 1));
        }
        length = parsed[1] - parsed[0] + 1;
      } else {
        throw new OriginException(uri, status, "unexpected status for range " + start + "-" + (endExclusive - 1));
      }
      RangeStream r = new RangeStream(c, c.getInputStream(), length);
      ok = true;
      return r;
    } finally {
      if (!ok) {
        c.disconnect();
      }
    }
  }

  /**
   * The body of an origin range: {@link #length()} bytes to read from {@link #in()}. {@link #close()}
   * after reading everything keeps the connection for the next range; {@link #abort()} (from any
   * thread) drops it and makes a blocked read fail.
   */
  public static final class RangeStream implements java.io.Closeable {
    private final HttpURLConnection connection;
    private final InputStream in;
    private final long length;

    RangeStream(HttpURLConnection connection, InputStream in, long length) {
      this.connection = connection;
      this.in = in;
      this.length = length;
    }

    public InputStream in() {
      return in;
    }

    public long length() {
      return length;
    }

    public void abort() {
      connection.disconnect();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /**
   * The follow-up of PROTOCOL.md §5.2 step 3: asks the origin to compute hashes ({@code
   * X-P2P-PeerDistEx: ..., HashRequest=true}), with a HEAD request so that no content moves.
   *
   * @return the status code
   */
  public int requestHashes(URI uri) throws IOException, InterruptedException {
    HttpRequest r =
        request(uri)
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("X-P2P-PeerDist", PEERDIST_VERSION)
            .header("X-P2P-PeerDistEx", PEERDIST_EX_V1_V2 + ", HashRequest=true")
            .build();
    HttpResponse<InputStream> resp = send(uri, r);
    resp.body().close();
    return resp.statusCode();
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(config.requestTimeout()).GET();
    if (config.bearerToken() != null) {
      rb.header("Authorization", "Bearer " + config.bearerToken());
    }
    return rb;
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = builder.build();
    }
    return http;
  }

  private HttpResponse<InputStream> send(URI uri, HttpRequest r) throws IOException, InterruptedException {
    try {
      return http().send(r, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new OriginException(uri, "timed out", e);
    } catch (IllegalArgumentException e) {
      throw new OriginException(uri, "cannot request", e);
    }
  }

  private static byte[] readBounded(URI uri, int status, InputStream in, int max, long declared) throws IOException {
    if (declared > max) {
      throw new OriginException(uri, status, "body of " + declared + " bytes exceeds the limit of " + max);
    }
    byte[] buf = new byte[declared >= 0 ? (int) declared : Math.min(max, 64 * 1024)];
    int n = 0;
    while (true) {
      if (n == buf.length) {
        if (declared >= 0) {
          break;
        }
        if (buf.length >= max) {
          if (in.read() >= 0) {
            throw new OriginException(uri, status, "body exceeds the limit of " + max + " bytes");
          }
          break;
        }
        buf = Arrays.copyOf(buf, (int) Math.min(max, buf.length * 2L));
      }
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    if (declared >= 0 && n != declared) {
      throw new OriginException(uri, status, "body ended after " + n + " of " + declared + " bytes", true);
    }
    return n == buf.length ? buf : Arrays.copyOf(buf, n);
  }

  private static byte[] readPrefix(URI uri, int status, InputStream in, int wanted) throws IOException {
    byte[] buf = new byte[wanted];
    int n = 0;
    while (n < wanted) {
      int r = in.read(buf, n, wanted - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n == wanted ? buf : Arrays.copyOf(buf, n);
  }

  /** {@code bytes a-b/total} → {a, b, total} (total -1 for {@code *}), or null. */
  static long[] parseContentRange(String v) {
    String s = v.trim();
    if (!s.regionMatches(true, 0, "bytes ", 0, 6)) {
      return null;
    }
    s = s.substring(6).trim();
    int dash = s.indexOf('-');
    int slash = s.indexOf('/');
    if (dash <= 0 || slash < dash) {
      return null;
    }
    try {
      long a = Long.parseLong(s.substring(0, dash).trim());
      long b = Long.parseLong(s.substring(dash + 1, slash).trim());
      String t = s.substring(slash + 1).trim();
      long total = t.equals("*") ? -1 : Long.parseLong(t);
      if (a < 0 || b < a || (total >= 0 && b >= total)) {
        return null;
      }
      return new long[] {a, b, total < 0 ? Long.MAX_VALUE : total};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Stops the client's threads. Idempotent. */
  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
