package dev.peerdist.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.ChunkStoreException;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.chunkstore.UnknownSegmentException;
import dev.peerdist.chunkstore.content.SegmentId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/** Store failures are counted by operation; absent segments, a full store and success are not. */
class StoreErrorCountingTest {
  private static double count(NodeMeters m, String op) {
    return m.registry().get(NodeMeters.STORE_ERRORS).tag("operation", op).counter().count();
  }

  /** A store whose every call throws what {@code failure} says. */
  private static ChunkStore failing(RuntimeException failure) {
    return (ChunkStore) Proxy.newProxyInstance(ChunkStore.class.getClassLoader(), new Class<?>[] {ChunkStore.class},
        (p, method, args) -> {
          if (method.getName().equals("hasBlock") && failure == null) {
            return true;
          }
          throw failure;
        });
  }

  @Test
  void countsReadAndWriteFailures() {
    NodeMeters m = new NodeMeters(new SimpleMeterRegistry());
    SegmentId id = SegmentId.of(new byte[32]);
    ChunkStore broken = StoreErrorCounting.wrap(failing(new ChunkStoreException("disk I/O error")), m);
    ChunkStoreException e = assertThrows(ChunkStoreException.class, () -> broken.readBlock(id, 0));
    assertTrue(e.getMessage().contains("disk I/O error"), "the original exception reaches the caller");
    assertThrows(ChunkStoreException.class, () -> broken.putBlock(id, 0, new byte[1], 0, 1));
    assertThrows(ChunkStoreException.class, () -> broken.pin(id));
    assertEquals(1.0, count(m, "read"));
    assertEquals(2.0, count(m, "write"));
  }

  @Test
  void doesNotCountWhatIsNotAStoreFailure() {
    NodeMeters m = new NodeMeters(new SimpleMeterRegistry());
    SegmentId id = SegmentId.of(new byte[32]);
    assertThrows(UnknownSegmentException.class,
        () -> StoreErrorCounting.wrap(failing(new UnknownSegmentException("no such segment")), m).presentBlocks(id));
    assertThrows(StoreFullException.class,
        () -> StoreErrorCounting.wrap(failing(new StoreFullException("full")), m).putBlock(id, 0, new byte[1], 0, 1));
    assertTrue(StoreErrorCounting.wrap(failing(null), m).hasBlock(id, 0));
    assertEquals(0.0, count(m, "read") + count(m, "write"));
  }
}
