package dev.peerdist.chunkstore;

/** A block was put or asked for under a segment id that has no record. */
public class UnknownSegmentException extends ChunkStoreException {
  private static final long serialVersionUID = 1L;

  public UnknownSegmentException(String message) {
    super(message);
  }
}
