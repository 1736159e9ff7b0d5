package dev.peerdist.discovery.pccrd;

/**
 * A token bucket: holds at most {@code burst} tokens, refilled at {@code perSecond}. Not
 * thread-safe; its owner synchronizes. Time is passed in (nanoseconds on any fixed origin).
 */
final class TokenBucket {
  private final double perSecond;
  private final double burst;
  private double tokens;
  private long lastNanos;

  TokenBucket(double perSecond, int burst, long nowNanos) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  private void refill(long nowNanos) {
    long elapsed = Math.max(0, nowNanos - lastNanos);
    lastNanos = Math.max(lastNanos, nowNanos);
    tokens = Math.min(burst, tokens + elapsed * perSecond / 1e9);
  }

  /** Takes one token when there is one. */
  boolean take(long nowNanos) {
    refill(nowNanos);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Gives back a token taken in vain (never above the burst). */
  void giveBack() {
    tokens = Math.min(burst, tokens + 1);
  }

  /** Whether the bucket is full at {@code nowNanos} (a full bucket carries no state worth keeping). */
  boolean full(long nowNanos) {
    refill(nowNanos);
    return tokens >= burst;
  }
}
