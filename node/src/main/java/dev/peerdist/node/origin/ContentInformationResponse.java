package dev.peerdist.node.origin;

import dev.peerdist.chunkstore.content.ContentInformation;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * What {@link OriginClient#fetchContentInformation} got: content information ({@link Encoded})
 * or the content itself ({@link Plain}, which must be closed).
 */
public sealed interface ContentInformationResponse extends AutoCloseable {
  /** The origin's strong or weak ETag, if it sent one. */
  Optional<String> etag();

  /** The origin's Last-Modified value, if it sent one. */
  Optional<String> lastModified();

  @Override
  default void close() throws IOException {}

  /**
   * The origin answered with {@code Content-Encoding: peerdist} (PROTOCOL.md §5.2 step 2).
   *
   * @param info the decoded content information (already checked by the codec)
   * @param contentInformation the raw content-information bytes exactly as received
   * @param contentLength the identity length from {@code X-P2P-PeerDist: ContentLength=}
   * @param peerDistVersion the {@code Version} of the response's {@code X-P2P-PeerDist}
   * @param contentRange the {@code Content-Range} when a range was described, else null
   */
  record Encoded(
      ContentInformation info,
      byte[] contentInformation,
      long contentLength,
      String peerDistVersion,
      Optional<String> etag,
      Optional<String> lastModified,
      String contentRange)
      implements ContentInformationResponse {
    /** Defensive copy. */
    public Encoded {
      contentInformation = contentInformation.clone();
    }

    @Override
    public byte[] contentInformation() {
      return contentInformation.clone();
    }
  }

  /**
   * The origin served the content itself: PeerDist not offered by the server, declined, or
   * hashes not ready yet ({@link #makeHashRequest()}, PROTOCOL.md §5.2 step 3).
   *
   * @param statusCode 200 (or 206 if the caller's URL was a range)
   * @param body the streaming body; close it (or this) when done
   * @param contentLength the declared length, or -1
   * @param makeHashRequest whether the origin said {@code X-P2P-PeerDistEx: MakeHashRequest=true}
   */
  record Plain(
      int statusCode,
      InputStream body,
      long contentLength,
      boolean makeHashRequest,
      Optional<String> etag,
      Optional<String> lastModified)
      implements ContentInformationResponse {
    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
