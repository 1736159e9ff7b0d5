package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.StoreClosedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;

/**
 * Reclaims the blob-file space of removed blocks without continuous rewriting (issue 12). Owned
 * by one {@link RocksChunkStore}; all its mutable state is its own.
 *
 * <p>The store keeps blob garbage collection off: a blob file is deleted only once every blob in
 * it is dead, so removed segments that shared files with live ones leave garbage. A reclaim
 * (debounced after removals, or {@link #reclaimNow()}):
 *
 * <ol>
 *   <li>compacts the {@code blocks} family's keys (blob references only, a few dozen bytes per
 *       block), so deletions are applied, garbage is accounted and wholly dead files go;
 *   <li>reads, from the family's SST files, how many live bytes each blob file still holds;
 *   <li>asks {@link BlobReclaimPolicy} which oldest-first prefix of files is worth rewriting and,
 *       if any, turns blob garbage collection on with the matching age cutoff, compacts the
 *       family once more (live blobs of those files move to new files, the old files go) and
 *       turns it off again.
 * </ol>
 *
 * Bounds: one reclaim at a time; it runs under the store's close guard, so never while the store
 * closes or repairs itself; closing cancels a compaction in progress and stops the background
 * thread. The garbage collection switch is an in-memory option change: a kill during a reclaim
 * leaves it off at the next open (the store sets its own options).
 */
