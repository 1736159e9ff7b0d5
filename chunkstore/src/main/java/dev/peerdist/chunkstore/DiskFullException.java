package dev.peerdist.chunkstore;

/**
 * The file system under the store has no space left: the put was not stored and the store is
 * unchanged. A subclass of {@link StoreFullException}, so a caller that passes verified bytes
 * through when the store cannot keep them handles both alike.
 */
public class DiskFullException extends StoreFullException {
  private static final long serialVersionUID = 1L;

  public DiskFullException(String message, Throwable cause) {
    super(message, cause);
  }
}
