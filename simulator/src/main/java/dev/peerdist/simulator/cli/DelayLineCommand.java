package dev.peerdist.simulator.cli;

import dev.peerdist.node.cli.UserException;
import dev.peerdist.simulator.live.DelayLine;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist simulate delay-line} (hidden; started by {@code simulate live}): runs a {@link
 * DelayLine} until SIGTERM or until its standard input ends (the harness went away), printing
 * {@code delay-line up=U down=D open=C} every 100 ms.
 */
@Command(name = "delay-line", hidden = true, mixinStandardHelpOptions = true,
    description = "A TCP proxy adding a fixed delay each way (the live harness's WAN round trip).")
public final class DelayLineCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--listen", required = true, paramLabel = "HOST:PORT") String listen;
  @Option(names = "--target", required = true, paramLabel = "HOST:PORT") String target;
  @Option(names = "--one-way-us", defaultValue = "0", paramLabel = "MICROSECONDS") long oneWayMicros;
  @Option(names = "--max-connections", defaultValue = "4096", paramLabel = "N") int maxConnections;
  @Option(names = "--max-buffered", defaultValue = "4194304", paramLabel = "BYTES",
      description = "Bytes queued per direction and connection before reading that side pauses.") long maxBuffered;

  static InetSocketAddress address(String option, String text) {
    int colon = text.lastIndexOf(':');
    try {
      return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (RuntimeException e) {
      throw UserException.usage(option + ": expected HOST:PORT, got '" + text + "'");
    }
  }

  @Override
  public Integer call() throws Exception {
    if (oneWayMicros < 0 || oneWayMicros > 10_000_000) {
      throw UserException.usage("--one-way-us must be within 0..10000000");
    }
    if (maxBuffered < 64 * 1024 || maxBuffered > (1L << 30)) {
      throw UserException.usage("--max-buffered must be within 65536..1073741824");
    }
    PrintWriter out = spec.commandLine().getOut();
    DelayLine line = DelayLine.start(address("--listen", listen), address("--target", target),
        Duration.ofNanos(oneWayMicros * 1000), maxConnections, maxBuffered);
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      line.close();
    }, "delay-line-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // Nothing is expected on stdin; its end means the harness is gone.
        }
      } catch (IOException e) {
        // Same: stop.
      }
      stop.countDown();
    }, "delay-line-stdin");
    stdin.setDaemon(true);
    stdin.start();
    out.println("delay-line listening on " + line.address().getAddress().getHostAddress() + ":"
        + line.address().getPort());
    out.flush();
    while (!stop.await(100, TimeUnit.MILLISECONDS)) {
      out.printf(Locale.ROOT, "delay-line up=%d down=%d open=%d%n", line.bytesUp(), line.bytesDown(),
          line.connections());
      out.flush();
    }
    line.close();
    return 0;
  }
}
