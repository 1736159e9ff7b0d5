package dev.peerdist.node.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongMapTest {
  /**
   * Random puts, gets, removes and removeIfs over few keys (long probe runs, deletions inside them,
   * growth) give what a HashMap gives.
   */
  @Test
  void behavesAsAHashMap() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom random = new SplittableRandom(seed);
      LongMap<String> map = new LongMap<>();
      Map<Long, String> oracle = new HashMap<>();
      int range = 8 << random.nextInt(8);
      for (int step = 0; step < 20_000; step++) {
        long key = random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(range) * 64L;
        switch (random.nextInt(10)) {
          case 0, 1, 2, 3 -> {
            String v = "v" + step;
            map.put(key, v);
            oracle.put(key, v);
          }
          case 4, 5, 6 -> assertEquals(oracle.remove(key), map.remove(key), "seed " + seed + " step " + step);
          case 7 -> {
            int parity = random.nextInt(2);
            map.removeIf(v -> v.length() % 2 == parity);
            oracle.values().removeIf(v -> v.length() % 2 == parity);
          }
          default -> assertEquals(oracle.get(key), map.get(key));
        }
        assertEquals(oracle.size(), map.size());
      }
      for (Map.Entry<Long, String> e : oracle.entrySet()) {
        assertEquals(e.getValue(), map.get(e.getKey()));
      }
    }
  }

  @Test
  void aNullValueIsRefusedAndAMissingKeyIsNull() {
    LongMap<String> map = new LongMap<>();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.put(7, null));
    assertEquals("null value for key 7", e.getMessage());
    assertNull(map.get(7));
    assertNull(map.remove(7));
    assertEquals(0, map.size());
  }
}
