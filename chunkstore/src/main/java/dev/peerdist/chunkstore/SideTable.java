package dev.peerdist.chunkstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A small persistent table of byte keys and values that lives inside a chunk store, next to its
 * blocks: same directory, same lifetime, same {@code close()} ({@link StoreClosedException}
 * afterwards). It is for node features that must remember something about stored content across
 * restarts without a store of their own — the V1/V2 content bridge keeps its segment map here.
 *
 * <p>Rules shared by every implementation (checked by {@code ChunkStoreConformanceTest}):
 *
 * <ul>
 *   <li>Keys are 1..{@link #MAX_KEY_BYTES} bytes, values 0..{@link #MAX_VALUE_BYTES}; anything
 *       else is refused with {@link IllegalArgumentException} and nothing changes.
 *   <li>A {@link Batch} is applied atomically: after a crash either all of it or none of it is
 *       there.
 *   <li>{@link #scan} returns entries in unsigned byte order of their keys.
 *   <li>The table is not counted in the store's capacity and is never evicted: segments and blocks
 *       come and go without touching it, so its owner must cope with entries that outlive the
 *       blocks they describe (and bound what it writes).
 * </ul>
 */
public interface SideTable {
  /** Largest key. */
  int MAX_KEY_BYTES = 256;
  /** Largest value. */
  int MAX_VALUE_BYTES = 64 * 1024;
  /** Largest number of entries one {@link #scan} returns. */
  int MAX_SCAN = 4096;

  /** The value under {@code key}. */
  Optional<byte[]> get(byte[] key);

  /** Stores {@code value} under {@code key}, replacing what was there. */
  default void put(byte[] key, byte[] value) {
    write(new Batch().put(key, value));
  }

  /** Removes {@code key}; nothing happens when it is absent. */
  default void delete(byte[] key) {
    write(new Batch().delete(key));
  }

  /** Applies every put and delete of {@code batch} at once, in order. */
  void write(Batch batch);

  /**
   * Up to {@code limit} (at most {@link #MAX_SCAN}) entries whose key starts with {@code prefix}
   * and is greater than {@code after} (all such keys when {@code after} is null), in unsigned key
   * order. Page through a large range by passing the last key seen as {@code after}.
   */
  List<Entry> scan(byte[] prefix, byte[] after, int limit);

  /** One entry of a scan; the arrays belong to the receiver. */
  record Entry(byte[] key, byte[] value) {}

  /** Puts and deletes to apply together ({@link #write}). */
  final class Batch {
    private final List<Entry> ops = new ArrayList<>();

    /** Adds a put. */
    public Batch put(byte[] key, byte[] value) {
      check(key, value);
      ops.add(new Entry(key.clone(), value.clone()));
      return this;
    }

    /** Adds a delete. */
    public Batch delete(byte[] key) {
      check(key, null);
      ops.add(new Entry(key.clone(), null));
      return this;
    }

    /** The operations in order; a null value means delete. */
    public List<Entry> operations() {
      return List.copyOf(ops);
    }

    public boolean isEmpty() {
      return ops.isEmpty();
    }
  }

  /**
   * Checks a key and (when not null) a value against the limits.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static void check(byte[] key, byte[] value) {
    if (key == null || key.length == 0 || key.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("side-table key must be 1.." + MAX_KEY_BYTES + " bytes, got "
          + (key == null ? "null" : key.length));
    }
    if (value != null && value.length > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException("side-table value must be at most " + MAX_VALUE_BYTES + " bytes, got "
          + value.length);
    }
  }

  /** Whether {@code key} starts with {@code prefix}. */
  static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** Checks a scan's prefix (may be empty: the whole table) and clamps its limit to 0..{@link #MAX_SCAN}. */
  static int scanLimit(byte[] prefix, int limit) {
    if (prefix == null || prefix.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("side-table scan prefix must be 0.." + MAX_KEY_BYTES + " bytes");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("scan limit must not be negative, got " + limit);
    }
    return Math.min(limit, MAX_SCAN);
  }
}
