package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StoreReadCostTest {
  @Test
  void fastReadsStayInlineOneSlowReadSendsTheNextOnesAwayUntilReadsAreFastAgain() {
    StoreReadCost cost = new StoreReadCost(Duration.ofNanos(500_000));
    assertTrue(cost.inline(), "a new server reads inline");
    for (int i = 0; i < 100; i++) {
      cost.took(30_000);
    }
    assertTrue(cost.inline());
    cost.took(10_000_000);
    assertFalse(cost.inline(), "after a read of 10 ms");
    int fast = 0;
    while (!cost.inline()) {
      cost.took(30_000);
      fast++;
    }
    assertTrue(fast >= 5 && fast <= 12, "back inline after " + fast + " fast reads");
  }

  @Test
  void aZeroLimitNeverReadsInline() {
    StoreReadCost cost = new StoreReadCost(Duration.ZERO);
    assertFalse(cost.inline());
    cost.took(0);
    assertFalse(cost.inline());
  }
}
