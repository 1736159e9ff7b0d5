package dev.peerdist.node.cli;

import java.util.List;

/**
 * Adds subcommands to {@code peerdist} from another module on the classpath. Register an
 * implementation in {@code META-INF/services/dev.peerdist.node.cli.CliExtension}.
 */
public interface CliExtension {
  /** picocli command objects (annotated with {@code @Command}) to add. */
  List<Object> subcommands();
}
