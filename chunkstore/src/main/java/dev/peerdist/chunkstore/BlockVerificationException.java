package dev.peerdist.chunkstore;

/** Bytes offered as a block do not match its length or hash; nothing was stored. */
public class BlockVerificationException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public BlockVerificationException(String message) {
    super(message);
  }
}
