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
  private final boolean transientFailure;

  /** An answer with an unexpected {@code statusCode}; transient when the status says "later" (408, 429, 5xx). */
  public OriginException(URI uri, int statusCode, String problem) {
    this(uri, statusCode, problem, statusCode == 408 || statusCode == 429 || statusCode >= 500);
  }

  /** An answer that went wrong; {@code transientFailure}: asking again may succeed (a body cut short). */
  public OriginException(URI uri, int statusCode, String problem, boolean transientFailure) {
    super(problem + " (" + (statusCode >= 0 ? "HTTP " + statusCode + ", " : "") + uri + ")");
    this.uri = uri;
    this.statusCode = statusCode;
    this.transientFailure = transientFailure;
  }

  /** No answer: a timeout (transient), or a request that cannot be made at all (not transient). */
  public OriginException(URI uri, String problem, Throwable cause) {
    super(problem + " (" + uri + "): " + cause.getMessage(), cause);
    this.uri = uri;
    this.statusCode = -1;
    this.transientFailure = !(cause instanceof IllegalArgumentException);
  }

  /**
   * Whether the same request may succeed later: no answer in time, a body cut short, or a status
   * that says so. Not for answers that would come back the same (404, a changed ETag, malformed
   * content information).
   */
  public boolean transientFailure() {
    return transientFailure;
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
