package dev.peerdist.chunkstore;

/** A put cannot fit without evicting pinned data. */
public class StoreFullException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public StoreFullException(String message) {
    super(message);
  }
}
