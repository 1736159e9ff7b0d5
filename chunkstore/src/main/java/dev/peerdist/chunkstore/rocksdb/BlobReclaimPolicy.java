package dev.peerdist.chunkstore.rocksdb;

import java.util.List;

/**
 * Decides which blob files a space reclaim rewrites ({@link RocksChunkStore#reclaimSpace()}):
 * pure arithmetic on per-file figures, no RocksDB.
 *
 * <p>RocksDB's blob garbage collection relocates the live blobs of the oldest blob files (an
 * "age cutoff": a fraction of the files, oldest first) when the keys that reference them are
 * compacted. So what can be rewritten is always an oldest-first prefix of the files. The policy:
 *
 * <ol>
 *   <li>Nothing happens unless the garbage in all blob files together is at least
 *       {@code minGarbageBytes} and at least {@link #MIN_GARBAGE_SHARE} of their bytes: below
 *       that the space is not worth a rewrite.
 *   <li>The prefix is the longest oldest-first run of files whose garbage, summed over the run,
 *       is at least {@link #MIN_PREFIX_GARBAGE_SHARE} of its bytes. Relocation then writes at
 *       most as many live bytes as it frees.
 * </ol>
 *
 * @param minGarbageBytes garbage below which a reclaim does nothing
 */
record BlobReclaimPolicy(long minGarbageBytes) {
  /** Share of all blob bytes that must be garbage before a reclaim rewrites anything. */
  static final double MIN_GARBAGE_SHARE = 0.25;
  /** Share of the rewritten prefix that must be garbage: live bytes moved ≤ bytes freed. */
  static final double MIN_PREFIX_GARBAGE_SHARE = 0.5;

  BlobReclaimPolicy {
    if (minGarbageBytes < 0) {
      throw new IllegalArgumentException("reclaim threshold " + minGarbageBytes + " bytes is negative");
    }
  }

  /** One blob file: its number (higher is newer), size on disk and bytes of live blob records. */
  record BlobFile(long number, long bytes, long liveBytes) {
    long garbageBytes() {
      return Math.max(0, bytes - liveBytes);
    }
  }

  /**
   * What to rewrite.
   *
   * @param files how many of the oldest files to rewrite (0: nothing)
   * @param ageCutoff the RocksDB age cutoff that selects exactly those files out of {@code of}
   * @param garbageBytes garbage in those files (freed by the rewrite)
   * @param liveBytes live bytes in those files (relocated by the rewrite)
   * @param why a sentence for the log
   */
  record Plan(int files, int of, double ageCutoff, long garbageBytes, long liveBytes, String why) {
    boolean rewrites() {
      return files > 0;
    }
  }

  /** The plan for {@code files}, oldest first (ascending file number). */
  Plan plan(List<BlobFile> files) {
    long total = 0;
    long garbage = 0;
    for (BlobFile f : files) {
      total += f.bytes();
      garbage += f.garbageBytes();
    }
    int n = files.size();
    if (n == 0 || garbage < minGarbageBytes || garbage < MIN_GARBAGE_SHARE * total) {
      return new Plan(0, n, 0, 0, 0, String.format(java.util.Locale.ROOT,
          "%d bytes of garbage in %d bytes of blob files: below the threshold (%d bytes and %.0f %%)", garbage,
          total, minGarbageBytes, MIN_GARBAGE_SHARE * 100));
    }
    int best = 0;
    long prefixBytes = 0;
    long prefixGarbage = 0;
    long bestGarbage = 0;
    long bestLive = 0;
    for (int k = 0; k < n; k++) {
      prefixBytes += files.get(k).bytes();
      prefixGarbage += files.get(k).garbageBytes();
      if (prefixGarbage >= MIN_PREFIX_GARBAGE_SHARE * prefixBytes) {
        best = k + 1;
        bestGarbage = prefixGarbage;
        bestLive = prefixBytes - prefixGarbage;
      }
    }
    if (best == 0) {
      return new Plan(0, n, 0, 0, 0, "the oldest blob files are mostly live: rewriting them would move more than it frees");
    }
    return new Plan(best, n, ageCutoff(best, n), bestGarbage, bestLive,
        "the oldest " + best + " of " + n + " blob files hold " + bestGarbage + " bytes of garbage");
  }

  /**
   * The age cutoff that makes RocksDB relocate exactly the oldest {@code k} of {@code n} blob
   * files: it takes the files before index {@code floor(cutoff × n)}, so aim at the middle of the
   * step to stay clear of rounding.
   */
  static double ageCutoff(int k, int n) {
    return k >= n ? 1.0 : (k + 0.5) / n;
  }
}
