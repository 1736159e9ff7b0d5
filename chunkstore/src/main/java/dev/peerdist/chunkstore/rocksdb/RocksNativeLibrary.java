package dev.peerdist.chunkstore.rocksdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.CRC32;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's JNI library from one extracted copy per library, kept between runs.
 *
 * <p>{@link RocksDB#loadLibrary()} copies the 15 MB library out of the rocksdbjni jar into
 * {@code java.io.tmpdir} under a new random name at every start, and deletes it only when the JVM
 * exits cleanly: every daemon that is killed, crashes or loses power leaves one behind (390 of them,
 * 5.8 GB, in one test machine's {@code /tmp}; on Windows the loaded DLL cannot be deleted at exit,
 * so every start leaves one). This class extracts the library once into a private cache directory
 * and loads it from there with {@link RocksDB#loadLibrary(List)}:
 *
 * <ul>
 *   <li><b>Where.</b> {@code DIR/rocksdbjni-CRC-SIZE/} where {@code DIR} is the system property
 *       {@value #DIRECTORY_PROPERTY} if set, else {@code java.io.tmpdir/peerdist-USER}
 *       (docs/INSTALL.md, "Native library"). {@code CRC} and {@code SIZE} are the CRC-32 and length
 *       of the library in the jar, so each rocksdbjni build gets its own directory and an upgrade
 *       never loads the old file.
 *   <li><b>Private.</b> {@code DIR} and the version directory are created owner-only (0700) and
 *       must be owned by this user, be real directories (not symbolic links) and be writable by no
 *       one else. Otherwise another user could have put a library of their own there, which this
 *       process would run; such a directory is refused and RocksDB's own loader is used instead.
 *   <li><b>Checked.</b> A cached file is used only if its length and CRC-32 match the jar's; a
 *       truncated or damaged one (a crash while writing it, a full disk) is replaced.
 *   <li><b>Atomic.</b> A new copy is written to a temporary name in the same directory, checked,
 *       and renamed over the library name, so that several daemons starting at once each see
 *       either no file or a whole one; the last rename wins and all copies are identical. A
 *       temporary file left by a killed start is deleted by a later start once it is an hour old.
 * </ul>
 *
 * <p>If any of this fails (a read-only or {@code noexec} directory, a refused directory, a future
 * rocksdbjni that looks for another file name), a WARN line says why and {@link
 * RocksDB#loadLibrary()} loads the library the old way, so the store still opens.
 */
public final class RocksNativeLibrary {
  /** System property naming the cache directory (default {@code java.io.tmpdir/peerdist-USER}). */
  public static final String DIRECTORY_PROPERTY = "peerdist.native.dir";

  /** Prefix of the per-build directory inside the cache directory. */
  static final String BUILD_PREFIX = "rocksdbjni-";

  /** Suffix of a copy being written (renamed to the library name once whole). */
  static final String PART_SUFFIX = ".part";

  /** A temporary copy older than this was left by a start that died; younger ones may be in use. */
  static final Duration STALE_PART = Duration.ofHours(1);

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RocksNativeLibrary.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OTHERS_WRITE =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  /** Where the library was loaded from; empty before {@link #load()} or after a fallback. */
  private static Optional<Path> loadedFrom = Optional.empty();

  private static boolean loaded;

  private RocksNativeLibrary() {}

  /**
   * Loads the library once per JVM (later calls return at once), from the cache directory if
   * possible and else as {@link RocksDB#loadLibrary()} does.
   *
   * @return the cached file it was loaded from, or empty if RocksDB's own loader was used
   */
  public static synchronized Optional<Path> load() {
    if (loaded) {
      return loadedFrom;
    }
    Path dir = null;
    try {
      dir = cacheDirectory();
      Path lib = extract(dir);
      // RocksDB.loadLibrary(List) loads DIR/<name> for each DIR, and records the library as
      // loaded, so that the option classes' static initializers (which call loadLibrary()) do not
      // extract it a second time.
      RocksDB.loadLibrary(List.of(lib.getParent().toString()));
      loadedFrom = Optional.of(lib);
      LOG.debug("RocksDB library loaded from {}", lib);
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      LOG.warn("cannot load RocksDB's library from the cache directory {}: {}; extracting a temporary copy"
          + " instead (left in {} if the process does not exit cleanly)", dir, e.toString(),
          System.getProperty("java.io.tmpdir"));
      RocksDB.loadLibrary();
    }
    loaded = true;
    return loadedFrom;
  }

  /** The configured or default cache directory (not created). */
  static Path cacheDirectory() {
    String configured = System.getProperty(DIRECTORY_PROPERTY, "");
    if (!configured.isBlank()) {
      return Path.of(configured).toAbsolutePath();
    }
    String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().resolve("peerdist-" + user);
  }

  /**
   * The file name {@link RocksDB#loadLibrary(List)} looks for in each directory: rocksdbjni 10
   * builds it as {@code Environment.getJniLibraryFileName("rocksdbjni")}, e.g. {@code
   * librocksdbjnijni-linux64.so} (the jar's own entry is {@code librocksdbjni-linux64.so}).
   * RocksNativeLibraryIT loads through it, so a rocksdbjni that changes the name fails that test.
   */
  static String loadedName() {
    return Environment.getJniLibraryFileName("rocksdbjni");
  }

  /**
   * Makes sure {@code cacheDir} holds a whole, private copy of the library in the jar and returns
   * its path; writes one only if none matches.
   *
   * @throws IOException if a directory cannot be created or is refused (names the directory and
   *     why), or the copy cannot be written
   */
  static Path extract(Path cacheDir) throws IOException {
    Source source = Source.find();
    privateDirectory(cacheDir);
    Path build = cacheDir.resolve(BUILD_PREFIX + String.format(Locale.ROOT, "%08x", source.crc) + "-"
        + source.size);
    privateDirectory(build);
    Path lib = build.resolve(loadedName());
    if (matches(lib, source)) {
      return lib;
    }
    deleteStaleParts(build);
    Path part = Files.createTempFile(build, loadedName() + ".", PART_SUFFIX); // 0600 on POSIX
    try {
      CRC32 crc = new CRC32();
      long size = 0;
      try (InputStream in = source.open(); OutputStream out = Files.newOutputStream(part)) {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
          crc.update(buf, 0, n);
          out.write(buf, 0, n);
          size += n;
        }
      }
      if (size != source.size || crc.getValue() != source.crc) {
        throw new IOException("the copy of " + source.name + " read from " + source.url + " has " + size
            + " bytes and CRC " + Long.toHexString(crc.getValue()) + ", the jar says " + source.size + " and "
            + Long.toHexString(source.crc));
      }
      try {
        Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        // Windows cannot replace a library another process has loaded; if that process (or one
        // starting beside this one) put a whole copy there, it will do.
        if (e instanceof AtomicMoveNotSupportedException || !matches(lib, source)) {
          throw e;
        }
      }
      LOG.info("extracted RocksDB's library to {}", lib);
      return lib;
    } finally {
      Files.deleteIfExists(part);
    }
  }

  /** Creates {@code dir} owner-only if absent; refuses one that others could have written to. */
  static void privateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir.getParent())) {
      Files.createDirectories(dir.getParent()); // a configured directory's parents
    }
    boolean posix = Files.getFileAttributeView(dir.getParent(), PosixFileAttributeView.class) != null;
    try {
      if (posix) {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createDirectory(dir);
      }
    } catch (FileAlreadyExistsException e) {
      // Checked below like a directory created now.
    }
    UserPrincipal me = currentUser(dir.getParent());
    if (posix) {
      PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isDirectory()) {
        throw new IOException(dir + " is not a directory (a symbolic link or a file)");
      }
      if (!a.owner().equals(me)) {
        throw new IOException(dir + " belongs to " + a.owner().getName() + ", not to " + me.getName());
      }
      if (a.permissions().stream().anyMatch(OTHERS_WRITE::contains)) {
        throw new IOException(dir + " is writable by others (" + PosixFilePermissions.toString(a.permissions())
            + ")");
      }
    } else {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(dir + " is not a directory (a link or a file)");
      }
      UserPrincipal owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
      if (!owner.equals(me)) {
        throw new IOException(dir + " belongs to " + owner.getName() + ", not to " + me.getName());
      }
    }
  }

  /**
   * This process's user: looked up by {@code user.name}, or, where that name is unknown (a
   * container running under a UID without a passwd entry, where it is {@code ?}), the owner of a
   * file created and deleted at once in {@code dir}.
   */
  private static UserPrincipal currentUser(Path dir) throws IOException {
    try {
      return dir.getFileSystem().getUserPrincipalLookupService()
          .lookupPrincipalByName(System.getProperty("user.name", ""));
    } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
      Path probe = Files.createTempFile(dir, ".peerdist-owner", ".tmp");
      try {
        return Files.getOwner(probe);
      } finally {
        Files.deleteIfExists(probe);
      }
    }
  }

  /** Whether {@code lib} is a regular file with the jar's length and CRC-32. */
  private static boolean matches(Path lib, Source source) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(lib, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
    if (!a.isRegularFile() || a.size() != source.size) {
      return false;
    }
    try (InputStream in = Files.newInputStream(lib)) {
      return crcOf(in) == source.crc;
    }
  }

  private static void deleteStaleParts(Path build) {
    FileTime before = FileTime.from(java.time.Instant.now().minus(STALE_PART));
    try (var files = Files.list(build)) {
      for (Path p : files.filter(p -> p.getFileName().toString().endsWith(PART_SUFFIX)).toList()) {
        try {
          if (Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).compareTo(before) < 0) {
            Files.deleteIfExists(p);
          }
        } catch (IOException e) {
          LOG.debug("cannot delete the stale {}: {}", p, e.toString());
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot list {}: {}", build, e.toString());
    }
  }

  private static long crcOf(InputStream in) throws IOException {
    CRC32 crc = new CRC32();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) {
      crc.update(buf, 0, n);
    }
    return crc.getValue();
  }

  /** The library inside the rocksdbjni jar (or a class directory): where, how long, its CRC-32. */
  private record Source(String name, URL url, Optional<Path> jar, long size, long crc) {
    /** Finds the entry RocksDB's own loader would extract for this platform. */
    static Source find() throws IOException {
      ClassLoader loader = RocksDB.class.getClassLoader();
      String name = Environment.getJniLibraryFileName("rocksdb");
      URL url = loader.getResource(name);
      String fallback = Environment.getFallbackJniLibraryFileName("rocksdb");
      if (url == null && fallback != null) {
        name = fallback;
        url = loader.getResource(name);
      }
      if (url == null) {
        throw new IOException(name + " is not on the class path (no rocksdbjni library for this platform)");
      }
      if (url.getProtocol().equals("jar")) {
        Path jar;
        try {
          jar = Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
          throw new IOException("cannot locate the jar of " + url + ": " + e, e);
        }
        try (JarFile jf = new JarFile(jar.toFile())) {
          JarEntry e = jf.getJarEntry(name);
          if (e == null) {
            throw new IOException(name + " is not in " + jar);
          }
          if (e.getSize() >= 0 && e.getCrc() >= 0) {
            return new Source(name, url, Optional.of(jar), e.getSize(), e.getCrc());
          }
        }
      }
      // A class directory (or an entry without a recorded CRC): read it once to learn both.
      long size = 0;
      CRC32 crc = new CRC32();
      try (InputStream in = url.openStream()) {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
          crc.update(buf, 0, n);
          size += n;
        }
      }
      return new Source(name, url, Optional.empty(), size, crc.getValue());
    }

    InputStream open() throws IOException {
      if (jar.isEmpty()) {
        return url.openStream();
      }
      JarFile jf = new JarFile(jar.get().toFile());
      JarEntry e = jf.getJarEntry(name);
      if (e == null) {
        jf.close();
        throw new IOException(name + " is no longer in " + jar.get());
      }
      InputStream in = jf.getInputStream(e);
      return new java.io.FilterInputStream(in) {
        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            jf.close();
          }
        }
      };
    }
  }
}
