package dev.peerdist.node.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Maps decoded URL paths to files below a root directory so that nothing outside it can ever be
 * named: {@code ..} segments, NUL, backslashes and drive letters are refused before the file
 * system is touched, and the real path (symbolic links resolved) must still lie under the real
 * root, so a link pointing out of the tree is not followed.
 */
public final class RootDirectory {
  /** Longest URL path accepted (characters). */
  static final int MAX_PATH_CHARS = 4096;

  private final Path realRoot;

  /**
   * @throws IOException when {@code root} does not exist or is not a directory
   */
  public RootDirectory(Path root) throws IOException {
    Path r = root.toRealPath();
    if (!Files.isDirectory(r)) {
      throw new IOException("not a directory: " + root);
    }
    this.realRoot = r;
  }

  /** The root with links resolved. */
  public Path realRoot() {
    return realRoot;
  }

  /**
   * Checks a decoded URL path ({@code /a/b.txt}) and returns the relative path it names, or
   * empty when it is unsafe or malformed. Pure: does not touch the file system.
   */
  static Optional<String> safeRelative(String urlPath) {
    if (urlPath == null || urlPath.isEmpty() || urlPath.charAt(0) != '/' || urlPath.length() > MAX_PATH_CHARS) {
      return Optional.empty();
    }
    StringBuilder rel = new StringBuilder();
    for (String seg : urlPath.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..") || seg.indexOf('\\') >= 0 || seg.indexOf('\0') >= 0 || seg.indexOf(':') >= 0) {
        return Optional.empty();
      }
      for (int i = 0; i < seg.length(); i++) {
        if (seg.charAt(i) < 0x20 || seg.charAt(i) == 0x7f) {
          return Optional.empty();
        }
      }
      if (rel.length() > 0) {
        rel.append('/');
      }
      rel.append(seg);
    }
    return Optional.of(rel.toString());
  }

  /**
   * The regular file a decoded URL path names, or empty when the path is unsafe, leaves the root
   * (also through a symbolic link), does not exist or is not a regular file.
   */
  public Optional<Path> resolve(String urlPath) {
    Optional<String> rel = safeRelative(urlPath);
    if (rel.isEmpty() || rel.get().isEmpty()) {
      return Optional.empty();
    }
    try {
      Path candidate = realRoot.resolve(rel.get()).normalize();
      if (!candidate.startsWith(realRoot)) {
        return Optional.empty();
      }
      Path real = candidate.toRealPath();
      if (!real.startsWith(realRoot) || !Files.isRegularFile(real)) {
        return Optional.empty();
      }
      return Optional.of(real);
    } catch (IOException | InvalidPathException e) {
      return Optional.empty();
    }
  }
}
