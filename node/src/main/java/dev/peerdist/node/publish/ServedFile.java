package dev.peerdist.node.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A regular file at the moment it was looked at: what the server answers from. The strong ETag
 * is derived from size, modification time (nanoseconds), change time (ctime, nanoseconds, where
 * the file system has one) and the file key (device and inode on Linux), so replacing or
 * rewriting the file changes it, and content information cached under it is never served for
 * other bytes. The change time is what catches an in-place edit that restores the modification
 * time ({@code touch -r}, {@code rsync -t}, {@code cp -p} over the file): no program can set it
 * back (issue 11: such an edit used to keep stale content information cached for good).
 *
 * @param file where the bytes are
 * @param cacheKey what identifies the resource across restarts (its path below the root, or its
 *     upstream URL)
 * @param size length in bytes
 * @param lastModified modification time, for {@code Last-Modified}
 * @param etag the strong entity tag including its quotes
 * @param contentType media type guessed from the file name
 * @param changeKey what tells this version of the file from any other on this machine (size,
 *     times, identity, as above): the key of cached content information. Equal to {@code etag}
 *     unless the publisher publishes content-derived ETags ({@code --etag content}, {@link
 *     #withEtag}), which stay the same across replicas on other machines (docs/SITES.md)
 */
public record ServedFile(
    Path file, String cacheKey, long size, Instant lastModified, String etag, String contentType, String changeKey) {

  private static final Map<String, String> TYPES =
      Map.ofEntries(
          Map.entry("html", "text/html; charset=utf-8"),
          Map.entry("htm", "text/html; charset=utf-8"),
          Map.entry("txt", "text/plain; charset=utf-8"),
          Map.entry("css", "text/css"),
          Map.entry("js", "text/javascript"),
          Map.entry("json", "application/json"),
          Map.entry("xml", "application/xml"),
          Map.entry("png", "image/png"),
          Map.entry("jpg", "image/jpeg"),
          Map.entry("gif", "image/gif"),
          Map.entry("svg", "image/svg+xml"),
          Map.entry("zip", "application/zip"),
          Map.entry("gz", "application/gzip"),
          Map.entry("xz", "application/x-xz"),
          Map.entry("zst", "application/zstd"),
          Map.entry("tar", "application/x-tar"),
          Map.entry("deb", "application/vnd.debian.binary-package"),
          Map.entry("rpm", "application/x-rpm"),
          Map.entry("iso", "application/x-iso9660-image"),
          Map.entry("msi", "application/x-msi"),
          Map.entry("exe", "application/vnd.microsoft.portable-executable"),
          Map.entry("pdf", "application/pdf"));

  /** Checks the fields. */
  public ServedFile {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(cacheKey, "cacheKey");
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(etag, "etag");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(changeKey, "changeKey");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
  }

  /**
   * Looks at a regular file (following links: the caller has already checked where they lead).
   *
   * @throws IOException when the file cannot be read or is not a regular file
   */
  public static ServedFile of(Path file, String cacheKey) throws IOException {
    return of(file, cacheKey, null);
  }

  /**
   * As {@link #of(Path, String)}, with a {@code Last-Modified} taken from elsewhere (an upstream).
   */
  static ServedFile of(Path file, String cacheKey, Instant lastModifiedOverride) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new IOException("not a regular file: " + file);
    }
    Instant mtime = a.lastModifiedTime().toInstant();
    Object key = a.fileKey();
    int keyHash = key == null ? 0 : key.hashCode();
    long nanos = mtime.getEpochSecond() * 1_000_000_000L + mtime.getNano();
    String etag =
        "\""
            + Long.toHexString(a.size())
            + "-"
            + Long.toHexString(nanos)
            + "-"
            + HexFormat.of().toHexDigits(keyHash)
            + changeTime(file)
            + "\"";
    return new ServedFile(
        file,
        cacheKey,
        a.size(),
        lastModifiedOverride != null ? lastModifiedOverride : mtime,
        etag,
        contentTypeOf(file.getFileName().toString()),
        etag);
  }

  /** This snapshot with another published ETag (quotes included); the change key stays. */
  public ServedFile withEtag(String published) {
    return new ServedFile(file, cacheKey, size, lastModified, published, contentType, changeKey);
  }

  /** {@code -<ctime nanos, hex>}, or empty where the file system does not say. */
  private static String changeTime(Path file) {
    try {
      Object c = Files.getAttribute(file, "unix:ctime");
      if (c instanceof java.nio.file.attribute.FileTime t) {
        Instant i = t.toInstant();
        return "-" + Long.toHexString(i.getEpochSecond() * 1_000_000_000L + i.getNano());
      }
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // No "unix" view (not Linux/macOS): size, mtime and identity only.
    }
    return "";
  }

  /** True when the file on disk still has the size, times and identity this snapshot saw. */
  boolean unchangedOnDisk() {
    try {
      return of(file, cacheKey, lastModified).changeKey.equals(changeKey);
    } catch (IOException e) {
      return false;
    }
  }

  static String contentTypeOf(String name) {
    int dot = name.lastIndexOf('.');
    if (dot < 0) {
      return "application/octet-stream";
    }
    return TYPES.getOrDefault(name.substring(dot + 1).toLowerCase(Locale.ROOT), "application/octet-stream");
  }
}
