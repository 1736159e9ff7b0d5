package dev.peerdist.chunkstore;

/**
 * Thrown by a persistence back end when the stored form of one block cannot be read because the
 * storage under it is damaged (a checksum mismatch in a RocksDB file, or a value file's bytes that
 * do not match the length and CRC32C kept for them). The store drops the block
 * and reports it absent; callers of {@link ChunkStore} never see this exception.
 */
public class CorruptBlockException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public CorruptBlockException(String message, Throwable cause) {
    super(message, cause);
  }
}
