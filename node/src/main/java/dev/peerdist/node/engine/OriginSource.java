package dev.peerdist.node.engine;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/**
 * The publisher as the engine uses it (MS-PCCRTP, PROTOCOL.md §5): content information for a URL,
 * or the plain content when the publisher does not offer PeerDist; and byte ranges for blocks no
 * peer could supply ({@code MissingDataRequest}, §5.2 step 5).
 */
public interface OriginSource {
  /** The publisher's answer to a PeerDist request. */
  sealed interface Answer permits Encoded, Plain {}

  /**
   * Content information: the plan of segments and a tag for the content version (the ETag, or
   * empty) — a changed file gives new content information and new segment ids.
   */
  record Encoded(SegmentPlan plan, String etag) implements Answer {}

  /**
   * The publisher sent the content itself (§5.2 step 2: no {@code Content-Encoding: peerdist}).
   *
   * @param length the entity length, or -1 when unknown
   * @param body the content; the receiver closes it
   */
  record Plain(long length, InputStream body) implements Answer {}

  /**
   * Asks the publisher for {@code url} offering PeerDist.
   *
   * @throws IOException naming the URL and what went wrong (status code, refused, timeout)
   */
  Answer open(URI url) throws IOException;

  /**
   * The identity bytes {@code [start, endExclusive)} of {@code url}, fetched by a
   * MissingDataRequest range GET (§5.2 step 5).
   *
   * @throws IOException naming the URL and what went wrong, including a short answer
   */
  byte[] range(URI url, long start, long endExclusive) throws IOException;
}
