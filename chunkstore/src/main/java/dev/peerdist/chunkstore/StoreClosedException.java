package dev.peerdist.chunkstore;

/** The store was used after close(). */
public class StoreClosedException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public StoreClosedException(String message) {
    super(message);
  }
}
