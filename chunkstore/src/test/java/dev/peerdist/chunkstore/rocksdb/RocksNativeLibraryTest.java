package dev.peerdist.chunkstore.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Extraction of RocksDB's library into the cache directory (without loading it: a JVM loads it
 * once; {@link RocksNativeLibraryIT} loads it in real processes).
 */
class RocksNativeLibraryTest {
  @TempDir Path temp;

  private static byte[] jarCopy() throws IOException {
    try (InputStream in = RocksDB.class.getClassLoader().getResourceAsStream(
        Environment.getJniLibraryFileName("rocksdb"))) {
      assumeTrue(in != null, "no rocksdbjni library for this platform");
      return in.readAllBytes();
    }
  }

  private static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void extractsOneWholePrivateCopyUnderTheBuildDirectoryAndReusesIt() throws Exception {
    Path cache = temp.resolve("cache");
    Path lib = RocksNativeLibrary.extract(cache);
    assertEquals(RocksNativeLibrary.loadedName(), lib.getFileName().toString());
    assertTrue(lib.getParent().getFileName().toString().startsWith(RocksNativeLibrary.BUILD_PREFIX), lib.toString());
    assertEquals(cache, lib.getParent().getParent());
    assertArrayEquals(jarCopy(), Files.readAllBytes(lib));
    assertEquals(List.of(lib), files(cache));
    if (posix(cache)) {
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib.getParent())));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lib)));
    }
    Object key = Files.readAttributes(lib, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
    FileTime written = Files.getLastModifiedTime(lib);

    assertEquals(lib, RocksNativeLibrary.extract(cache), "second start");
    assertEquals(List.of(lib), files(cache));
    assertEquals(written, Files.getLastModifiedTime(lib), "not written again");
    if (key != null) {
      assertEquals(key, Files.readAttributes(lib, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
    }
  }

  @Test
  void aTruncatedOrDamagedCopyIsReplaced() throws Exception {
    Path cache = temp.resolve("cache");
    Path lib = RocksNativeLibrary.extract(cache);
    byte[] good = Files.readAllBytes(lib);

    try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.WRITE)) {
      ch.truncate(good.length / 3); // a crash or a full disk while it was written
    }
    assertEquals(lib, RocksNativeLibrary.extract(cache));
    assertArrayEquals(good, Files.readAllBytes(lib), "truncated copy replaced");

    byte[] bad = good.clone();
    bad[bad.length / 2] ^= 0x40; // same length, one bit flipped
    Files.write(lib, bad);
    assertEquals(lib, RocksNativeLibrary.extract(cache));
    assertArrayEquals(good, Files.readAllBytes(lib), "damaged copy replaced");
    assertEquals(List.of(lib), files(cache), "no temporary file left");
  }

  @Test
  void startsAtTheSameTimeLeaveOneWholeCopy() throws Exception {
    Path cache = temp.resolve("cache");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Path>> all = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        all.add(pool.submit((Callable<Path>) () -> RocksNativeLibrary.extract(cache)));
      }
      Set<Path> got = new HashSet<>();
      for (Future<Path> f : all) {
        got.add(f.get());
      }
      assertEquals(1, got.size(), got.toString());
      Path lib = got.iterator().next();
      assertArrayEquals(jarCopy(), Files.readAllBytes(lib));
      assertEquals(List.of(lib), files(cache));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTemporaryCopyLeftByADeadStartIsDeletedOnceStaleAndAFreshOneIsKept() throws Exception {
    Path cache = temp.resolve("cache");
    Path lib = RocksNativeLibrary.extract(cache);
    Path stale = lib.resolveSibling(lib.getFileName() + ".123" + RocksNativeLibrary.PART_SUFFIX);
    Path fresh = lib.resolveSibling(lib.getFileName() + ".456" + RocksNativeLibrary.PART_SUFFIX);
    Files.write(stale, new byte[100]);
    Files.write(fresh, new byte[100]);
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(RocksNativeLibrary.STALE_PART).minusSeconds(60)));
    Files.write(lib, new byte[10]); // forces a new copy, which sweeps the directory first
    RocksNativeLibrary.extract(cache);
    assertFalse(Files.exists(stale), "stale temporary copy deleted");
    assertTrue(Files.exists(fresh), "a copy another start may be writing is kept");
  }

  @Test
  void aDirectoryOthersCanWriteToIsRefused() throws Exception {
    Path cache = temp.resolve("cache");
    Files.createDirectory(cache);
    assumeTrue(posix(cache), "POSIX permissions");
    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
    IOException e = assertThrows(IOException.class, () -> RocksNativeLibrary.extract(cache));
    assertTrue(e.getMessage().contains(cache + " is writable by others (rwxrwxrwx)"), e.getMessage());
    assertEquals(List.of(), files(cache), "nothing written into it");

    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwx------"));
    Path build = RocksNativeLibrary.extract(cache).getParent();
    Files.setPosixFilePermissions(build, PosixFilePermissions.fromString("rwxrwx---"));
    e = assertThrows(IOException.class, () -> RocksNativeLibrary.extract(cache));
    assertTrue(e.getMessage().contains(build + " is writable by others (rwxrwx---)"), e.getMessage());
  }

  @Test
  void aSymbolicLinkInPlaceOfTheDirectoryIsRefused() throws Exception {
    Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
    Path cache = temp.resolve("cache");
    try {
      Files.createSymbolicLink(cache, elsewhere);
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "symbolic links: " + e);
    }
    IOException e = assertThrows(IOException.class, () -> RocksNativeLibrary.extract(cache));
    assertTrue(e.getMessage().contains(cache + " is not a directory"), e.getMessage());
    assertEquals(List.of(), files(elsewhere));
    assertTrue(Files.isSymbolicLink(cache) && Files.exists(cache, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aUserNameWithoutAnAccountStillFindsItsOwnDirectory() throws Exception {
    String before = System.getProperty("user.name");
    try {
      System.setProperty("user.name", "?"); // a container's UID without a passwd entry
      Path cache = temp.resolve("cache");
      Path lib = RocksNativeLibrary.extract(cache);
      assertArrayEquals(jarCopy(), Files.readAllBytes(lib));
      assertEquals(lib, RocksNativeLibrary.extract(cache), "and again");
      try (Stream<Path> s = Files.list(temp)) {
        assertEquals(List.of(cache), s.toList(), "the owner probe is gone");
      }
    } finally {
      System.setProperty("user.name", before);
    }
  }

  @Test
  void theDefaultDirectoryIsPerUserUnderTmpdirAndThePropertyOverridesIt() {
    String before = System.getProperty(RocksNativeLibrary.DIRECTORY_PROPERTY);
    try {
      System.clearProperty(RocksNativeLibrary.DIRECTORY_PROPERTY);
      Path d = RocksNativeLibrary.cacheDirectory();
      assertEquals(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath(), d.getParent());
      assertTrue(d.getFileName().toString().startsWith("peerdist-"), d.toString());
      assertNotEquals("peerdist-", d.getFileName().toString());
      System.setProperty(RocksNativeLibrary.DIRECTORY_PROPERTY, temp.resolve("n").toString());
      assertEquals(temp.resolve("n").toAbsolutePath(), RocksNativeLibrary.cacheDirectory());
    } finally {
      if (before == null) {
        System.clearProperty(RocksNativeLibrary.DIRECTORY_PROPERTY);
      } else {
        System.setProperty(RocksNativeLibrary.DIRECTORY_PROPERTY, before);
      }
    }
  }
}
