package dev.peerdist.node.engine;

import java.io.IOException;

/**
 * One download in progress: the caller pulls the content's bytes in order while the engine
 * fetches later segments ahead (bounded). Not thread-safe: one reader.
 */
public interface Download extends AutoCloseable {
  /** Where the bytes come from; live. */
  DownloadRecord record();

  /** Bytes the caller will receive, or -1 when the publisher did not say. */
  long contentLength();

  /**
   * The next bytes, in order; null at the end. Blocks until they are verified. The array may be the
   * one the block was verified in (no copy): the caller reads it and does not change it.
   *
   * @throws IOException when the content cannot be completed (the record says why)
   */
  byte[] next() throws IOException;

  /** The ids of the segments this download covers (empty for plain content). */
  default java.util.List<dev.peerdist.chunkstore.content.SegmentId> segmentIds() {
    return java.util.List.of();
  }

  /** Stops the download (a cancel when it has not ended); idempotent. */
  @Override
  void close();
}
