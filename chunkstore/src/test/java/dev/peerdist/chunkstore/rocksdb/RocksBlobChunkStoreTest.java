package dev.peerdist.chunkstore.rocksdb;

import java.nio.file.Path;

/** The whole contract again with block values in RocksDB blob files (the layout before value files). */
class RocksBlobChunkStoreTest extends RocksChunkStoreTest {
  @Override
  protected RocksChunkStore.Builder configure(Path dir) {
    return super.configure(dir).valueFiles(false).blobFiles(true);
  }
}
