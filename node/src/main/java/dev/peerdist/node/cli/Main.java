package dev.peerdist.node.cli;

import java.io.PrintWriter;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code peerdist} command line. Subcommands of this module are listed below; other modules
 * on the classpath (the simulator's {@code simulate} and {@code bench}) add theirs through
 * {@link CliExtension} and {@link ServiceLoader}.
 */
@Command(
    name = "peerdist",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "An open, BranchCache-compatible peer-to-peer LAN cache.",
    subcommands = {
      // Subcommands: keep one per line so that merges stay trivial.
      CommandLine.HelpCommand.class,
      ContentInfoCommand.class,
      RunCommand.class,
      GetCommand.class,
      StatusCommand.class,
      DemoCommand.class,
      CacheCommand.class,
      PublishCommand.class,
      ProbeCommand.class,
      DoctorCommand.class,
    })
public final class Main implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * The root of {@code peerdist run}: the same name, version and help as {@link Main}, with the
   * daemon's subcommand only. Building every subcommand's model (picocli reflects over each
   * command, option and converter, and the extensions' commands load the simulator) took about a
   * third of a daemon's start-up (docs/PERFORMANCE.md, "Start-up"); a daemon needs none of it.
   */
  @Command(
      name = "peerdist",
      mixinStandardHelpOptions = true,
      versionProvider = VersionProvider.class,
      description = "An open, BranchCache-compatible peer-to-peer LAN cache.",
      subcommands = {RunCommand.class})
  static final class DaemonRoot implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  /** Builds the command line with every subcommand, the error handlers and the exit codes. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    for (CliExtension ext : ServiceLoader.load(CliExtension.class)) {
      for (Object sub : ext.subcommands()) {
        cl.addSubcommand(sub);
      }
    }
    return handlers(cl);
  }

  /**
   * The command line for {@code args}: {@code run ...} gets {@link DaemonRoot} (what it parses and
   * prints is the same as under the full command line), anything else {@link #commandLine()}.
   */
  static CommandLine commandLine(String[] args) {
    return args.length > 0 && args[0].equals("run") ? handlers(new CommandLine(new DaemonRoot())) : commandLine();
  }

  private static CommandLine handlers(CommandLine cl) {
    cl.setExecutionExceptionHandler(new ErrorHandler());
    cl.setParameterExceptionHandler(Main::onBadParameters);
    return cl;
  }

  private static int onBadParameters(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("peerdist: " + e.getMessage());
    err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
    return ExitCodes.USAGE;
  }

  public static void main(String[] args) {
    LoggingSetup.beforeFirstLogger(args);
    // Before any HTTP class loads: a proxy's Basic challenge to CONNECT is answered (docs/SITES.md).
    dev.peerdist.node.origin.ProxySettings.allowBasicForTunnels();
    System.exit(commandLine(args).execute(args));
  }
}
