package dev.peerdist.node.origin;

import java.io.IOException;
import java.net.URI;

/**
 * The origin answered, but not as asked: an unexpected status, a body over the limit, a range
 * that does not match, or a body that ended early. The message names the URL and the problem;
 * {@link #statusCode()} is the HTTP status, or -1 when the failure was not a status.
 */
public class OriginException extends IOException {
  private static final long serialVersionUID = 1L;
  private final URI uri;
  private final int statusCode;

  public OriginException(URI uri, int statusCode, String problem) {
    super(problem + " (" + (statusCode >= 0 ? "HTTP " + statusCode + ", " : "") + uri + ")");
    this.uri = uri;
    this.statusCode = statusCode;
  }

  public OriginException(URI uri, String problem, Throwable cause) {
    super(problem + " (" + uri + "): " + cause.getMessage(), cause);
    this.uri = uri;
    this.statusCode = -1;
  }

  /** The URL that was requested. */
  public URI uri() {
    return uri;
  }

  /** The HTTP status code, or -1. */
  public int statusCode() {
    return statusCode;
  }
}
