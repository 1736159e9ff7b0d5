package dev.peerdist.chunkstore.rocksdb;

import java.nio.file.Path;

/** The whole contract again with block values inline in SST files (no value files, no blob files). */
class RocksInlineChunkStoreTest extends RocksChunkStoreTest {
  @Override
  protected RocksChunkStore.Builder configure(Path dir) {
    return super.configure(dir).valueFiles(false).blobFiles(false);
  }
}
