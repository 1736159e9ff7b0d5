package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * Chooses the {@code bench} subcommand: {@link BenchCommand} when the benchmark harness (JMH) is on
 * the classpath, as in a source checkout, or else a stand-in that says where to run it. The
 * installed distribution leaves JMH out of {@code lib/}, and {@link BenchCommand} cannot even be
 * loaded without it (its exception handlers name JMH types, which the class verifier resolves).
 */
final class BenchCommands {
  /** A class of JMH's runner, looked up without initialising it. */
  static final String JMH_RUNNER = "org.openjdk.jmh.runner.Runner";

  private BenchCommands() {}

  /** The real command if JMH can be loaded, else {@link Unavailable}. */
  static Object create() {
    try {
      Class.forName(JMH_RUNNER, false, BenchCommands.class.getClassLoader());
      return new BenchCommand();
    } catch (ClassNotFoundException | LinkageError e) {
      return new Unavailable();
    }
  }

  /** {@code peerdist bench} in a distribution without the benchmark harness. */
  @Command(name = "bench", mixinStandardHelpOptions = true,
      description = "Benchmarks need the JMH harness, which installed packages leave out; run them from a "
          + "source checkout: mvn -B -q package -DskipTests && ./peerdist bench")
  static final class Unavailable implements Callable<Integer> {
    @Unmatched java.util.List<String> ignored;

    @Override
    public Integer call() {
      throw UserException.usage("bench is a developer tool and is not installed with this package (it needs the "
          + "JMH harness); run it from a source checkout: mvn -B -q package -DskipTests && ./peerdist bench");
    }
  }
}
