package dev.peerdist.node.metrics;

import dev.peerdist.chunkstore.BlockVerificationException;
import dev.peerdist.chunkstore.ChunkStore;
import dev.peerdist.chunkstore.StoreClosedException;
import dev.peerdist.chunkstore.StoreFullException;
import dev.peerdist.chunkstore.UnknownSegmentException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * Counts the failures of a node's chunk store ({@code peerdist_store_errors_total{operation}}) for
 * every user of it (engine, PCCRR server, discovery responder) by wrapping the store in a proxy
 * that sees every call, including methods added to {@link ChunkStore} later. Not counted, because
 * they are not failures of the store: asking for an unknown segment, a full store (see the
 * capacity gauges), a block from a peer that did not verify (counted as corrupt blocks), and calls
 * after close.
 */
public final class StoreErrorCounting {
  private static final Set<String> WRITES = Set.of("putSegment", "putBlock", "pin", "unpin", "removeSegment",
      "setCapacity", "evictTo");

  private StoreErrorCounting() {}

  /** {@code store}, with its failures counted on {@code meters}. */
  public static ChunkStore wrap(ChunkStore store, NodeMeters meters) {
    return (ChunkStore) Proxy.newProxyInstance(ChunkStore.class.getClassLoader(), new Class<?>[] {ChunkStore.class},
        (proxy, method, args) -> {
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (!(t instanceof UnknownSegmentException || t instanceof StoreFullException
                || t instanceof BlockVerificationException || t instanceof StoreClosedException)) {
              meters.storeError(WRITES.contains(method.getName()) ? "write" : "read");
            }
            throw t;
          }
        });
  }
}
