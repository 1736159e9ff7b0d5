package dev.peerdist.node.cli;

/** Process exit codes of every {@code peerdist} command. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** The command ran and failed (I/O, a peer, the store, a bad file). */
  public static final int SOFTWARE = 1;
  /** The command line or configuration was wrong; nothing was done. */
  public static final int USAGE = 2;

  private ExitCodes() {}
}
