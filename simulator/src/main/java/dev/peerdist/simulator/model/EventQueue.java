package dev.peerdist.simulator.model;

import java.util.Arrays;
import java.util.NoSuchElementException;

/**
 * The model's event queue, ordered by time, then by insertion order, so that events at the same
 * instant run in the order they were scheduled (what makes a run repeatable). The order is total
 * (no two events share an insertion number), so any correct priority queue polls the same sequence.
 *
 * <p>A calendar queue, laid out for the memory system: time is cut into buckets of {@value
 * #WIDTH_NANOS} ns, and a ring of {@value #BUCKETS} buckets (about 4.3 s) holds the events of the
 * coming seconds; later ones wait in a heap and move into the ring as it turns. An event is
 * appended to its bucket; a bucket is sorted once, when its time comes, and then read in order (an
 * event scheduled into the bucket being read is inserted in place). Almost every event of the model
 * is due within milliseconds (a LAN hop, a block, a 20 ms tick, a 2 s timeout), so adding and
 * polling touch one or two buckets instead of a path through a heap of a hundred thousand events,
 * a cache miss per level. Not thread-safe.
 *
 * @param <E> the events
 */
final class EventQueue<E> {
  static final int SHIFT = 17;
  static final long WIDTH_NANOS = 1L << SHIFT;
  static final int BUCKETS = 1 << 15;
  private static final int MASK = BUCKETS - 1;

  /** Per ring slot: its events' times and insertion numbers (pairs), the events, and how many. */
  private final long[][] keys = new long[BUCKETS][];
  private final Object[][] items = new Object[BUCKETS][];
  private final int[] sizes = new int[BUCKETS];
  /** The bucket being read (an absolute bucket number: time >>> SHIFT), its next entry, and whether it is sorted. */
  private long current;
  private int read;
  private boolean sorted;
  /** Events in the ring (not counting those read from the current bucket). */
  private int inRing;
  /** Events due at or after bucket {@code current + BUCKETS}. */
  private final Heap later = new Heap();
  private int size;
  private long added;

  /**
   * Adds {@code item} to run at {@code time} (nanoseconds, not negative), after everything already
   * queued for that time.
   */
  void add(long time, E item) {
    if (time < 0) {
      throw new IllegalArgumentException("event time must be >= 0, got " + time);
    }
    long seq = added++;
    size++;
    long bucket = Math.max(time >>> SHIFT, current); // never earlier than the bucket being read
    if (bucket - current >= BUCKETS) {
      later.add(time, seq, item);
      return;
    }
    put(bucket, time, seq, item);
  }

  private void put(long bucket, long time, long seq, Object item) {
    int slot = (int) (bucket & MASK);
    long[] k = keys[slot];
    int n = sizes[slot];
    if (k == null) {
      k = new long[2 * 16];
      keys[slot] = k;
      items[slot] = new Object[16];
    } else if (2 * n == k.length) {
      k = Arrays.copyOf(k, 2 * k.length);
      keys[slot] = k;
      items[slot] = Arrays.copyOf(items[slot], n * 2);
    }
    Object[] it = items[slot];
    int i = n;
    if (bucket == current && sorted) {
      // Keep the unread part in order: after every entry not later than this one.
      while (i > read && before(time, seq, k[2 * (i - 1)], k[2 * (i - 1) + 1])) {
        k[2 * i] = k[2 * (i - 1)];
        k[2 * i + 1] = k[2 * (i - 1) + 1];
        it[i] = it[i - 1];
        i--;
      }
    }
    k[2 * i] = time;
    k[2 * i + 1] = seq;
    it[i] = item;
    sizes[slot] = n + 1;
    inRing++;
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
    int slot = ready();
    return keys[slot][2 * read];
  }

  /** Removes and returns the earliest event. */
  @SuppressWarnings("unchecked")
  E poll() {
    if (size == 0) {
      throw new NoSuchElementException("no events");
    }
    int slot = ready();
    Object[] it = items[slot];
    E first = (E) it[read];
    it[read] = null;
    read++;
    inRing--;
    size--;
    return first;
  }

