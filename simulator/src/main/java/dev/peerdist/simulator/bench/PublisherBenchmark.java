package dev.peerdist.simulator.bench;

import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.node.origin.TrustAll;
import dev.peerdist.node.publish.PublisherConfig;
import dev.peerdist.node.publish.PublishingServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;

/**
 * Publishing-server throughput against baselines measured in the same run (HOUSE-STYLE: ratios,
 * never absolute targets). Loopback only, bounded: a 128 MiB file, 3 rounds each, about 30 s.
 *
 * <pre>
 *   plain HTTP GET      vs  raw loopback TCP sendfile of the same file    (zero-copy path)
 *   HTTPS GET           vs  raw loopback TCP                             (TLS + ChunkedFile)
 *   V1 hashing (first)  vs  SHA-256 of the same bytes in memory          (content information)
 *   V2 hashing (first)  vs  SHA-512 of the same bytes in memory
 *   cached content-information requests/s  vs  plain 4 KiB GET requests/s (keep-alive)
 * </pre>
 *
 * Run: {@code java -cp "simulator/target/simulator-0.1.0-SNAPSHOT.jar:simulator/target/lib/*"
 * dev.peerdist.simulator.bench.PublisherBenchmark [sizeMiB]}.
 */
public final class PublisherBenchmark {
  private static final int ROUNDS = 3;

