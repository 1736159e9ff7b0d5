package dev.peerdist.discovery.pccrd;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the last {@code capacity} MessageIDs so that a retransmitted or replayed message is
 * handled once (SOAP-over-UDP sends probes more than once, PROTOCOL.md §3.6). Thread-safe.
 */
public final class DuplicateMessageFilter {
  private final Map<String, Boolean> seen;

  public DuplicateMessageFilter(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive, got " + capacity);
    }
    this.seen = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  /** True the first time {@code messageId} is seen (and remembers it), false for a repeat. */
  public synchronized boolean firstSighting(String messageId) {
    return seen.put(messageId, Boolean.TRUE) == null;
  }

  /** Whether {@code messageId} is remembered, without remembering it. */
  public synchronized boolean contains(String messageId) {
    return seen.containsKey(messageId);
  }

  /** How many ids are remembered now. */
  public synchronized int size() {
    return seen.size();
  }
}
