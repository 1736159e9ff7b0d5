package dev.peerdist.node.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The client side of a node's admin endpoint, for {@code get} and {@code status}. */
final class AdminClient {
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

  AdminClient(URI base) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
  }

  URI base() {
    return base;
  }

  /** True when a node answers {@code /healthz}. */
  boolean reachable() {
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve("healthz"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String text(String path) throws IOException {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("the node answered " + r.statusCode() + " for " + path + ": " + r.body().trim());
      }
      return r.body();
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new UserException("no node answers at " + base + " (is 'peerdist run' running? --node URL)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Starts {@code /download?url=} and returns the streaming response. */
  HttpResponse<InputStream> download(URI url) throws IOException {
    try {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
              base.resolve("download?url=" + URLEncoder.encode(url.toString(), StandardCharsets.UTF_8))).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      if (r.statusCode() != 200) {
        String body;
        try (InputStream in = r.body()) {
          body = new String(in.readNBytes(4096), StandardCharsets.UTF_8).trim();
        }
        throw new UserException("download failed (" + r.statusCode() + "): " + body);
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /**
   * A string field of our own JSON, e.g. {@code "error":"peer and origin failed"}, with the
   * escapes {@code Json} writes undone; null when absent.
   */
  static String jsonString(String json, String field) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    if (!m.find()) {
      return null;
    }
    String v = m.group(1);
    StringBuilder sb = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c != '\\' || i + 1 >= v.length()) {
        sb.append(c);
        continue;
      }
      char e = v.charAt(++i);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (i + 4 < v.length()) {
            sb.append((char) Integer.parseInt(v.substring(i + 1, i + 5), 16));
            i += 4;
          }
        }
        default -> sb.append(e);
      }
    }
    return sb.toString();
  }

  /** A number field of a flat part of our own JSON, e.g. {@code "peer":123}; -1 when absent. */
  static long jsonNumber(String json, String field) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?\\d+)").matcher(json);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }
}
