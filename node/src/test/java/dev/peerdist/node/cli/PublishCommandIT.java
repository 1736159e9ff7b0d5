package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code peerdist publish} through picocli's {@code execute()}, with captured output. */
@Timeout(60)
class PublishCommandIT {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void servesUntilItStopsAndPrintsItsUrl() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    byte[] content = new byte[100_000];
    Files.write(root.resolve("f.bin"), content);
    StringWriter out = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    CompletableFuture<Integer> code =
        CompletableFuture.supplyAsync(
            () ->
                cl.execute(
                    "publish", "--root", root.toString(), "--state", tmp.resolve("state").toString(),
                    "--bind", "127.0.0.1", "--port", "0", "--secret-text", "hello", "--min-size", "1KiB",
                    "--exit-after", "4s"));
    URI base = null;
    Pattern p = Pattern.compile("serving (http://\\S+)");
    for (int i = 0; i < 200 && base == null; i++) {
      Matcher m = p.matcher(out.toString());
      if (m.find()) {
        base = URI.create(m.group(1));
      } else {
        Thread.sleep(25);
      }
    }
    assertTrue(base != null, "no URL printed: " + out);
    HttpResponse<byte[]> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(base.resolve("/f.bin"))
                    .header("Accept-Encoding", "peerdist")
                    .header("X-P2P-PeerDist", "Version=1.0")
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("peerdist", r.headers().firstValue("Content-Encoding").orElseThrow());
    assertEquals(0, code.get(20, TimeUnit.SECONDS));
  }

  @Test
  void badOptionsGiveOneLineAndExit2() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    String state = tmp.resolve("state").toString();
    Run none = run("publish");
    assertEquals(2, none.code());
    Run both = run("publish", "--root", root.toString(), "--upstream", "http://127.0.0.1:1/");
    assertEquals(2, both.code());
    Run missing = run("publish", "--root", tmp.resolve("nope").toString(), "--state", state);
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("--root: not a directory"), missing.err());
    Run size = run("publish", "--root", root.toString(), "--state", state, "--min-size", "lots");
    assertEquals(2, size.code());
    assertTrue(size.err().contains("--min-size"), size.err());
    Run tls = run("publish", "--root", root.toString(), "--state", state, "--tls-cert", root.toString());
    assertEquals(2, tls.code());
    Run ver = run("publish", "--root", root.toString(), "--state", state, "--max-version", "3");
    assertTrue(ver.err().contains("--max-version"), ver.err());
    Run perAddress = run("publish", "--root", root.toString(), "--state", state, "--max-connections-per-address", "0");
    assertEquals(2, perAddress.code());
    assertTrue(perAddress.err().contains("--max-connections-per-address must be >= 1"), perAddress.err());
    Run up = run("publish", "--upstream", "ftp://x/", "--state", state);
    assertEquals(2, up.code());
    assertTrue(up.err().contains("--upstream"), up.err());
    Run hex = run("publish", "--root", root.toString(), "--state", state, "--secret-hex", "zz");
    assertEquals(2, hex.code());
    assertEquals(1, hex.err().strip().lines().count(), hex.err());
    Run inside = run("publish", "--root", root.toString(), "--state", root.resolve("s").toString(), "--port", "0",
        "--bind", "127.0.0.1", "--exit-after", "1s");
    assertEquals(1, inside.code());
    assertTrue(inside.err().contains("inside the served root"), inside.err());
  }

  @Test
  void sizesAndDurationsParse() {
    // publish reads sizes and durations with the one parser of each (dev.peerdist.node.units).
    assertEquals(65536, dev.peerdist.node.units.Size.parse("64KiB").bytes());
    assertEquals(65536, dev.peerdist.node.units.Size.parse("64k").bytes());
    assertEquals(1 << 20, dev.peerdist.node.units.Size.parse("1M").bytes());
    assertEquals(123, dev.peerdist.node.units.Size.parse("123").bytes());
    assertEquals(Duration.ofMillis(1500), dev.peerdist.node.units.Durations.parse("1500ms"));
    assertEquals(Duration.ofSeconds(2), dev.peerdist.node.units.Durations.parse("2s"));
    assertEquals(Duration.ofSeconds(3), dev.peerdist.node.units.Durations.parse("3"));
    assertEquals(Duration.ofMinutes(5), dev.peerdist.node.units.Durations.parse("5m"));
  }
}
