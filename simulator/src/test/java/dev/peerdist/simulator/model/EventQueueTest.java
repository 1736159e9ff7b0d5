package dev.peerdist.simulator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EventQueueTest {
  private record Item(long time, long seq) {}

  /**
   * Interleaved adds and polls with many equal times give exactly the order of a priority queue
   * ordered by (time, insertion): the model's runs depend on it to be repeatable.
   */
  @Test
  void pollsInTimeOrderAndSameTimesInInsertionOrder() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      EventQueue<Item> queue = new EventQueue<>();
      PriorityQueue<Item> oracle = new PriorityQueue<>((x, y) ->
          x.time != y.time ? Long.compare(x.time, y.time) : Long.compare(x.seq, y.seq));
      long seq = 0;
      long now = 0;
      for (int step = 0; step < 20_000; step++) {
        if (oracle.isEmpty() || random.nextInt(3) > 0) {
          // Few distinct times, so that ties are common; never in the past, as in the model.
          Item item = new Item(now + random.nextInt(8), seq++);
          queue.add(item.time, item);
          oracle.add(item);
        } else {
          assertEquals(oracle.peek().time, queue.firstTime());
          Item got = queue.poll();
          assertEquals(oracle.poll(), got, "seed " + seed + " step " + step);
          now = got.time;
        }
        assertEquals(oracle.size(), queue.size());
      }
      while (!oracle.isEmpty()) {
        assertEquals(oracle.poll(), queue.poll());
      }
      assertTrue(queue.isEmpty());
    }
  }

  /**
   * The same against the oracle with delays of the model's scales mixed (nanoseconds to minutes),
   * and many events at the very instant being polled.
   */
  @Test
  void pollsInOrderWithDelaysFromNanosecondsToMinutes() {
    long[] spans = {1, 1_000, 131_072, 6_553_600, 2_000_000_000L, 20_000_000_000L, 600_000_000_000L};
    for (long seed = 1; seed <= 30; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      EventQueue<Item> queue = new EventQueue<>();
      PriorityQueue<Item> oracle = new PriorityQueue<>((x, y) ->
          x.time != y.time ? Long.compare(x.time, y.time) : Long.compare(x.seq, y.seq));
      long seq = 0;
      long now = 0;
      for (int step = 0; step < 30_000; step++) {
        if (oracle.isEmpty() || random.nextInt(5) > 1) {
          long span = spans[random.nextInt(spans.length)];
          long delay = random.nextInt(4) == 0 ? 0 : random.nextLong(span);
          Item item = new Item(now + delay, seq++);
          queue.add(item.time, item);
          oracle.add(item);
        } else {
          assertEquals(oracle.peek().time, queue.firstTime());
          Item got = queue.poll();
          assertEquals(oracle.poll(), got, "seed " + seed + " step " + step);
          now = got.time;
        }
        assertEquals(oracle.size(), queue.size());
      }
      while (!oracle.isEmpty()) {
        assertEquals(oracle.poll(), queue.poll());
      }
      assertTrue(queue.isEmpty());
    }
  }

  @Test
  void emptyQueueSaysSo() {
    EventQueue<String> queue = new EventQueue<>();
    assertThrows(NoSuchElementException.class, queue::poll);
    assertThrows(NoSuchElementException.class, queue::firstTime);
    queue.add(5, "a");
    assertEquals("a", queue.poll());
    assertThrows(NoSuchElementException.class, queue::poll);
  }
}
