package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.CliExtension;
import java.util.List;

/** Adds the simulator's and the benchmarks' subcommands to {@code peerdist}. */
public final class SimulatorCli implements CliExtension {
  @Override
  public List<Object> subcommands() {
    return List.of(
        // One per line, so that merges stay trivial.
        BenchCommands.create(),
        new SimulateCommand()
        );
  }
}
