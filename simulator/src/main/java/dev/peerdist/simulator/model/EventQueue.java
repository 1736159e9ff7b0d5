package dev.peerdist.simulator.model;

import java.util.Arrays;
import java.util.NoSuchElementException;

/**
 * The model's event queue: a binary min-heap ordered by time, then by insertion order, so that
 * events at the same instant run in the order they were scheduled (what makes a run repeatable).
 * The keys live in primitive arrays beside the events: a comparison reads two longs instead of
 * two objects, which is most of what a {@link java.util.PriorityQueue} with a comparator spends
 * its time on when it holds hundreds of thousands of events. Not thread-safe.
 *
 * @param <E> the events
 */
final class EventQueue<E> {
  private long[] times = new long[1024];
  private long[] order = new long[1024];
  private Object[] items = new Object[1024];
  private int size;
  private long added;

  /** Adds {@code item} to run at {@code time}, after everything already queued for that time. */
  void add(long time, E item) {
    if (size == items.length) {
      int grown = size * 2;
      times = Arrays.copyOf(times, grown);
      order = Arrays.copyOf(order, grown);
      items = Arrays.copyOf(items, grown);
    }
    long seq = added++;
    int i = size++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!before(time, seq, times[parent], order[parent])) {
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
    return times[0];
  }

  /** Removes and returns the earliest event. */
  @SuppressWarnings("unchecked")
  E poll() {
    if (size == 0) {
      throw new NoSuchElementException("no events");
    }
    E first = (E) items[0];
    int last = --size;
    long time = times[last];
    long seq = order[last];
    Object item = items[last];
    items[last] = null;
    if (last > 0) {
      int i = 0;
      int half = last >>> 1;
      while (i < half) {
        int child = 2 * i + 1;
        int right = child + 1;
        if (right < last && before(times[right], order[right], times[child], order[child])) {
          child = right;
        }
        if (!before(times[child], order[child], time, seq)) {
          break;
        }
        move(child, i);
        i = child;
      }
      put(i, time, seq, item);
    }
    return first;
  }

  private static boolean before(long time, long seq, long otherTime, long otherSeq) {
    return time < otherTime || (time == otherTime && seq < otherSeq);
  }

  private void move(int from, int to) {
    times[to] = times[from];
    order[to] = order[from];
    items[to] = items[from];
  }

  private void put(int i, long time, long seq, Object item) {
    times[i] = time;
    order[i] = seq;
    items[i] = item;
  }
}
