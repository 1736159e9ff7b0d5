package dev.peerdist.chunkstore.rocksdb;

import java.nio.file.Path;

/**
 * The RocksDB store with block values inline in SST files (blob files off, as before issue 12)
 * passes the same contract as the default store with blob files ({@link RocksChunkStoreTest}).
 */
class RocksInlineChunkStoreTest extends RocksChunkStoreTest {
  @Override
  protected RocksChunkStore.Builder configure(Path dir) {
    return super.configure(dir).blobFiles(false);
  }
}
