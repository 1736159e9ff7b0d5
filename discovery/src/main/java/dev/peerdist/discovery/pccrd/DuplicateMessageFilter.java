package dev.peerdist.discovery.pccrd;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the last {@code capacity} MessageIDs so that a retransmitted or replayed message is
 * handled once (SOAP-over-UDP sends probes more than once, PROTOCOL.md §3.6). Thread-safe.
 *
 * <p>The responder uses two steps: {@link #sight} when a probe arrives (a new id is remembered as
 * heard) and {@link #handled} once it was really processed. A probe that was heard but not
 * handled (the rate limit dropped it) is therefore processed again when its sender repeats it
 * with the same MessageID, as iPXE does after 1 s, instead of being lost for good.
 */
public final class DuplicateMessageFilter {
  /** What is known about a MessageID when it arrives. */
  public enum Sighting {
    /** Never seen (now remembered as heard). */
    NEW,
    /** Seen before but not handled: process it, but do not report it as new. */
    HEARD,
    /** Handled before: a duplicate. */
    HANDLED
  }

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

  /** True the first time {@code messageId} is seen (and remembers it as handled), false for a repeat. */
  public synchronized boolean firstSighting(String messageId) {
    return seen.put(messageId, Boolean.TRUE) == null;
  }

  /** Looks {@code messageId} up, remembering a new one as heard (not handled). */
  public synchronized Sighting sight(String messageId) {
    Boolean handled = seen.putIfAbsent(messageId, Boolean.FALSE); // one lookup, as get then put would do
    if (handled == null) {
      return Sighting.NEW;
    }
    return handled ? Sighting.HANDLED : Sighting.HEARD;
  }

  /** Marks {@code messageId} as handled: later copies are duplicates. */
  public synchronized void handled(String messageId) {
    seen.put(messageId, Boolean.TRUE);
  }

  /** Whether {@code messageId} was handled ({@link #handled}): a copy of it is a duplicate. */
  public synchronized boolean wasHandled(String messageId) {
    return Boolean.TRUE.equals(seen.get(messageId));
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
