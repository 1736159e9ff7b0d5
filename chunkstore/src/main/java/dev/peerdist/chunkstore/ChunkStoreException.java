package dev.peerdist.chunkstore;

/** A store failure; the message names the store (usually its path) and what was being done. */
public class ChunkStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ChunkStoreException(String message) {
    super(message);
  }

  public ChunkStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
