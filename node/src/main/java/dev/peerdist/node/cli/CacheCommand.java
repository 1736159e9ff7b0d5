package dev.peerdist.node.cli;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.SegmentInfo;
import dev.peerdist.chunkstore.StoreStats;
import dev.peerdist.chunkstore.content.SegmentId;
import dev.peerdist.chunkstore.rocksdb.RocksChunkStore;
import dev.peerdist.node.units.Size;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code peerdist cache}: inspect and manage a node's chunk store while the node is stopped (the
 * store's LOCK file keeps a running daemon's store from being opened twice).
 */
@Command(
    name = "cache",
    mixinStandardHelpOptions = true,
    description = "Inspect and manage a chunk store (the daemon must not be running on it).",
    subcommands = {
      CacheCommand.Stats.class,
      CacheCommand.ListSegments.class,
      CacheCommand.Pin.class,
      CacheCommand.Unpin.class,
      CacheCommand.Evict.class,
      CacheCommand.Capacity.class,
      CacheCommand.Import.class,
    })
public final class CacheCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every subcommand shares. */
  static final class StoreOption {
    @Option(names = "--store", required = true, paramLabel = "DIR", description = "Chunk store directory.")
    Path store;

    @Mixin VerboseOption verbose;
  }

  /** Opens an existing store, runs {@code body}, closes it; store errors become one line. */
  static <T> T withStore(StoreOption o, Function<RocksChunkStore, T> body) {
    RocksChunkStore store;
    try {
      store = RocksChunkStore.at(o.store).createIfMissing(false).open();
    } catch (ChunkStoreException e) {
      throw new UserException(e.getMessage(), ExitCodes.SOFTWARE, e);
    }
    try (store) {
      return body.apply(store);
    } catch (ChunkStoreException e) {
      throw new UserException(e.getMessage(), ExitCodes.SOFTWARE, e);
    }
  }

  /** Byte count with a binary-unit approximation, e.g. {@code 3221225472 (3.0 GiB)}. */
  static String bytes(long n) {
    return n < 1024 ? n + " B" : n + " (" + Size.ofBytes(n).approximate() + ")";
  }

  @Command(name = "stats", mixinStandardHelpOptions = true, description = "Print the store's accounting.")
  static final class Stats implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      withStore(store, s -> {
        StoreStats st = s.stats();
        out.println("store:      " + s.directory());
        out.println("used:       " + bytes(st.usedBytes()));
        out.println("capacity:   " + bytes(st.capacityBytes()));
        out.println("pinned:     " + bytes(st.pinnedBytes()));
        out.println("segments:   " + st.segments());
        out.println("blocks:     " + st.blocks());
        s.nativeProperty("rocksdb.total-sst-files-size")
            .ifPresent(v -> out.println("sst files:  " + bytes(v)));
        // Block values live in value files (docs/STORE.md); a store written by older versions also
        // keeps some in blob files: with the SSTs, the store's size on disk.
        out.println("value files: " + bytes(s.valueFileBytes()));
        s.nativeProperty("rocksdb.live-blob-file-size")
            .ifPresent(v -> out.println("blob files: " + bytes(v)));
        return null;
      });
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List segments, one line each, least recently used first.",
        "Columns: ID  VERSION  HELD/BLOCKS  BYTES  pinned|-  LAST-ACCESS (ISO-8601 UTC).",
        "Unpinned segments are evicted in this order."
      })
  static final class ListSegments implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      withStore(store, s -> {
        for (SegmentInfo i : s.segmentsByLastAccess()) {
          out.println(i.id().toHex() + "  " + i.version() + "  " + i.presentBlocks() + "/" + i.blockCount()
              + "  " + i.storedBytes() + "  " + (i.pinned() ? "pinned" : "-") + "  " + i.lastAccess());
        }
        return null;
      });
      out.flush();
      return ExitCodes.OK;
    }
  }

  /** What pin and unpin share: parse the ids, apply one change to each, report the count. */
  abstract static class PinChange implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Parameters(arity = "1..*", paramLabel = "SEGMENT", description = "Segment id (hex).")
    List<String> ids;

    abstract void apply(ChunkStore s, SegmentId id);

    abstract String verb();

    @Override
    public Integer call() {
      List<SegmentId> parsed = ids.stream().map(SegmentId::fromHex).toList();
      withStore(store, s -> {
        parsed.forEach(id -> apply(s, id));
        return null;
      });
      spec.commandLine().getOut().println(verb() + " " + parsed.size() + " segment(s)");
      spec.commandLine().getOut().flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "pin", mixinStandardHelpOptions = true,
      description = "Pin segments: they are never evicted. Survives restarts.")
  static final class Pin extends PinChange {
    @Override
    void apply(ChunkStore s, SegmentId id) {
      s.pin(id);
    }

    @Override
    String verb() {
      return "pinned";
    }
  }

  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = "Unpin segments: they become evictable again.")
  static final class Unpin extends PinChange {
    @Override
    void apply(ChunkStore s, SegmentId id) {
      s.unpin(id);
    }

    @Override
    String verb() {
      return "unpinned";
    }
  }

  @Command(name = "evict", mixinStandardHelpOptions = true,
      description = {"Remove named segments, or evict least-recently-used ones.",
          "With --to, unpinned segments are evicted until at most SIZE bytes are used;",
          "named segments that are pinned are removed only with --force."})
  static final class Evict implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Option(names = "--to", paramLabel = "SIZE", converter = QuantityConverters.SizeConverter.class,
        description = "Evict until at most SIZE bytes are used (e.g. 512MiB, 10G; units count in 1024s).")
    Size to;

    @Option(names = "--force", description = "Also remove named segments that are pinned.")
    boolean force;

    @Parameters(arity = "0..*", paramLabel = "SEGMENT", description = "Segment id (hex).")
    List<String> ids = List.of();

    @Override
    public Integer call() {
      if ((to == null) == ids.isEmpty()) {
        throw UserException.usage("give either --to SIZE or segment ids, not both and not neither");
      }
      List<SegmentId> parsed = ids.stream().map(SegmentId::fromHex).toList();
      PrintWriter out = spec.commandLine().getOut();
      withStore(store, s -> {
        if (to != null) {
          int n = s.evictTo(to.bytes());
          out.println("evicted " + n + " segment(s); " + bytes(s.stats().usedBytes()) + " used");
          return null;
        }
        for (SegmentId id : parsed) {
          if (s.segment(id).isEmpty()) {
            throw new UserException("segment " + id + " is not in " + s.directory());
          }
          if (s.isPinned(id) && !force) {
            throw new UserException("segment " + id + " is pinned; unpin it or add --force");
          }
        }
        parsed.forEach(s::removeSegment);
        out.println("removed " + parsed.size() + " segment(s); " + bytes(s.stats().usedBytes()) + " used");
        return null;
      });
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "capacity", mixinStandardHelpOptions = true,
      description = {"Print the size limit, or set it (evicting least-recently-used unpinned segments).",
          "The store keeps it: a node started with cache-size at its default keeps it too; a node",
          "started with cache-size set (flag, PEERDIST_CACHE_SIZE, config file) applies that instead."})
  static final class Capacity implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Parameters(arity = "0..1", paramLabel = "SIZE", converter = QuantityConverters.SizeConverter.class,
        description = "New limit (e.g. 512MiB, 1.5G; units count in 1024s).")
    Size size;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      withStore(store, s -> {
        if (size != null) {
          s.setCapacity(size.bytes());
        }
        StoreStats st = s.stats();
        out.println("capacity " + bytes(st.capacityBytes()) + "; " + bytes(st.usedBytes()) + " used");
        return null;
      });
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = {"Load an offline cache package ('peerdist publish --export-package') into a stopped",
          "node's store, pinned. Every block is checked against its hash before it is kept; a damaged",
          "package stops the import and leaves the store as it was."})
  static final class Import implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin StoreOption store;

    @Parameters(index = "0", paramLabel = "FILE", description = "The package.")
    Path file;

    @Override
    public Integer call() {
      java.io.PrintWriter out = spec.commandLine().getOut();
      dev.peerdist.node.cachepackage.PackageTransfer.ImportResult r = withStore(store, s -> {
        try (java.io.InputStream in = new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file),
            1 << 20)) {
          return dev.peerdist.node.cachepackage.PackageTransfer.importInto(s, in, (i, n, path, segments, bytes) -> {
            out.printf("imported %d/%d %s: %d segment(s), %d bytes%n", i, n, path, segments, bytes);
            out.flush();
          });
        } catch (java.nio.file.NoSuchFileException e) {
          throw UserException.usage("no such package: " + file);
        } catch (java.io.IOException e) {
          throw new UserException("cannot import " + file + ": " + e.getMessage(), ExitCodes.SOFTWARE, e);
        }
      });
      out.printf("imported %d file(s): %d segment(s) (%d new), %d bytes stored, pinned%n", r.files(), r.segments(),
          r.newSegments(), r.storedBytes());
      out.flush();
      return ExitCodes.OK;
    }
  }
}
