package dev.peerdist.simulator.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code peerdist simulate live} (being built). */
@Command(name = "live", mixinStandardHelpOptions = true, description = "Not yet available.")
public final class LiveCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new dev.peerdist.node.cli.UserException("simulate live is not available yet");
  }
}
