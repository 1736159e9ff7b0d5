package dev.peerdist.node.cli;

import picocli.CommandLine.Option;

/**
 * {@code -v}/{@code --verbose}, the same on every command (HOUSE-STYLE 22: a mixin). What it does
 * is decided before the command runs, from the raw arguments ({@link LoggingSetup}): DEBUG logs,
 * and stack traces with errors ({@link ErrorHandler}). The field is here so that picocli accepts
 * and documents the flag.
 */
public final class VerboseOption {
  @Option(names = {"-v", "--verbose"}, description = "Debug logs, and stack traces with errors.")
  boolean verbose;
}
