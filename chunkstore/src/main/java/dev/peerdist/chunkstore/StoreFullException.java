package dev.peerdist.chunkstore;

/**
 * A put that the store cannot keep; nothing was stored and the store is unchanged. Thrown by
 * {@link ChunkStore#putSegment} and {@link ChunkStore#putBlock} when:
 *
 * <ul>
 *   <li>the capacity is 0: the store is pass-through only and accepts nothing;
 *   <li>making room would need evicting pinned segments or segments still being written (see
 *       {@link ChunkStore} on the write window), so a cache smaller than what one download has in
 *       flight refuses puts instead of evicting the download's own segments;
 *   <li>the disk is full ({@link DiskFullException}).
 * </ul>
 *
 * The caller still holds verified bytes and may hand them to whoever asked for them.
 */
public class StoreFullException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public StoreFullException(String message) {
    super(message);
  }

  public StoreFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
