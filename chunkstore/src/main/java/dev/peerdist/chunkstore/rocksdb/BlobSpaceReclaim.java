package dev.peerdist.chunkstore.rocksdb;

import java.time.Duration;

/**
 * What one {@link RocksChunkStore#reclaimSpace()} did.
 *
 * @param rewrote whether blob files were rewritten (blob garbage collection ran)
 * @param blobBytesBefore bytes in live blob files before ({@code rocksdb.live-blob-file-size})
 * @param blobBytesAfter the same after; {@code before - after} is what the reclaim freed (less
 *     whatever puts wrote meanwhile)
 * @param filesRewritten how many of the oldest blob files were selected for rewriting
 * @param blobFiles how many live blob files there were after the keys were compacted
 * @param relocatedBytes live bytes the rewrite moved (estimated from the keys, before it ran)
 * @param took how long the whole reclaim took
 * @param reason why it did or did not rewrite, for logs
 */
public record BlobSpaceReclaim(boolean rewrote, long blobBytesBefore, long blobBytesAfter, int filesRewritten,
    int blobFiles, long relocatedBytes, Duration took, String reason) {
  /** Bytes the reclaim freed (never negative). */
  public long freedBytes() {
    return Math.max(0, blobBytesBefore - blobBytesAfter);
  }
}
