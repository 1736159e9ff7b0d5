package dev.peerdist.simulator.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code peerdist simulate load} (being built). */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Not yet available.")
public final class LoadCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new dev.peerdist.node.cli.UserException("simulate load is not available yet");
  }
}
