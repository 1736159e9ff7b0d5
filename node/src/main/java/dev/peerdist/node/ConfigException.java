package dev.peerdist.node;

/**
 * A configuration value that cannot be used. The message names the key and where the value came
 * from (a flag, an environment variable, a line of the config file), so that start-up stops with
 * one line the operator can act on.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String key;
  private final String source;

  public ConfigException(String key, String source, String problem) {
    super("bad configuration: " + key + " (" + source + "): " + problem);
    this.key = key;
    this.source = source;
  }

  /** The file key of the option, e.g. {@code cache-size}. */
  public String key() {
    return key;
  }

  /** Where the bad value came from, e.g. {@code env PEERDIST_CACHE_SIZE} or {@code file a.conf:3}. */
  public String source() {
    return source;
  }
}
