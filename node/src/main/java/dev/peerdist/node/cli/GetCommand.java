package dev.peerdist.node.cli;

import dev.peerdist.node.ConfigKey;
import dev.peerdist.node.Node;
import dev.peerdist.node.NodeConfig;
import dev.peerdist.node.NodeDirectories;
import dev.peerdist.node.admin.StatusText;
import dev.peerdist.node.engine.Download;
import dev.peerdist.node.engine.DownloadRecord;
import dev.peerdist.node.metrics.ByteSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code peerdist get URL -o FILE}: downloads through the running node (its admin endpoint), or
 * through an embedded node when none answers, with progress on stderr; ends with one line: bytes
 * from peers, bytes from the origin, time.
 */
@Command(name = "get", mixinStandardHelpOptions = true, description = {
    "Downloads URL through the running node (or an embedded one if none runs) into FILE.",
    "Ends with one line: bytes from peers, bytes from the origin, time."})
public final class GetCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "URL", description = "http(s) URL on a publisher.")
  URI url;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write the content.")
  Path output;

  @Option(names = "--node", paramLabel = "ADMIN_URL",
      description = "Admin endpoint of the running node (default: http://127.0.0.1:<admin-port>/).")
  URI node;

  @Option(names = "--embedded", description = "Do not look for a running node; start one in this process.")
  boolean embedded;

  @Option(names = {"-v", "--verbose"}, description = "Debug logs and stack traces.")
  boolean verbose;

  @Mixin NodeOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw UserException.usage("not an http(s) URL: " + url);
    }
    NodeConfig config = RunCommand.load(options);
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw UserException.usage("no such directory: " + parent);
    }
    Path tmp = Files.createTempFile(parent, "." + output.getFileName() + ".", ".part");
    try {
      Progress progress = new Progress(spec.commandLine().getErr(), System.console() != null);
      AdminClient admin = new AdminClient(node != null ? node
          : URI.create("http://127.0.0.1:" + config.adminPort() + "/"));
      String summary;
      if (!embedded && (node != null || admin.reachable())) {
        summary = viaNode(admin, tmp, progress);
      } else {
        summary = embedded(config, tmp, progress);
      }
      Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      PrintWriter out = spec.commandLine().getOut();
      out.println(summary);
      out.flush();
      return ExitCodes.OK;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private String viaNode(AdminClient admin, Path tmp, Progress progress) throws IOException {
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = admin.download(url);
    long total = r.headers().firstValueAsLong("content-length").orElse(-1);
    String id = r.headers().firstValue("x-peerdist-download").orElse("");
    long n = 0;
    try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(tmp)) {
      byte[] buf = new byte[64 * 1024];
      int k;
      while ((k = in.read(buf)) >= 0) {
        out.write(buf, 0, k);
        n += k;
        progress.update(n, total);
      }
    }
    progress.done();
    if (total >= 0 && n != total) {
      throw new UserException("the node ended the download after " + n + " of " + total + " bytes; see"
          + " 'peerdist status'");
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    String rec = admin.text("downloads/" + id);
    return summary(n, AdminClient.jsonNumber(rec, "peer"), AdminClient.jsonNumber(rec, "origin"),
        AdminClient.jsonNumber(rec, "local"), secs, "via " + admin.base());
  }

  private String embedded(NodeConfig config, Path tmp, Progress progress) throws IOException {
    NodeConfig.Builder b = config.toBuilder();
    // An embedded node lives for one download: free ports unless the user chose some.
    if ("default".equals(config.source(ConfigKey.PCCRR_PORT))) {
      b.set(ConfigKey.PCCRR_PORT, "0");
    }
    if ("default".equals(config.source(ConfigKey.ADMIN_PORT))) {
      b.set(ConfigKey.ADMIN_PORT, "0");
    }
    if ("default".equals(config.source(ConfigKey.MIRROR_PORT))) {
      b.set(ConfigKey.MIRROR_PORT, "0");
    }
    long t0 = System.nanoTime();
    try (Node n = Node.start(b.build(), NodeDirectories::multicast, Clock.systemUTC());
        Download d = n.engine().open(url);
        OutputStream out = Files.newOutputStream(tmp)) {
      long total = d.contentLength();
      long done = 0;
      byte[] chunk;
      while ((chunk = d.next()) != null) {
        out.write(chunk);
        done += chunk.length;
        progress.update(done, total);
      }
      progress.done();
      DownloadRecord r = d.record();
      return summary(done, r.bytes(ByteSource.PEER), r.bytes(ByteSource.ORIGIN), r.bytes(ByteSource.LOCAL),
          (System.nanoTime() - t0) / 1e9, "embedded node");
    }
  }

  private String summary(long total, long peers, long origin, long local, double secs, String how) {
    return String.format(Locale.ROOT, "%s: %s from peers, %s from the origin%s in %.2fs (%s)", output,
        StatusText.bytes(Math.max(0, peers)), StatusText.bytes(Math.max(0, origin)),
        local > 0 ? ", " + StatusText.bytes(local) + " from the local cache" : "", secs, how);
  }

  /** A progress bar on a terminal, a line every 2 s otherwise. */
  static final class Progress {
    private final PrintWriter err;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long lastPrint;
    private boolean printed;

    Progress(PrintWriter err, boolean tty) {
      this.err = err;
      this.tty = tty;
    }

    void update(long done, long total) {
      long now = System.nanoTime();
      long every = tty ? 100_000_000L : 2_000_000_000L;
      if (now - lastPrint < every) {
        return;
      }
      lastPrint = now;
      double secs = Math.max(1e-3, (now - start) / 1e9);
      String rate = StatusText.bytes((long) (done / secs)) + "/s";
      if (tty) {
        int width = 30;
        int filled = total > 0 ? (int) (width * done / total) : 0;
        String pct = total > 0 ? String.format(Locale.ROOT, "%3d%%", 100 * done / total) : "   ";
        err.printf("\r[%s%s] %s %s %s   ", "#".repeat(filled), " ".repeat(width - filled), pct,
            StatusText.bytes(done), rate);
      } else {
        err.printf("%s of %s, %s%n", StatusText.bytes(done), total >= 0 ? StatusText.bytes(total) : "?", rate);
      }
      err.flush();
      printed = true;
    }

    void done() {
      if (tty && printed) {
        err.print("\r" + " ".repeat(70) + "\r");
        err.flush();
      }
    }
  }
}
