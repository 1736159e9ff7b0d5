package dev.peerdist.simulator.scenario;

/**
 * A scenario that cannot be used: a bad file (the message names the key and {@code source:line}),
 * an unknown shipped name, or a scenario a model cannot run.
 */
public final class ScenarioException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ScenarioException(String message) {
    super(message);
  }

  public ScenarioException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A bad value: {@code scenario SOURCE: key 'K': PROBLEM}. */
  static ScenarioException badValue(String key, String source, String problem) {
    return new ScenarioException("scenario " + source + ": key '" + key + "': " + problem);
  }
}
