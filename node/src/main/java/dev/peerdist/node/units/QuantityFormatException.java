package dev.peerdist.node.units;

/**
 * Text that is not a well-formed {@link Size}, {@link Rate} or duration ({@link Durations}). The
 * message quotes the text and shows what a good value looks like, so that a caller can prefix it
 * with the key or flag and stop with one line the operator can act on. An {@link
 * IllegalArgumentException}, so callers that check values generally keep working.
 */
public final class QuantityFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String text;

  QuantityFormatException(String text, String problem) {
    super("'" + text + "' " + problem);
    this.text = text;
  }

  /** The text as given. */
  public String text() {
    return text;
  }
}
