package dev.peerdist.node.cli;

import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code peerdist status}: what a running node holds, whom it has seen and where bytes came from. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a running node's status (store, peers, recent downloads and why"
    + " bytes went to the origin).")
public final class StatusCommand implements Callable<Integer> {
  @Option(names = "--node", paramLabel = "ADMIN_URL",
      description = "Admin endpoint of the node (default: http://127.0.0.1:<admin-port>/, admin-port from "
          + "PEERDIST_ADMIN_PORT, the config file named by PEERDIST_CONFIG, or its default).")
  URI node;

  @Option(names = "--json", description = "Print the JSON document of /status.")
  boolean json;

  @Mixin VerboseOption verbose;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    AdminClient c = new AdminClient(node != null ? node : RunCommand.load(new NodeOptions()).adminUri());
    String body = c.text(json ? "status" : "status?format=text");
    spec.commandLine().getOut().print(body);
    spec.commandLine().getOut().flush();
    return ExitCodes.OK;
  }
}