  private PublisherBenchmark() {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    if (mib < 1 || mib > 1024) {
      throw new IllegalArgumentException("size must be 1..1024 MiB, got " + mib);
    }
    Path dir = Files.createTempDirectory("publisher-bench");
    try {
      run(dir, mib);
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(Path dir, int mib) throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    byte[] content = new byte[mib << 20];
    new Random(1).nextBytes(content);
    Path file = root.resolve("big.bin");
    Files.write(file, content);
    Files.write(root.resolve("small.bin"), Arrays.copyOf(content, 4096));
    Files.write(root.resolve("ci.bin"), Arrays.copyOf(content, 1 << 20));
    PublisherConfig config =
        PublisherConfig.builder()
            .root(root)
            .stateDir(dir.resolve("state"))
            .port(0)
            .tlsPort(0)
            .tls(new PublisherConfig.TlsSettings(null, null, true))
            .hashWait(Duration.ofMinutes(5))
            .build();
    System.out.printf("publisher benchmark: %d MiB file, %d rounds, median MB/s (10^6 B/s)%n", mib, ROUNDS);
    try (PublishingServer server = PublishingServer.start(config)) {
      URI http = server.httpUri().orElseThrow();
      URI https = server.httpsUri().orElseThrow();
      double raw = median(() -> rawSendfile(file));
      double plain = median(() -> httpGet(http, "/big.bin", false));
      double tls = median(() -> httpGet(https, "/big.bin", true));
      row("raw loopback TCP sendfile (baseline)", raw, 1.0);
      row("plain HTTP GET (DefaultFileRegion)", plain, plain / raw);
      row("HTTPS GET (TLS, ChunkedFile)", tls, tls / raw);

      double sha256 = median(() -> digest("SHA-256", content));
      double sha512 = median(() -> digest("SHA-512", content));
      double v1 = firstHash(http, "/big.bin", ContentVersion.V1, content.length);
      double v2 = firstHash(http, "/big.bin", ContentVersion.V2, content.length);
      row("SHA-256 in memory (baseline)", sha256, 1.0);
      row("V1 content information, first request", v1, v1 / sha256);
      row("SHA-512 in memory (baseline)", sha512, 1.0);
      row("V2 content information, first request", v2, v2 / sha512);

      peerDistGet(http, "/ci.bin", 1); // make it cached
      requestRate(http, "/small.bin", false); // warm both paths before measuring either
      requestRate(http, "/ci.bin", true);
      double plainRate = median(() -> requestRate(http, "/small.bin", false));
      double ciRate = median(() -> requestRate(http, "/ci.bin", true));
      System.out.printf("%-44s %10.0f req/s  ratio %.2f%n", "plain 4 KiB GET, keep-alive (baseline)", plainRate, 1.0);
      System.out.printf("%-44s %10.0f req/s  ratio %.2f%n", "cached content information, keep-alive", ciRate, ciRate / plainRate);
    }
  }

  interface Measure {
    double run() throws Exception;
  }

  private static double median(Measure m) throws Exception {
    double[] v = new double[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      v[i] = m.run();
    }
    Arrays.sort(v);
    return v[ROUNDS / 2];
  }

  private static void row(String what, double mbps, double ratio) {
    System.out.printf("%-44s %10.0f MB/s   ratio %.2f%n", what, mbps, ratio);
  }

  private static double rawSendfile(Path file) throws Exception {
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread sender =
          new Thread(
              () -> {
                try (Socket s = ss.accept();
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                  var out = Channels.newChannel(s.getOutputStream());
                  long pos = 0;
                  long size = ch.size();
                  while (pos < size) {
                    pos += ch.transferTo(pos, size - pos, out);
                  }
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              },
              "bench-sender");
      sender.start();
      long t0 = System.nanoTime();
      long n;
      try (Socket c = new Socket()) {
        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort()));
        n = drain(c.getInputStream(), Long.MAX_VALUE);
      }
      sender.join(30_000);
      return n / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }
  }

  private static Socket connect(URI base, boolean tls) throws IOException {
    if (!tls) {
      return new Socket(base.getHost(), base.getPort());
    }
    SSLSocket s = (SSLSocket) TrustAll.sslContext().getSocketFactory().createSocket(base.getHost(), base.getPort());
    s.startHandshake();
    return s;
  }

  private static double httpGet(URI base, String path, boolean tls) throws Exception {
    try (Socket s = connect(base, tls)) {
      long t0 = System.nanoTime();
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      long len = readHead(in);
      long n = drain(in, len);
      if (n != len) {
        throw new IOException("short body " + n + " of " + len);
      }
      return n / ((System.nanoTime() - t0) / 1e9) / 1e6;
    }
  }

  private static double digest(String alg, byte[] content) throws Exception {
    MessageDigest d = MessageDigest.getInstance(alg);
    long t0 = System.nanoTime();
    for (int off = 0; off < content.length; off += 65536) {
      d.update(content, off, Math.min(65536, content.length - off));
    }
    d.digest();
    return content.length / ((System.nanoTime() - t0) / 1e9) / 1e6;
  }

  /** Time from the first PeerDist request of a version to its answer (the server hashes meanwhile). */
  private static double firstHash(URI base, String path, ContentVersion v, long size) throws Exception {
    long t0 = System.nanoTime();
    peerDistGet(base, path, v == ContentVersion.V1 ? 1 : 2);
    return size / ((System.nanoTime() - t0) / 1e9) / 1e6;
  }

  private static void peerDistGet(URI base, String path, int version) throws Exception {
    try (Socket s = connect(base, false)) {
      String ex = version == 1 ? "" : "X-P2P-PeerDistEx: MinContentInformation=2.0, MaxContentInformation=2.0\r\n";
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept-Encoding: peerdist\r\n"
                      + "X-P2P-PeerDist: Version=1.1\r\n" + ex + "\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = new String(readHeadBytes(in), StandardCharsets.ISO_8859_1);
      if (!dev.peerdist.node.pccrtp.PeerDistHeaderCodec.isPeerDistEncoded(
          dev.peerdist.node.pccrtp.PeerDistHeaderCodec.headerValues(head, "Content-Encoding"))) {
        throw new IOException("no content information: " + head);
      }
    }
  }

  /** Keep-alive requests in a loop for about 1.5 s; returns requests per second. */
  private static double requestRate(URI base, String path, boolean peerdist) throws Exception {
    byte[] req =
        ("GET " + path + " HTTP/1.1\r\nHost: x\r\n"
                + (peerdist ? "Accept-Encoding: peerdist\r\nX-P2P-PeerDist: Version=1.0\r\n" : "")
                + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (Socket s = connect(base, false)) {
      s.setTcpNoDelay(true);
      OutputStream out = s.getOutputStream();
      InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 65536);
      long t0 = System.nanoTime();
      long deadline = t0 + 1_500_000_000L;
      int n = 0;
      while (System.nanoTime() < deadline && n < 200_000) {
        out.write(req);
        long len = readHead(in);
        drain(in, len);
        n++;
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    }
  }

  private static byte[] readHeadBytes(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed in the response head");
      }
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
    }
    return b.toByteArray();
  }

  /** Reads a response head and returns its Content-Length. */
  private static long readHead(InputStream in) throws IOException {
    String head = new String(readHeadBytes(in), StandardCharsets.ISO_8859_1);
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
        return Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    throw new IOException("no Content-Length in " + head);
  }

  private static long drain(InputStream in, long max) throws IOException {
    byte[] buf = new byte[256 * 1024];
    long n = 0;
    while (n < max) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, max - n));
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }
}
