package dev.peerdist.chunkstore.content;

/**
 * The structure stops before a field it announces, or a count asks for more bytes than remain
 * (which, from the decoder's point of view, is the same thing).
 */
public final class TruncatedContentInformationException extends ContentInformationFormatException {
  private static final long serialVersionUID = 1L;

  public TruncatedContentInformationException(String field, long offset, String detail) {
    super(Reason.TRUNCATED, field, offset, detail);
  }
}
