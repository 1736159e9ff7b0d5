package dev.peerdist.node.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Turns any exception a command throws into one line on stderr and an exit code. The stack trace
 * is printed only with {@code --verbose} (or {@code -v}) anywhere on the command line.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    int code = ExitCodes.SOFTWARE;
    String message;
    if (ex instanceof UserException u) {
      code = u.exitCode();
      message = u.getMessage();
    } else if (ex instanceof IllegalArgumentException) {
      code = ExitCodes.USAGE;
      message = ex.getMessage();
    } else if (ex instanceof UncheckedIOException || ex instanceof IOException) {
      message = describe(ex);
    } else {
      message = describe(ex);
    }
    err.println("peerdist: " + message);
    if (LoggingSetup.verbose()) {
      ex.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      m = t.getClass().getSimpleName();
    }
    if (t.getCause() != null && t.getCause().getMessage() != null && !m.contains(t.getCause().getMessage())) {
      m = m + ": " + t.getCause().getMessage();
    }
    return m;
  }
}
