package dev.peerdist.node.cachepackage;

import dev.peerdist.chunkstore.BlockVerificationException;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.SegmentRecord;
import dev.peerdist.chunkstore.SegmentRecords;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.chunkstore.content.ContentInformation;
import dev.peerdist.chunkstore.content.ContentInformationCodec;
import dev.peerdist.chunkstore.content.ContentVersion;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.node.publish.PccrcContentInformationSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Export of published files into a {@link CachePackage}, and import of a package into a chunk
 * store (docs/SITES.md, "Offline cache packages").
 */
public final class PackageTransfer {
  private PackageTransfer() {}

  /** Progress of an export or an import: one call per file and a final total. */
  public interface Progress {
    /** A file is done: {@code index} of {@code count}, its path, segments and block bytes. */
    void file(int index, int count, String path, int segments, long bytes);
  }

  /** What an import did. */
  public record ImportResult(int files, int segments, int newSegments, long blockBytes, long storedBytes) {}

  /**
   * The regular files named by {@code paths} (files, or directories walked recursively), each
   * inside {@code root}, sorted and without duplicates.
   *
   * @throws IOException naming a path that is missing or outside the root
   */
  public static List<Path> files(Path root, List<Path> paths) throws IOException {
    Path realRoot = root.toRealPath();
    Set<Path> out = new LinkedHashSet<>();
    for (Path p : paths) {
      Path abs = (p.isAbsolute() ? p : realRoot.resolve(p)).normalize();
      if (!Files.exists(abs)) {
        throw new IOException("no such file: " + p);
      }
      Path real = abs.toRealPath();
      if (!real.startsWith(realRoot)) {
        throw new IOException(p + " is outside the served root " + root);
      }
      if (Files.isDirectory(real)) {
        try (Stream<Path> s = Files.walk(real)) {
          s.filter(Files::isRegularFile).sorted().forEach(out::add);
        }
      } else if (Files.isRegularFile(real)) {
        out.add(real);
      }
    }
    if (out.isEmpty()) {
      throw new IOException("no files to export");
    }
    return new ArrayList<>(out);
  }

  /**
   * Writes a package of {@code files} (inside {@code root}): for each, the V1 content information
   * the publisher with {@code secretKeyMaterial} hands out (SHA-256, the same generator and so the
   * same bytes), then its blocks.
   *
   * @return block bytes written
   */
  public static long export(Path root, List<Path> files, byte[] secretKeyMaterial, OutputStream out, Progress progress)
      throws IOException {
    Path realRoot = root.toRealPath();
    PccrcContentInformationSource source = new PccrcContentInformationSource();
    ContentInformationCodec codec = ContentInformationCodec.standard();
    CachePackage.Writer w = new CachePackage.Writer(out, files.size());
    byte[] buf = new byte[CachePackage.MAX_BLOCK];
    int index = 0;
    for (Path f : files) {
      byte[] ci = source.generate(f, ContentVersion.V1, secretKeyMaterial);
      ContentInformation info = codec.decode(ci);
      String rel = realRoot.relativize(f.toRealPath()).toString().replace('\\', '/');
      w.entry(rel, ci, info);
      long before = w.totalBytes();
      try (InputStream in = Files.newInputStream(f)) {
        for (int n = w.nextBlockLength(); n >= 0; n = w.nextBlockLength()) {
          if (in.readNBytes(buf, 0, n) != n) {
            throw new IOException(f + " changed while it was exported (shorter than its content information)");
          }
          w.block(buf, n);
        }
      }
      progress.file(++index, files.size(), rel, info.segmentCount(), w.totalBytes() - before);
    }
    w.finish();
    return w.totalBytes();
  }

  /**
   * Loads a package into {@code store}, pinned: for every segment its record, then every block,
   * each checked by the store against its block hash before it is kept. A package that does not
   * read (format, bounds, truncation) or a block that fails its hash stops the import with a
   * {@link CachePackage.FormatException}, and the segments this import added are removed again
   * (segments that were there before stay as they were).
   */
  public static ImportResult importInto(ChunkStore store, InputStream in, Progress progress) throws IOException {
    CachePackage.Reader r = new CachePackage.Reader(in);
    Set<SegmentId> added = new LinkedHashSet<>();
    List<SegmentId> pinnedByUs = new ArrayList<>();
    int segments = 0;
    long blockBytes = 0;
    long stored = 0;
    boolean ok = false;
    try {
      int index = 0;
      for (CachePackage.Entry e = r.nextEntry(); e != null; e = r.nextEntry()) {
        ContentInformation info = e.info();
        List<SegmentRecord> records = new ArrayList<>();
        for (int s = 0; s < info.segmentCount(); s++) {
          SegmentRecord rec;
          try {
            rec = SegmentRecords.from(info, s);
          } catch (IllegalArgumentException x) {
            throw new CachePackage.FormatException(e.path() + ": segment " + s + ": " + x.getMessage());
          }
          records.add(rec);
          if (store.segment(rec.id()).isEmpty()) {
            added.add(rec.id());
          }
          store.putSegment(rec);
          if (!store.isPinned(rec.id())) {
            store.pin(rec.id());
            pinnedByUs.add(rec.id());
          }
        }
        segments += records.size();
        long fileBytes = 0;
        while (true) {
          int s = r.segment();
          int b = r.block();
          byte[] data = r.nextBlock();
          if (data == null) {
            break;
          }
          fileBytes += data.length;
          SegmentId id = records.get(s).id();
          if (store.hasBlock(id, b)) {
            continue;
          }
          try {
            store.putBlock(id, b, data);
          } catch (BlockVerificationException x) {
            throw new CachePackage.FormatException(e.path() + ": block " + b + " of segment " + id
                + " does not match its hash: the package is damaged; nothing of it was kept");
          } catch (StoreFullException x) {
            throw new IOException("the store is full (" + x.getMessage() + "); raise cache-size and import again", x);
          }
          stored += data.length;
        }
        blockBytes += fileBytes;
        progress.file(++index, r.entries(), e.path(), records.size(), fileBytes);
      }
      r.finish();
      ok = true;
      return new ImportResult(r.entries(), segments, added.size(), blockBytes, stored);
    } finally {
      if (!ok) {
        for (SegmentId id : pinnedByUs) {
          if (!added.contains(id)) {
            store.unpin(id);
          }
        }
        for (SegmentId id : added) {
          store.removeSegment(id);
        }
      }
    }
  }
}
