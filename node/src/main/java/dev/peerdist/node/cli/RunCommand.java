package dev.peerdist.node.cli;

import dev.peerdist.node.ConfigException;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.admin.StatusText;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.logging.LogSettings;
import dev.peerdist.node.memory.IdleHeapTrimmer;
import dev.peerdist.node.metrics.ByteSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code peerdist run}: runs a node until SIGTERM or Ctrl-C, then shuts it down cleanly. */
@Command(name = "run", mixinStandardHelpOptions = true, description = {
    "Runs a node: PCCRR server, discovery, download engine, admin endpoint and local mirror.",
    "Stops cleanly on SIGTERM or Ctrl-C; SIGHUP re-reads the config file (log-format, peer and",
    "cache-size change at once; other keys are reported as needing a restart).",
    "Options: docs/CONFIGURATION.md."})
public final class RunCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
  @Mixin NodeOptions options;
  @Mixin VerboseOption verbose;
  @Spec CommandSpec spec;

  static NodeConfig load(NodeOptions options) {
    try {
      return options.load();
    } catch (ConfigException e) {
      throw UserException.usage(e.getMessage());
    }
  }

  /** Resolves a prepopulate entry: a URL, or a path under the first publisher. */
  static URI prepopulateUri(NodeConfig c, String entry) {
    if (entry.startsWith("http://") || entry.startsWith("https://")) {
      return URI.create(entry);
    }
    if (c.publishers().isEmpty()) {
      throw UserException.usage("prepopulate entry '" + entry + "' is a path but no --publisher is set");
    }
    String base = c.publishers().get(0).toString();
    return URI.create(base.endsWith("/") ? base + entry.replaceFirst("^/", "") : base + "/" + entry.replaceFirst("^/", ""));
  }

  /** Re-reads the configuration (file and environment; flags stay) and applies what can change. */
  private void reload(Node node) {
    try {
      NodeConfig fresh = options.load();
      List<String> changes = node.reconfigure(fresh);
      LOG.info("reloaded configuration: {}", changes.isEmpty() ? "no changes" : String.join("; ", changes));
    } catch (ConfigException e) {
      LOG.warn("reload refused, running configuration kept: {}", e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NodeConfig config = load(options);
    LogSettings.format(config.logFormat());
    CountDownLatch stop = new CountDownLatch(1);
    Node node;
    try {
      node = Node.start(config, NodeDirectories::multicast, Clock.systemUTC());
    } catch (IOException e) {
      throw new UserException(e.getMessage(), ExitCodes.SOFTWARE, e);
    }
    Thread hook = new Thread(() -> {
      stop.countDown();
      node.close();
    }, "peerdist-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Reload.onHangup(() -> reload(node));
    // One per daemon process (not in Node: a test or simulator JVM may run many nodes).
    Optional<IdleHeapTrimmer> trimmer = IdleHeapTrimmer.start(Clock.systemUTC());
    try {
      out.printf("peerdist node running: role %s, PCCRR %s, admin %s, mirror http://%s:%d/%n", config.role(),
          node.pccrrAddress(), node.adminUri(), config.adminBind().getHostAddress(), node.mirrorPort());
      out.flush();
      if (config.role().dedicated()) {
        for (String entry : config.prepopulate()) {
          URI u = prepopulateUri(config, entry);
          try {
            DownloadRecord r = node.prepopulate(u);
            out.printf("prepopulated %s: %s (%s from peers, %s from the origin), pinned%n", u,
                StatusText.bytes(r.deliveredBytes()), StatusText.bytes(r.bytes(ByteSource.PEER)),
                StatusText.bytes(r.bytes(ByteSource.ORIGIN)));
          } catch (IOException e) {
            out.printf("could not prepopulate %s: %s%n", u, e.getMessage());
          }
          out.flush();
        }
      }
      stop.await();
      return ExitCodes.OK;
    } finally {
      trimmer.ifPresent(IdleHeapTrimmer::close);
      node.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running.
      }
    }
  }
}
