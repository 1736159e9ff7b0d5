package dev.peerdist.chunkstore.memory;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreConformanceTest;
import dev.peerdist.chunkstore.content.SegmentId;
import java.time.Clock;
import java.util.random.RandomGenerator;

/** The twin passes the shared contract, except persistence across restarts (it has none). */
class InMemoryChunkStoreTest extends ChunkStoreConformanceTest {
  @Override
  protected ChunkStore newStore(long capacityBytes, Clock clock, RandomGenerator random) {
    return new InMemoryChunkStore(capacityBytes, clock, random);
  }

  @Override
  protected boolean canReopen() {
    return false;
  }

  @Override
  protected ChunkStore damage(ChunkStore store, SegmentId id, int index, byte[] value) {
    if (!((InMemoryChunkStore) store).damageStoredBlock(id, index, value)) {
      throw new AssertionError("block " + index + " of " + id + " is not held");
    }
    return store;
  }
}
