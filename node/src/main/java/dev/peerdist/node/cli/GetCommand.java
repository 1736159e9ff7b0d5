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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
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
 * {@code peerdist get URL -o TARGET}: downloads through the running node (its admin endpoint),
 * or through an embedded node when none answers, with progress on stderr; ends with one line:
 * bytes from peers, bytes from the origin, time.
 *
 * <p>Where the bytes go ({@link Target}): a regular file (or a name that does not exist yet) is
 * written to a temporary file beside it and renamed over it when the download is complete, so a
 * failed download never leaves a half file under the name. Anything else that exists — a
 * character or block device such as {@code /dev/null}, a FIFO, a socket — is opened and written
 * straight, and is never replaced or removed. {@code -o -} writes to standard output (the summary
 * then goes to stderr) and {@code --no-output} only warms the node's cache.
 */
@Command(name = "get", mixinStandardHelpOptions = true, description = {
    "Downloads URL through the running node (or an embedded one if none runs) into TARGET.",
    "TARGET may be a file, a device or FIFO (written straight, never replaced) or - for stdout;",
    "--no-output only fills the node's cache. Ends with one line: bytes from peers, from the",
    "origin, time."})
public final class GetCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "URL", description = "http(s) URL on a publisher.")
  URI url;

  @Option(names = {"-o", "--output"}, paramLabel = "TARGET",
      description = "Where to write the content: a file, a device or FIFO, or - for standard output.")
  String output;

  @Option(names = "--no-output", description = "Discard the bytes (warm the node's cache only).")
  boolean noOutput;

  @Option(names = "--node", paramLabel = "ADMIN_URL",
      description = "Admin endpoint of the running node (default: http://127.0.0.1:<admin-port>/).")
  URI node;

  @Option(names = "--embedded", description = "Do not look for a running node; start one in this process.")
  boolean embedded;

  @Mixin VerboseOption verbose;

  @Mixin NodeOptions options;

  @Spec CommandSpec spec;

  /** Standard output as bytes for {@code -o -}; tests replace it. */
  OutputStream stdout = System.out;

  @Override
  public Integer call() throws Exception {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw UserException.usage("not an http(s) URL: " + url);
    }
    if ((output == null) == !noOutput) {
      throw UserException.usage("give either -o TARGET (a file, a device, - for stdout) or --no-output");
    }
    NodeConfig config = RunCommand.load(options);
    Target target = noOutput ? Target.discard() : output.equals("-") ? Target.stream(stdout, "-")
        : Target.of(Path.of(output));
    boolean ok = false;
    try {
      Progress progress = new Progress(spec.commandLine().getErr(), System.console() != null);
      AdminClient admin = new AdminClient(node != null ? node
          : config.adminUri());
      String summary;
      if (!embedded && (node != null || admin.reachable())) {
        summary = viaNode(admin, target, progress);
      } else {
        summary = embedded(config, target, progress);
      }
      target.commit();
      ok = true;
      // With the content on stdout, the summary must not be mixed into it.
      PrintWriter out = target.usesStdout() ? spec.commandLine().getErr() : spec.commandLine().getOut();
      out.println(summary);
      out.flush();
      return ExitCodes.OK;
    } finally {
      if (!ok) {
        target.abandon();
      }
    }
  }

  private String viaNode(AdminClient admin, Target target, Progress progress) throws IOException {
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r = admin.download(url);
    long total = r.headers().firstValueAsLong("content-length").orElse(-1);
    String id = r.headers().firstValue("x-peerdist-download").orElse("");
    long n = 0;
    try (InputStream in = r.body()) {
      OutputStream out = target.open();
      byte[] buf = new byte[64 * 1024];
      while (true) {
        int k;
        try {
          k = in.read(buf);
        } catch (IOException e) {
          // The node ends a failed download by closing the connection; the JDK then reports only
          // "fixed content-length: …". The node's record says what actually went wrong.
          throw new UserException(failure(admin, id, n, total, e));
        }
        if (k < 0) {
          break;
        }
        out.write(buf, 0, k);
        n += k;
        progress.update(n, total);
      }
    }
    progress.done();
    if (total >= 0 && n != total) {
      throw new UserException(failure(admin, id, n, total, null));
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    String rec = admin.text("downloads/" + id);
    return summary(target, n, AdminClient.jsonNumber(rec, "peer"), AdminClient.jsonNumber(rec, "origin"),
        AdminClient.jsonNumber(rec, "local"), secs, "via " + admin.base());
  }

  /** "the download failed after N of M bytes: REASON" with the node's reason when it has one. */
  private static String failure(AdminClient admin, String id, long n, long total, IOException cause) {
    String reason = null;
    if (!id.isEmpty()) {
      try {
        reason = AdminClient.jsonString(admin.text("downloads/" + id), "error");
      } catch (IOException | RuntimeException e) {
        reason = null;
      }
    }
    if (reason == null) {
      reason = cause == null ? "the node ended the download early"
          : "the connection to the node broke (" + cause.getMessage() + ")";
    }
    return "the download failed after " + n + (total >= 0 ? " of " + total : "") + " bytes: " + reason
        + "; see 'peerdist status'";
  }

  private String embedded(NodeConfig config, Target target, Progress progress) throws IOException {
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
        Download d = n.engine().open(url)) {
      OutputStream out = target.open();
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
      return summary(target, done, r.bytes(ByteSource.PEER), r.bytes(ByteSource.ORIGIN), r.bytes(ByteSource.LOCAL),
          (System.nanoTime() - t0) / 1e9, "embedded node");
    }
  }

  /**
   * Where the content goes. A regular file (or a new name) gets a temporary sibling that is
   * renamed over it on {@link #commit()}; an existing non-regular file (device, FIFO, socket) is
   * written in place and never replaced; standard output and the discarding sink are streams.
   */
  static final class Target {
    private final String name;
    private final Path finalPath; // null unless written through a temporary file
    private final Path writePath; // the temporary file, or the device/FIFO written straight
    private OutputStream stream;
    private final boolean stdout;

    private Target(String name, Path finalPath, Path writePath, OutputStream stream, boolean stdout) {
      this.name = name;
      this.finalPath = finalPath;
      this.writePath = writePath;
      this.stream = stream;
      this.stdout = stdout;
    }

    static Target discard() {
      return new Target("(no output)", null, null, OutputStream.nullOutputStream(), false);
    }

    static Target stream(OutputStream out, String name) {
      return new Target(name, null, null, out, true);
    }

    /**
     * Decides how to write {@code path}, before anything is downloaded.
     *
     * @throws UserException when the path is a directory or its directory does not exist
     */
    static Target of(Path path) throws IOException {
      BasicFileAttributes a = null;
      try {
        a = Files.readAttributes(path, BasicFileAttributes.class); // follows links: judge what they name
      } catch (NoSuchFileException e) {
        a = null;
      }
      if (a != null && a.isDirectory()) {
        throw UserException.usage(path + " is a directory");
      }
      if (a != null && !a.isRegularFile()) {
        // A device, FIFO or socket: write to it as it is. Replacing it would break whatever else
        // uses it (issue 16: /dev/null became a regular file).
        return new Target(path.toString(), null, path, null, false);
      }
      // A regular file (through a link: the file the link names) or a new name.
      Path real = a != null ? path.toRealPath() : path.toAbsolutePath();
      Path parent = real.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw UserException.usage("no such directory: " + parent);
      }
      Path tmp = parent.resolve("." + real.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".part");
      return new Target(path.toString(), real, tmp, null, false);
    }

    boolean usesStdout() {
      return stdout;
    }

    /** The stream to write the content to; opened (or created) on first use. */
    OutputStream open() throws IOException {
      if (stream == null) {
        if (finalPath == null) {
          // No CREATE, no TRUNCATE: only what exists is written, and a device is left as it is.
          stream = Files.newOutputStream(writePath, StandardOpenOption.WRITE);
        } else {
          // CREATE_NEW: never follow or reuse whatever might sit at the temporary name.
          stream = Files.newOutputStream(writePath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          keepPermissions();
        }
      }
      return stream;
    }

    private void keepPermissions() {
      try {
        if (Files.isRegularFile(finalPath)) {
          Files.setPosixFilePermissions(writePath, Files.getPosixFilePermissions(finalPath));
        }
      } catch (IOException | UnsupportedOperationException e) {
        // The new file keeps the default permissions (umask) instead.
      }
    }

    /** Flushes, and renames the temporary file over a regular file's name. */
    void commit() throws IOException {
      OutputStream out = open();
      if (stdout) {
        out.flush();
        return;
      }
      out.close();
      if (finalPath != null) {
        Files.move(writePath, finalPath, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    }

    /** After a failure: closes what was opened and removes the temporary file, nothing else. */
    void abandon() {
      try {
        if (stream != null && !stdout) {
          stream.close();
        }
      } catch (IOException e) {
        // Closing after a failure: the failure is what gets reported.
      }
      if (finalPath != null) {
        try {
          Files.deleteIfExists(writePath);
        } catch (IOException e) {
          // Best effort: a stale .part file beside the target.
        }
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static String summary(Target target, long total, long peers, long origin, long local, double secs,
      String how) {
    return String.format(Locale.ROOT, "%s: %s from peers, %s from the origin%s in %.2fs (%s)", target,
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
