package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: RocksDB's own loader left a 15 MB copy of its library in {@code java.io.tmpdir} for
 * every process that did not exit cleanly. Here real JVMs ({@link NativeLoadMain}), each with its
 * own store and all with {@code java.io.tmpdir} pointing into the test's directory, are started
 * (two at once) and killed with SIGKILL: afterwards exactly one copy of the library exists under
 * that tmpdir, in the per-user cache directory; the processes mapped that file; a later start does
 * not write it again; and a truncated copy is replaced by the next start, which still opens.
 */
class RocksNativeLibraryIT {
  @TempDir Path temp;

  private record Child(Process process, String cached, String mapped) {}

  private Child start(Path tmpdir, String store) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Djava.io.tmpdir=" + tmpdir, "-cp", System.getProperty("java.class.path"), NativeLoadMain.class.getName(),
        temp.resolve(store).toString());
    pb.redirectError(temp.resolve(store + ".err").toFile());
    return new Child(pb.start(), null, null);
  }

  private Child awaitOpen(Child c, String store) throws IOException, InterruptedException {
    BufferedReader r = new BufferedReader(new InputStreamReader(c.process().getInputStream(), StandardCharsets.UTF_8));
    String line = r.readLine();
    if (line == null || !line.startsWith("open ")) {
      c.process().toHandle().destroyForcibly();
      c.process().waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("child did not open its store (" + line + "): "
          + Files.readString(temp.resolve(store + ".err")));
    }
    String[] f = line.split(" ");
    return new Child(c.process(), f[1], f[2]);
  }

  private static void kill(Child c) throws InterruptedException {
    c.process().toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no deleteOnExit
    assertTrue(c.process().waitFor(30, TimeUnit.SECONDS), "child died");
  }

  /** Every file under {@code tmpdir} that is a copy of the library (whole or partial). */
  private static List<Path> copies(Path tmpdir) throws IOException {
    try (Stream<Path> s = Files.walk(tmpdir)) {
      return s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith("librocksdbjni"))
          .toList();
    }
  }

  private static boolean linux() {
    return Files.isReadable(Path.of("/proc/self/maps"));
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void killedDaemonsLeaveOneCopyWhichLaterStartsReuse() throws Exception {
    Path tmpdir = Files.createDirectory(temp.resolve("tmp"));
    Child a = start(tmpdir, "a");
    Child b = start(tmpdir, "b"); // both start at once, extracting into an empty cache
    a = awaitOpen(a, "a");
    b = awaitOpen(b, "b");
    kill(a);
    kill(b);
    List<Path> copies = copies(tmpdir);
    assertEquals(1, copies.size(), "copies under the tmpdir: " + copies);
    Path lib = copies.get(0);
    assertEquals(lib.toString(), a.cached());
    assertEquals(lib.toString(), b.cached());
    assertEquals(tmpdir.resolve("peerdist-" + System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_")),
        lib.getParent().getParent());
    if (linux()) {
      // The one that renamed second replaced the first's file: its mapping may show "(deleted)".
      assertTrue(a.mapped().startsWith(lib.toString()), a.mapped());
      assertTrue(b.mapped().startsWith(lib.toString()), b.mapped());
    }
    Object key = Files.readAttributes(lib, BasicFileAttributes.class).fileKey();
    var written = Files.getLastModifiedTime(lib);

    List<Child> later = new ArrayList<>();
    for (String store : List.of("a", "c")) {
      Child c = awaitOpen(start(tmpdir, store), store);
      later.add(c);
      kill(c);
      assertEquals(lib.toString(), c.cached());
      if (linux()) {
        assertEquals(lib.toString(), c.mapped(), "loaded the cached file itself");
      }
    }
    assertEquals(List.of(lib), copies(tmpdir));
    assertEquals(written, Files.getLastModifiedTime(lib), "not written again");
    if (key != null) {
      assertEquals(key, Files.readAttributes(lib, BasicFileAttributes.class).fileKey(), "same file");
    }
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aTruncatedCopyIsReplacedAndTheStoreOpens() throws Exception {
    Path tmpdir = Files.createDirectory(temp.resolve("tmp"));
    Child first = awaitOpen(start(tmpdir, "s"), "s");
    kill(first);
    Path lib = Path.of(first.cached());
    long size = Files.size(lib);
    try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.WRITE)) {
      ch.truncate(size / 2);
    }
    Child second = awaitOpen(start(tmpdir, "s"), "s");
    kill(second);
    assertEquals(lib.toString(), second.cached());
    assertEquals(size, Files.size(lib), "whole again");
    assertEquals(List.of(lib), copies(tmpdir));
  }
}