final class BlobReclaimer {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BlobReclaimer.class);
  /** RocksDB's blob record header (key length, value length, expiration, two CRCs). */
  private static final int BLOB_RECORD_HEADER = 32;
  /** RocksDB's default age cutoff, restored with garbage collection off (it then means nothing). */
  private static final double DEFAULT_AGE_CUTOFF = 0.25;

  private final RocksChunkStore store;
  private final BlobReclaimPolicy policy;
  private final Duration delay;
  /** One reclaim at a time, background or explicit. */
  private final ReentrantLock running = new ReentrantLock();
  private final Object state = new Object();
  /** Guarded by {@link #state}. */
  private boolean stopped;
  /** Guarded by {@link #state}: a background run is waiting for its delay. */
  private boolean scheduled;
  /** Guarded by {@link #state}: the compaction in progress, to cancel on close. */
  private CompactRangeOptions compacting;
  /** Guarded by {@link #state}. */
  private Thread thread;

  BlobReclaimer(RocksChunkStore store, BlobReclaimPolicy policy, Duration delay) {
    this.store = store;
    this.policy = policy;
    this.delay = delay;
  }

  /** Segments were removed: a reclaim runs after the delay (one for every removal meanwhile). */
  void segmentsRemoved() {
    if (!store.blobFiles()) {
      return;
    }
    synchronized (state) {
      if (stopped || scheduled) {
        return;
      }
      scheduled = true;
      Thread t = new Thread(this::runLater, "peerdist-store-reclaim");
      t.setDaemon(true);
      thread = t;
      t.start();
    }
  }

  private void runLater() {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      return; // closing
    } finally {
      synchronized (state) {
        scheduled = false; // removals from now on schedule the next run
      }
    }
    try {
      reclaimNow();
    } catch (StoreClosedException e) {
      // Closed meanwhile: nothing to reclaim.
    } catch (RuntimeException e) {
      LOG.warn("{}: space reclaim failed: {}", store.name(), e.getMessage());
    }
  }

  /** Cancels a compaction in progress and the background thread; later reclaims do nothing. */
  void stop() {
    Thread t;
    synchronized (state) {
      stopped = true;
      if (compacting != null) {
        compacting.setCanceled(true);
      }
      t = thread;
    }
    if (t != null) {
      t.interrupt();
    }
  }

  /** Runs a reclaim now (after one in progress, if any). */
  BlobSpaceReclaim reclaimNow() {
    running.lock();
    try {
      return store.whileOpen(this::reclaimWhileOpen);
    } finally {
      running.unlock();
    }
  }

  private BlobSpaceReclaim reclaimWhileOpen() {
    long start = System.nanoTime();
    if (!store.blobFiles()) {
      return new BlobSpaceReclaim(false, 0, 0, 0, 0, 0, Duration.ZERO, "block values are inline (blob files off)");
    }
    RocksDB db = store.database();
    ColumnFamilyHandle blocks = store.blocksFamily();
    long before = blobBytes(db, blocks);
    if (!compact(db, blocks)) {
      return stoppedResult(before, start);
    }
    List<BlobReclaimPolicy.BlobFile> files;
    try {
      files = blobFiles(db);
    } catch (FilesChanged e) {
      return new BlobSpaceReclaim(false, before, blobBytes(db, blocks), 0, 0, 0, since(start),
          "the files changed while being read (" + e.getMessage() + "); the next reclaim tries again");
    }
    BlobReclaimPolicy.Plan plan = policy.plan(files);
    if (!plan.rewrites()) {
      long after = blobBytes(db, blocks);
      LOG.debug("{}: no blob files rewritten: {}", store.name(), plan.why());
      return new BlobSpaceReclaim(false, before, after, 0, files.size(), 0, since(start), plan.why());
    }
    boolean done;
    setGarbageCollection(db, blocks, true, plan.ageCutoff());
    try {
      done = compact(db, blocks);
    } finally {
      setGarbageCollection(db, blocks, false, DEFAULT_AGE_CUTOFF);
    }
    if (!done) {
      return stoppedResult(before, start);
    }
    long after = blobBytes(db, blocks);
    Duration took = since(start);
    LOG.info(String.format(Locale.ROOT,
        "%s: reclaimed blob space: freed %.1f MiB (%.1f -> %.1f MiB in blob files), rewrote the oldest %d of %d "
            + "blob files, relocated %.1f MiB of live blocks, %d ms",
        store.name(), mib(Math.max(0, before - after)), mib(before), mib(after), plan.files(), plan.of(),
        mib(plan.liveBytes()), took.toMillis()));
    return new BlobSpaceReclaim(true, before, after, plan.files(), plan.of(), plan.liveBytes(), took, plan.why());
  }

  private BlobSpaceReclaim stoppedResult(long before, long start) {
    return new BlobSpaceReclaim(false, before, before, 0, 0, 0, since(start), "stopped: the store is closing");
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static double mib(long bytes) {
    return bytes / (double) (1 << 20);
  }

  private long blobBytes(RocksDB db, ColumnFamilyHandle blocks) {
    try {
      return db.getLongProperty(blocks, "rocksdb.live-blob-file-size");
    } catch (RocksDBException e) {
      throw store.failureOf("read the blob file size", e);
    }
  }

  /**
   * Compacts the whole {@code blocks} family, bottommost level included (so tombstones are
   * dropped); false when the store's closing cancelled it.
   */
  private boolean compact(RocksDB db, ColumnFamilyHandle blocks) {
    // Not exclusive: automatic compactions of new flushes go on meanwhile, so puts do not stall.
    CompactRangeOptions o = new CompactRangeOptions()
        .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)
        .setExclusiveManualCompaction(false);
    synchronized (state) {
      if (stopped) {
        o.close();
        return false;
      }
      compacting = o;
    }
    try {
      db.compactRange(blocks, null, null, o);
      return true;
    } catch (RocksDBException e) {
      synchronized (state) {
        if (stopped) {
          return false;
        }
      }
      throw store.failureOf("compact the blocks to reclaim space", e);
    } finally {
      synchronized (state) {
        compacting = null;
      }
      o.close();
    }
  }

  private void setGarbageCollection(RocksDB db, ColumnFamilyHandle blocks, boolean on, double ageCutoff) {
    MutableColumnFamilyOptions o = MutableColumnFamilyOptions.builder().setEnableBlobGarbageCollection(on)
        .setBlobGarbageCollectionAgeCutoff(ageCutoff).build();
    try {
      db.setOptions(blocks, o);
    } catch (RocksDBException e) {
      throw store.failureOf("turn blob garbage collection " + (on ? "on" : "off"), e);
    }
  }

  /** Thrown when a file listed a moment ago is gone (a compaction removed it). */
  private static final class FilesChanged extends Exception {
    FilesChanged(String m) {
      super(m);
    }
  }

  /**
   * The live blob files, oldest first, with the live bytes each holds: every blob reference in
   * the {@code blocks} family's SST files counted once. References that a newer entry shadows
   * (a deletion or re-put not yet compacted) still count as live, so errors only overstate what
   * is live and a reclaim never rewrites more than the policy allows.
   */
  private List<BlobReclaimPolicy.BlobFile> blobFiles(RocksDB db) throws FilesChanged {
    Map<Long, Long> live = new HashMap<>();
    for (LiveFileMetaData f : db.getLiveFilesMetaData()) {
      if (!RocksChunkStore.BLOCKS.equals(new String(f.columnFamilyName(), StandardCharsets.UTF_8))) {
        continue;
      }
      String path = f.path() + (f.fileName().startsWith("/") ? "" : "/") + f.fileName();
      try (org.rocksdb.Options o = new org.rocksdb.Options();
          SstFileReader reader = new SstFileReader(o);
          ReadOptions ro = new ReadOptions()) {
        reader.open(path);
        try (SstFileReaderIterator it = reader.newIterator(ro)) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            byte[] key = it.key();
            long[] ref = blobReference(it.value());
            if (ref != null) {
              live.merge(ref[0], BLOB_RECORD_HEADER + key.length + ref[1], Long::sum);
            }
          }
          it.status();
        }
      } catch (RocksDBException e) {
        if (!Files.exists(java.nio.file.Path.of(path))) {
          throw new FilesChanged(path + " is gone");
        }
        throw store.failureOf("read the blob references in " + path, e);
      }
    }
    List<BlobReclaimPolicy.BlobFile> files = new ArrayList<>();
    List<String> names;
    try {
      names = db.getLiveFiles(false).files;
    } catch (RocksDBException e) {
      throw store.failureOf("list the live files", e);
    }
    for (String name : names) {
      String n = name.startsWith("/") ? name.substring(1) : name;
      if (!n.endsWith(".blob")) {
        continue;
      }
      long number = Long.parseLong(n.substring(0, n.length() - ".blob".length()));
      long size;
      try {
        size = Files.size(store.directory().resolve(n));
      } catch (NoSuchFileException e) {
        throw new FilesChanged(n + " is gone");
      } catch (IOException e) {
        throw new FilesChanged("cannot read the size of " + n + ": " + e);
      }
      files.add(new BlobReclaimPolicy.BlobFile(number, size, live.getOrDefault(number, 0L)));
    }
    files.sort(Comparator.comparingLong(BlobReclaimPolicy.BlobFile::number));
    return files;
  }

  /**
   * The blob file number and value size of a raw {@code blocks} value that is a blob reference
   * (RocksDB's blob index: type 1, then varint64 file number, offset and size, then a compression
   * byte), or null for an inline value. A stored block is at least 32 bytes (IV and one cipher
   * block), longer than any reference this store writes, so short values are references.
   */
  static long[] blobReference(byte[] v) {
    if (v.length >= 32 || v.length < 5 || v[0] != 1) {
      return null;
    }
    int[] at = {1};
    long file = varint(v, at);
    long offset = varint(v, at);
    long size = varint(v, at);
    if (file < 0 || offset < 0 || size < 0 || at[0] != v.length - 1) {
      return null;
    }
    return new long[] {file, size};
  }

  /** A little-endian base-128 varint from {@code v} at {@code at[0]}, or -1 when malformed. */
  private static long varint(byte[] v, int[] at) {
    long result = 0;
    for (int shift = 0; shift < 64 && at[0] < v.length; shift += 7) {
      int b = v[at[0]++] & 0xFF;
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    return -1;
  }
}
