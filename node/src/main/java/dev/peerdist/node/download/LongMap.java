package dev.peerdist.node.download;

import java.util.function.Predicate;

/**
 * A map from {@code long} keys to values, open addressing with linear probing: no boxed keys and no
 * entry objects, for the loop's request tables that see a put and a remove per message. Its
 * iteration order is not a {@link java.util.HashMap}'s: use it only where nothing depends on order.
 * Not thread-safe.
 *
 * @param <V> the values (never null)
 */
final class LongMap<V> {
  private long[] keys = new long[16];
  private Object[] values = new Object[16];
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Maps {@code key} to {@code value} (not null), replacing what it mapped to. */
  void put(long key, V value) {
    if (value == null) {
      throw new IllegalArgumentException("null value for key " + key);
    }
    if (2 * (size + 1) > values.length) {
      grow();
    }
    int mask = values.length - 1;
    int i = index(key, mask);
    while (values[i] != null) {
      if (keys[i] == key) {
        values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = key;
    values[i] = value;
    size++;
  }

  @SuppressWarnings("unchecked")
  V get(long key) {
    int mask = values.length - 1;
    for (int i = index(key, mask); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        return (V) values[i];
      }
    }
    return null;
  }

  /** Removes {@code key}'s mapping; returns its value, or null when there was none. */
  @SuppressWarnings("unchecked")
  V remove(long key) {
    int mask = values.length - 1;
    for (int i = index(key, mask); values[i] != null; i = (i + 1) & mask) {
      if (keys[i] == key) {
        V v = (V) values[i];
        delete(i);
        return v;
      }
    }
    return null;
  }

  /** Removes every mapping whose value matches. */
  @SuppressWarnings("unchecked")
  void removeIf(Predicate<? super V> filter) {
    for (int i = 0; i < values.length; i++) {
      // A deletion may shift a later entry into slot i: look at the slot again.
      while (values[i] != null && filter.test((V) values[i])) {
        delete(i);
      }
    }
  }

  /** Empties slot {@code i}, moving up the entries of its probe run that would be cut off from their home. */
  private void delete(int i) {
    int mask = values.length - 1;
    int hole = i;
    for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
      int home = index(keys[j], mask);
      // Entry j may fill the hole unless its home lies cyclically in (hole, j].
      boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    values[hole] = null;
    size--;
  }

  private void grow() {
    long[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new Object[oldValues.length * 2];
    int mask = values.length - 1;
    for (int k = 0; k < oldValues.length; k++) {
      if (oldValues[k] != null) {
        int i = index(oldKeys[k], mask);
        while (values[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[k];
        values[i] = oldValues[k];
      }
    }
  }

  private static int index(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
