package dev.peerdist.node.origin;

import java.net.URI;
import java.net.http.HttpHeaders;

/**
 * A check of every content-information answer an {@link OriginClient} receives, before it is
 * decoded or used: whole answers and the pieces (ranges) alike. The node uses it to require signed
 * content information when {@code publisher-key} is set (docs/SITES.md).
 */
@FunctionalInterface
public interface ContentInformationCheck {
  /** Accepts everything (the default: unsigned content information stays interoperable). */
  ContentInformationCheck NONE = (uri, status, headers, body) -> { };

  /**
   * Checks one answer.
   *
   * @param body the content-information bytes exactly as received
   * @throws OriginException saying why the answer is refused
   */
  void check(URI uri, int status, HttpHeaders headers, byte[] body) throws OriginException;
}
