package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.node.Node;
import dev.peerdist.node.demo.LocalSwarm;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 16: {@code peerdist get} writes devices, FIFOs and standard output in place and never
 * replaces them; only a regular file (or a new name) goes through a temporary file and a rename.
 * Runs against a real node and publisher on loopback.
 */
@Timeout(120)
class GetCommandTargetsIT {
  @TempDir static Path dir;
  static LocalSwarm swarm;
  static Node node;
  static byte[] content;
  static String url;

  @BeforeAll
  static void start() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    content = new byte[600_000];
    new Random(16).nextBytes(content);
    Files.write(root.resolve("p.bin"), content);
    swarm = LocalSwarm.start(dir.resolve("work"), root, 20000 + ThreadLocalRandom.current().nextInt(30000));
    node = swarm.startNode("a");
    url = swarm.url("p.bin").toString();
  }

  @AfterAll
  static void stop() {
    if (swarm != null) {
      swarm.close();
    }
  }

  record Run(int code, String out, String err) {}

  static Run get(OutputStream stdout, String... args) {
    GetCommand cmd = new GetCommand();
    if (stdout != null) {
      cmd.stdout = stdout;
    }
    CommandLine cl = Main.commandLine();
    // Same options as the registered subcommand, with our stdout stream.
    CommandLine sub = new CommandLine(cmd);
    sub.setExecutionExceptionHandler(cl.getExecutionExceptionHandler());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    sub.setOut(new PrintWriter(out));
    sub.setErr(new PrintWriter(err));
    int code = sub.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static String fileType(Path p) throws Exception {
    Process pr = new ProcessBuilder("stat", "-c", "%F %t:%T %a", p.toString()).redirectErrorStream(true).start();
    String s = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, pr.waitFor(), s);
    return s;
  }

  static int sh(String... cmd) throws Exception {
    return new ProcessBuilder(cmd).inheritIO().start().waitFor();
  }

  @Test
  void fifoIsWrittenInPlaceAndStaysAFifo() throws Exception {
    Path fifo = dir.resolve("pipe");
    Assumptions.assumeTrue(sh("mkfifo", fifo.toString()) == 0, "needs mkfifo");
    String before = fileType(fifo);
    assertTrue(before.startsWith("fifo"), before);
    CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
      try (InputStream in = Files.newInputStream(fifo)) {
        return in.readAllBytes();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Run r = get(null, url, "-o", fifo.toString(), "--node", node.adminUri().toString());
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(content, reader.get(30, TimeUnit.SECONDS));
    assertEquals(before, fileType(fifo), "the FIFO must still be the same FIFO");
    assertTrue(r.out().startsWith(fifo + ": "), r.out());
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".part")), "no temporary file left");
    }
  }

  @Test
  void characterDeviceIsWrittenInPlaceAndStaysTheDevice() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "mknod of a character device needs root (CI runs as root)");
    Path devDir = Files.createDirectories(dir.resolve("dev"));
    Path nul = devDir.resolve("null");
    Assumptions.assumeTrue(sh("mknod", "-m", "666", nul.toString(), "c", "1", "3") == 0,
        "mknod failed (file system mounted nodev?)");
    String before = fileType(nul);
    assertEquals("character special file 1:3 666", before);
    Run r = get(null, url, "-o", nul.toString(), "--node", node.adminUri().toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(before, fileType(nul), "the device node must not be replaced by a regular file");
    try (var files = Files.list(devDir)) {
      assertEquals(1, files.count(), "nothing but the device in its directory");
    }
  }

  @Test
  void dashWritesStandardOutputAndTheSummaryGoesToStderr() throws Exception {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    Run r = get(stdout, url, "-o", "-", "--node", node.adminUri().toString());
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(content, stdout.toByteArray());
    assertEquals("", r.out(), "nothing but content on stdout");
    assertTrue(r.err().contains("-: "), r.err());
  }

  @Test
  void noOutputWarmsTheCacheOnly() throws Exception {
    try (var files = Files.list(dir)) {
      long before = files.count();
      Run r = get(null, url, "--no-output", "--node", node.adminUri().toString());
      assertEquals(0, r.code(), r.err());
      try (var after = Files.list(dir)) {
        assertEquals(before, after.count(), "no file written");
      }
    }
    assertTrue(node.store().stats().blocks() > 0, "the node stored the blocks");
    Run both = get(null, url, "--no-output", "-o", "x", "--node", node.adminUri().toString());
    assertEquals(ExitCodes.USAGE, both.code());
    Run neither = get(null, url, "--node", node.adminUri().toString());
    assertEquals(ExitCodes.USAGE, neither.code());
    assertTrue(neither.err().contains("--no-output"), neither.err());
  }

  @Test
  void regularFileIsReplacedAtomicallyKeepingItsPermissions() throws Exception {
    Path f = dir.resolve("existing.bin");
    Files.writeString(f, "old");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    Path link = dir.resolve("link.bin");
    Files.createSymbolicLink(link, f);
    Run r = get(null, url, "-o", link.toString(), "--node", node.adminUri().toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isSymbolicLink(link), "the link is kept; the file it names gets the content");
    assertArrayEquals(content, Files.readAllBytes(f));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    Run d = get(null, url, "-o", dir.toString(), "--node", node.adminUri().toString());
    assertEquals(ExitCodes.USAGE, d.code());
    assertTrue(d.err().contains("is a directory"), d.err());
  }

  /**
   * Issue 11: when the node ends a download early, {@code get} prints the node's reason (from
   * {@code /downloads/ID}), not the JDK's "fixed content-length" text, and leaves no file. The
   * node side is a scripted admin endpoint that fails the way {@code DownloadStreamer} does.
   */
  @Test
  void brokenDownloadReportsTheNodesReasonAndLeavesNoFile() throws Exception {
    // A raw socket server: answers /download with Content-Length 1000000, sends 100000 bytes and
    // closes the connection, as DownloadStreamer does when the download fails; answers
    // /downloads/d1 with the record the node would have.
    ServerSocket fake = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    Thread server = new Thread(() -> {
      while (!fake.isClosed()) {
        try (Socket c = fake.accept()) {
          c.setSoTimeout(10_000);
          String head = readHead(c.getInputStream());
          OutputStream o = c.getOutputStream();
          if (head.startsWith("GET /download?")) {
            o.write(("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nX-Peerdist-Download: d1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            o.write(new byte[100_000]);
          } else {
            byte[] b = ("{\"id\":\"d1\",\"state\":\"failed\",\"error\":\"block 3 of segment AB from the"
                + " publisher does not match its content information (did \\\"x\\\" change?)\"}")
                .getBytes(StandardCharsets.UTF_8);
            o.write(("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + b.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            o.write(b);
          }
          o.flush();
        } catch (IOException e) {
          // Closed by the test, or a client that went away.
        }
      }
    }, "fake-admin");
    server.setDaemon(true);
    server.start();
    try {
      Path f = dir.resolve("broken.bin");
      Run r = get(null, url, "-o", f.toString(), "--node",
          "http://127.0.0.1:" + fake.getLocalPort() + "/");
      assertEquals(ExitCodes.SOFTWARE, r.code());
      assertTrue(r.err().contains("does not match its content information (did \"x\" change?)"), r.err());
      assertTrue(r.err().contains("of 1000000 bytes"), r.err());
      assertFalse(r.err().contains("fixed content-length"), r.err());
      assertFalse(Files.exists(f));
      try (var files = Files.list(dir)) {
        assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".broken.bin")), "no .part file");
      }
    } finally {
      fake.close();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return sb.toString();
  }
}
