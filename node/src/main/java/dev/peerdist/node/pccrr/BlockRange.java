package dev.peerdist.node.pccrr;

/**
 * A BLOCK_RANGE: {@code count} consecutive blocks starting at {@code index}; {@code [42,7]} is
 * blocks 42..48 (PROTOCOL.md §4.4). A V1 segment has at most 512 blocks, so index is 0..511 and
 * count is 1..512-index.
 */
public record BlockRange(int index, int count) {
  /** Blocks per full V1 segment, the upper bound of every range. */
  public static final int MAX_BLOCKS = 512;

  public BlockRange {
    if (index < 0 || index >= MAX_BLOCKS || count < 1 || count > MAX_BLOCKS - index) {
      throw new IllegalArgumentException(
          "BLOCK_RANGE [" + Integer.toUnsignedString(index) + "," + Integer.toUnsignedString(count)
              + "] outside index 0..511, count 1..512-index");
    }
  }

  /** The range holding the one block {@code index}. */
  public static BlockRange of(int index) {
    return new BlockRange(index, 1);
  }

  /** One past the last block of the range. */
  public int end() {
    return index + count;
  }

  /** True when {@code block} lies in this range. */
  public boolean contains(int block) {
    return block >= index && block < end();
  }
}
