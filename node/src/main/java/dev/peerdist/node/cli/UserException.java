package dev.peerdist.node.cli;

/**
 * A failure to report to the user as one line, without a stack trace: a missing file, a bad
 * option value, an unreachable server. {@link #exitCode()} is {@link ExitCodes#USAGE} for input
 * the user can fix on the command line, {@link ExitCodes#SOFTWARE} otherwise.
 */
public class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public UserException(String message) {
    this(message, ExitCodes.SOFTWARE, null);
  }

  public UserException(String message, int exitCode, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public static UserException usage(String message) {
    return new UserException(message, ExitCodes.USAGE, null);
  }

  public int exitCode() {
    return exitCode;
  }
}
