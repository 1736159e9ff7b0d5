package dev.peerdist.node.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The status page at {@code /} of the admin endpoint: one self-contained HTML document (resource
 * {@code status.html}: inline style and script, no external resources) that polls {@code /status}
 * of the same origin and shows store use, peers, recent downloads with their byte sources and
 * origin reasons, and live rates computed from successive totals.
 */
final class StatusPage {
  /** Only inline script/style of the page itself, and fetches to this origin. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; "
      + "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final String HTML = load();

  private StatusPage() {}

  static String html() {
    return HTML;
  }

  private static String load() {
    try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
      if (in == null) {
        throw new IllegalStateException("status.html missing from the node jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
