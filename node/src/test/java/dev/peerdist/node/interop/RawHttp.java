package dev.peerdist.node.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Test support: one blocking HTTP/1.1 keep-alive connection that POSTs bodies and reads
 * {@code Content-Length} responses, written from RFC 9112 alone (no HTTP library), the way a
 * small client such as iPXE talks to a PCCRR server (PROTOCOL.md §4.1).
 */
public final class RawHttp implements AutoCloseable {
  /** The PCCRR path, as iPXE writes it ([MS-PCCRR] 2.1.1). */
  public static final String PCCRR_PATH = "/116B50EB-ECE2-41ac-8429-9F9E963361B7/";
  private static final int MAX_BODY = 1 << 20;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String host;

  /** A response: status code and body. */
  public record Response(int status, byte[] body) {}

  /** Connects to {@code server}, from {@code localAddress} when not null. */
  public RawHttp(InetSocketAddress server, InetAddress localAddress, int timeoutMillis) throws IOException {
    socket = new Socket();
    if (localAddress != null) {
      socket.bind(new InetSocketAddress(localAddress, 0));
    }
    socket.connect(server, timeoutMillis);
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
    host = server.getAddress().getHostAddress() + ":" + server.getPort();
  }

  /** POSTs {@code body} to the PCCRR path and reads the answer. */
  public Response post(byte[] body) throws IOException {
    String head = "POST " + PCCRR_PATH + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + body.length
        + "\r\nContent-Type: application/octet-stream\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(body);
    out.flush();
    return read();
  }

  /** Writes raw bytes (for malformed or slow requests). */
  public void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Whether the server closed the connection (reads EOF within the socket timeout). */
  public boolean closedByServer() {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  private Response read() throws IOException {
    String status = line();
    if (status == null) {
      throw new IOException("connection closed before a response");
    }
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP status line: " + status);
    }
    int code = Integer.parseInt(parts[1]);
    long length = -1;
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      if (colon > 0 && h.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        length = Long.parseLong(h.substring(colon + 1).trim());
      }
    }
    if (length < 0 || length > MAX_BODY) {
      throw new IOException("response without a usable Content-Length: " + length);
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new IOException("response body ended after " + body.length + " of " + length + " bytes");
    }
    return new Response(code, body);
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] a = b.toByteArray();
        int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
        return new String(a, 0, n, StandardCharsets.US_ASCII);
      }
      if (b.size() > 8192) {
        throw new IOException("header line too long");
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
