package dev.peerdist.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ServerSecret;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code peerdist content-info} through picocli's {@code execute()} with captured writers. */
class ContentInfoCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  /** TEST-VECTORS.md TV-3 content generator. */
  private static byte[] gen(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) ((i * 2654435761L) >>> 24);
    }
    return b;
  }

  private Path syn2() throws Exception {
    Path f = dir.resolve("syn2.bin");
    Files.write(f, gen(128000));
    return f;
  }

  private void assertOneLineError(String... needles) {
    String e = err.toString().trim();
    assertFalse(e.contains("\n"), "one line expected: " + e);
    assertTrue(e.startsWith("peerdist: "), e);
    for (String n : needles) {
      assertTrue(e.contains(n), "'" + n + "' missing in: " + e);
    }
  }

  @Test
  void createV1ReproducesTv3bAndShowPrintsTheSegmentId() throws Exception {
    Path o = dir.resolve("syn2.pccrc");
    assertEquals(0, run("content-info", "create", syn2().toString(), "--secret-text", "server secret", "-o", o.toString()));
    assertTrue(out.toString().matches("(?s)wrote .*: V1 SHA-256, 1 segments, 128000 content bytes hashed, 166 bytes, .* MB/s\\s*"),
        out.toString());
    ContentInformation info = ContentInformationCodec.standard().decode(Files.readAllBytes(o));
    assertEquals("536E4334381BA6B092BF873E5745EF387C7E61540CAADD151AD8A4A94E240FEC", info.segmentId(0).toHex());

    out.getBuffer().setLength(0);
    assertEquals(0, run("content-info", "show", o.toString()));
    String shown = out.toString();
    assertTrue(shown.contains("536E4334381BA6B092BF873E5745EF387C7E61540CAADD151AD8A4A94E240FEC"), shown);
    assertTrue(shown.contains("dwReadBytesInLastSegment  0"), shown);
    assertTrue(shown.contains("2 of 2 (hash to HoD)"), shown);
    assertTrue(shown.contains("2028a714e990c300b8750bb8fac7dc78a78cc2035d898037856243ec89f10b98"), shown);

    out.getBuffer().setLength(0);
    assertEquals(0, run("content-info", "show", "--json", o.toString()));
    assertTrue(out.toString().startsWith("{\"version\":\"1.0\",\"hashAlgorithm\":\"SHA_256\""), out.toString());
    assertTrue(out.toString().contains("\"segmentId\":\"536E4334381BA6B092BF873E5745EF387C7E61540CAADD151AD8A4A94E240FEC\""));
  }

  @Test
  void createRangeAndV2AndEveryKindOfSecret() throws Exception {
    Path in = syn2();
    byte[] material = ServerSecret.fromText("server secret").keyMaterial();
    Path keyFile = dir.resolve("key.bin");
    Files.write(keyFile, material);
    Path export = dir.resolve("key.export");
    Files.write(export, ServerSecret.fromText("server secret").export("pw"));
    String hex = HexFormat.of().formatHex(material);
    byte[] first = null;
    String[][] secrets = {{"--secret-text", "server secret"}, {"--secret-hex", hex},
        {"--secret-file", keyFile.toString()}, {"--secret-export", export.toString(), "--passphrase", "pw"}};
    for (String[] s : secrets) {
      Path o = dir.resolve("r" + s[0]);
      String[] base = {"content-info", "create", in.toString(), "--range", "102400:25600", "-o"};
      String[] full = new String[base.length + 1 + s.length];
      System.arraycopy(base, 0, full, 0, base.length);
      full[base.length] = o.toString();
      System.arraycopy(s, 0, full, base.length + 1, s.length);
      assertEquals(0, run(full), err.toString());
      byte[] wire = Files.readAllBytes(o);
      assertEquals(102400, ContentInformationCodec.standard().decode(wire).offsetInFirstSegment());
      if (first == null) {
        first = wire;
      } else {
        assertArrayEquals(first, wire, s[0]);
      }
    }
    Path v2 = dir.resolve("v2.pccrc");
    assertEquals(0, run("content-info", "create", in.toString(), "--version", "2", "--secret-text", "x", "-o", v2.toString()));
    assertTrue(out.toString().contains("V2 SHA-512 (truncated)"), out.toString());
    assertEquals(2, ContentInformationCodec.standard().decode(Files.readAllBytes(v2)).version().ordinal() + 1);
  }

  @Test
  void badHexIsAUsageError() throws Exception {
    assertEquals(2, run("content-info", "create", syn2().toString(), "--secret-hex", "12g4", "-o", dir.resolve("o").toString()));
    assertOneLineError("--secret-hex", "not hex");
    assertFalse(Files.exists(dir.resolve("o")));
  }

  @Test
  void missingInputFileIsAUsageError() {
    assertEquals(2, run("content-info", "create", dir.resolve("nope").toString(), "--secret-text", "k", "-o",
        dir.resolve("o").toString()));
    assertOneLineError("no such file", "nope");
  }

  @Test
  void missingSecretFileIsAUsageError() throws Exception {
    assertEquals(2, run("content-info", "create", syn2().toString(), "--secret-file", dir.resolve("k").toString(),
        "-o", dir.resolve("o").toString()));
    assertOneLineError("--secret-file", "no such file");
  }

  @Test
  void conflictingSecretsAreAUsageError() throws Exception {
    assertEquals(2, run("content-info", "create", syn2().toString(), "--secret-hex", "00", "--secret-text", "k",
        "-o", dir.resolve("o").toString()));
    assertOneLineError("exactly one", "--secret-hex and --secret-text");
  }

  @Test
  void missingSecretAndPassphraseProblems() throws Exception {
    Path in = syn2();
    assertEquals(2, run("content-info", "create", in.toString(), "-o", dir.resolve("o").toString()));
    assertOneLineError("none given");
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--passphrase", "p", "-o",
        dir.resolve("o").toString()));
    assertOneLineError("--passphrase applies only to --secret-export");
    Path export = dir.resolve("e");
    Files.write(export, ServerSecret.fromText("k").export("right"));
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-export", export.toString(),
        "--passphrase", "wrong", "-o", dir.resolve("o").toString()));
    assertOneLineError("--secret-export", "passphrase");
  }

  @Test
  void badOptionValues() throws Exception {
    Path in = syn2();
    String o = dir.resolve("o").toString();
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--version", "3", "-o", o));
    assertOneLineError("--version 3");
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--version", "2", "--hash",
        "sha-512", "-o", o));
    assertOneLineError("--hash applies to version 1 only");
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--hash", "md5", "-o", o));
    assertOneLineError("--hash md5");
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--range", "10", "-o", o));
    assertOneLineError("--range 10", "OFFSET:LENGTH");
    err.getBuffer().setLength(0);
    assertEquals(2, run("content-info", "create", in.toString(), "--secret-text", "k", "--range", "0:128001", "-o", o));
    assertOneLineError("runs past the end");
    assertFalse(Files.exists(dir.resolve("o")));
  }

  @Test
  void showRefusesAMalformedFileNamingFieldAndOffset() throws Exception {
    Path bad = dir.resolve("bad.pccrc");
    Files.write(bad, new byte[] {0, 1, 0x0c, (byte) 0x80, 0, 0, 0, 0});
    assertEquals(1, run("content-info", "show", bad.toString()));
    assertOneLineError("bad.pccrc", "dwOffsetInFirstSegment", "offset 6");
  }
}
