package dev.peerdist.chunkstore.rocksdb;

import java.nio.file.Path;

/** The RocksDB store with block values in blob files passes the same contract. */
class RocksBlobChunkStoreTest extends RocksChunkStoreTest {
  @Override
  protected RocksChunkStore.Builder configure(Path dir) {
    return super.configure(dir).blobFiles(true);
  }
}
