package dev.peerdist.simulator.model;

import java.util.Arrays;
import java.util.NoSuchElementException;

/**
 * The model's event queue: a min-heap ordered by time, then by insertion order, so that events at
 * the same instant run in the order they were scheduled (what makes a run repeatable). The order is
 * total (no two events share an insertion number), so any correct heap polls the same sequence.
 *
 * <p>Laid out for the memory system, which is what a queue of millions of events waits on: four
 * children per node instead of two (half the levels), and each entry's time and insertion number
 * side by side in one array, so that the four children's keys are 64 contiguous bytes, one cache
 * line, instead of two arrays' worth of scattered reads. The keys start {@link #PAD} entries into
 * their array so that a node's four children fill one 64-byte line where the array itself starts
 * on one (a large array does: the collector places it at the start of a heap region); unpadded,
 * every group of four children straddled two lines. The events themselves move only with their
 * keys and are read only when polled. Not thread-safe.
 *
 * @param <E> the events
 */
final class EventQueue<E> {
  private static final int ARITY = 4;
  /**
   * Entries before entry 0 in {@link #keys}: with a 16-byte array header, the children
   * {@code 4i + 1 .. 4i + 4} of entry {@code i} then start {@code 64 (i + 1)} bytes into the array.
   */
  private static final int PAD = 2;
  /** Entry {@code i}'s time at {@code 2 (i + PAD)}, its insertion number just after it. */
  private long[] keys = new long[2 * (1024 + PAD)];
  private Object[] items = new Object[1024];
  private int size;
  private long added;

  /** Adds {@code item} to run at {@code time}, after everything already queued for that time. */
  void add(long time, E item) {
    if (size == items.length) {
      int grown = size * 2;
      keys = Arrays.copyOf(keys, 2 * (grown + PAD));
      items = Arrays.copyOf(items, grown);
    }
    long seq = added++;
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) / ARITY;
      if (!before(time, seq, keys[2 * (parent + PAD)], keys[2 * (parent + PAD) + 1])) {
        break;
      }
      move(parent, i);
      i = parent;
    }
    put(i, time, seq, item);
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** The time of the earliest event; the queue must not be empty. */
  long firstTime() {
    if (size == 0) {
      throw new NoSuchElementException("no events");
    }
    return keys[2 * PAD];
  }

  /** Removes and returns the earliest event. */
  @SuppressWarnings("unchecked")
  E poll() {
    if (size == 0) {
      throw new NoSuchElementException("no events");
    }
    E first = (E) items[0];
    int last = --size;
    long time = keys[2 * (last + PAD)];
    long seq = keys[2 * (last + PAD) + 1];
    Object item = items[last];
    items[last] = null;
    if (last > 0) {
      int i = 0;
      while (true) {
        int child = ARITY * i + 1;
        if (child >= last) {
          break;
        }
        // The earliest of up to four children.
        int end = Math.min(child + ARITY, last);
        int best = child;
        long bt = keys[2 * (child + PAD)];
        long bs = keys[2 * (child + PAD) + 1];
        for (int c = child + 1; c < end; c++) {
          long ct = keys[2 * (c + PAD)];
          long cs = keys[2 * (c + PAD) + 1];
          if (before(ct, cs, bt, bs)) {
            best = c;
            bt = ct;
            bs = cs;
          }
        }
        if (!before(bt, bs, time, seq)) {
          break;
        }
        move(best, i);
        i = best;
      }
      put(i, time, seq, item);
    }
    return first;
  }

  private static boolean before(long time, long seq, long otherTime, long otherSeq) {
    return time < otherTime || (time == otherTime && seq < otherSeq);
  }

  private void move(int from, int to) {
    keys[2 * (to + PAD)] = keys[2 * (from + PAD)];
    keys[2 * (to + PAD) + 1] = keys[2 * (from + PAD) + 1];
    items[to] = items[from];
  }

  private void put(int i, long time, long seq, Object item) {
    keys[2 * (i + PAD)] = time;
    keys[2 * (i + PAD) + 1] = seq;
    items[i] = item;
  }
}