  /** Turns the ring to the first bucket with an unread event, sorts it if needed; returns its slot. */
  private int ready() {
    while (true) {
      int slot = (int) (current & MASK);
      if (read < sizes[slot]) {
        if (!sorted) {
          sort(keys[slot], items[slot], read, sizes[slot] - 1);
          sorted = true;
        }
        return slot;
      }
      // The bucket is read: empty it and move on, jumping over empty stretches to the heap's first.
      sizes[slot] = 0;
      read = 0;
      sorted = false;
      if (inRing == 0) {
        current = Math.max(current + 1, later.firstTime() >>> SHIFT);
      } else {
        current++;
      }
      while (!later.isEmpty() && (later.firstTime() >>> SHIFT) - current < BUCKETS) {
        long time = later.firstTime();
        long seq = later.firstSeq();
        Object item = later.poll();
        put(Math.max(time >>> SHIFT, current), time, seq, item);
      }
    }
  }

  private static boolean before(long time, long seq, long otherTime, long otherSeq) {
    return time < otherTime || (time == otherTime && seq < otherSeq);
  }

  /** Sorts entries {@code lo..hi} of a bucket by (time, insertion number). */
  private static void sort(long[] k, Object[] it, int lo, int hi) {
    while (hi - lo > 24) {
      int mid = (lo + hi) >>> 1;
      long pt = k[2 * mid];
      long ps = k[2 * mid + 1];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (before(k[2 * i], k[2 * i + 1], pt, ps)) {
          i++;
        }
        while (before(pt, ps, k[2 * j], k[2 * j + 1])) {
          j--;
        }
        if (i <= j) {
          swap(k, it, i, j);
          i++;
          j--;
        }
      }
      // Recurse into the smaller part, loop on the larger.
      if (j - lo < hi - i) {
        sort(k, it, lo, j);
        lo = i;
      } else {
        sort(k, it, i, hi);
        hi = j;
      }
    }
    for (int a = lo + 1; a <= hi; a++) {
      long t = k[2 * a];
      long s = k[2 * a + 1];
      Object x = it[a];
      int b = a;
      while (b > lo && before(t, s, k[2 * (b - 1)], k[2 * (b - 1) + 1])) {
        k[2 * b] = k[2 * (b - 1)];
        k[2 * b + 1] = k[2 * (b - 1) + 1];
        it[b] = it[b - 1];
        b--;
      }
      k[2 * b] = t;
      k[2 * b + 1] = s;
      it[b] = x;
    }
  }

  private static void swap(long[] k, Object[] it, int i, int j) {
    long t = k[2 * i];
    k[2 * i] = k[2 * j];
    k[2 * j] = t;
    long s = k[2 * i + 1];
    k[2 * i + 1] = k[2 * j + 1];
    k[2 * j + 1] = s;
    Object x = it[i];
    it[i] = it[j];
    it[j] = x;
  }

  /**
   * The events beyond the ring: a min-heap by (time, insertion number) with four children per node
   * and each entry's keys side by side (one cache line for a level's four keys).
   */
  private static final class Heap {
    private static final int ARITY = 4;
    private long[] keys = new long[2 * 64];
    private Object[] items = new Object[64];
    private int size;

    void add(long time, long seq, Object item) {
      if (size == items.length) {
        keys = Arrays.copyOf(keys, 4 * size);
        items = Arrays.copyOf(items, 2 * size);
      }
      int i = size++;
      while (i > 0) {
        int parent = (i - 1) / ARITY;
        if (!before(time, seq, keys[2 * parent], keys[2 * parent + 1])) {
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

    long firstTime() {
      return keys[0];
    }

    long firstSeq() {
      return keys[1];
    }

    Object poll() {
      Object first = items[0];
      int last = --size;
      long time = keys[2 * last];
      long seq = keys[2 * last + 1];
      Object item = items[last];
      items[last] = null;
      if (last > 0) {
        int i = 0;
        while (true) {
          int child = ARITY * i + 1;
          if (child >= last) {
            break;
          }
          int end = Math.min(child + ARITY, last);
          int best = child;
          long bt = keys[2 * child];
          long bs = keys[2 * child + 1];
          for (int c = child + 1; c < end; c++) {
            long ct = keys[2 * c];
            long cs = keys[2 * c + 1];
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

    private void move(int from, int to) {
      keys[2 * to] = keys[2 * from];
      keys[2 * to + 1] = keys[2 * from + 1];
      items[to] = items[from];
    }

    private void put(int i, long time, long seq, Object item) {
      keys[2 * i] = time;
      keys[2 * i + 1] = seq;
      items[i] = item;
    }
  }
}
