package dev.peerdist.node.units;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * An amount of bytes: cache sizes, minimum file sizes, package sizes. The one parser of sizes in
 * peerdist: the node's {@code cache-size}, {@code peerdist cache capacity}/{@code evict --to},
 * {@code peerdist publish --min-size}, {@code peerdist demo --size} and the simulator's scenario
 * files all read sizes with {@link #parse}.
 *
 * <p><b>Units count in 1024s, whatever the spelling</b>: {@code K}, {@code KB} and {@code KiB}
 * all mean 1024 bytes; {@code M}/{@code MB}/{@code MiB} 2<sup>20</sup>, {@code G}/{@code GB}/{@code
 * GiB} 2<sup>30</sup>, {@code T}/{@code TB}/{@code TiB} 2<sup>40</sup>; {@code B} or no unit is
 * bytes; letters are case-insensitive and a blank may separate number and unit. So a value never
 * depends on whether an {@code i} was typed, as with the JVM's {@code -Xmx}. (Rates are different:
 * link rates in bits count in 1000s, see {@link Rate}.) A fraction is allowed with a unit
 * ({@code 1.5GiB}) and rounds down to whole bytes; bare byte counts are whole numbers. Anything
 * above {@link Long#MAX_VALUE} bytes is refused.
 */
public record Size(long bytes) implements Comparable<Size> {
  /** No bytes. */
  public static final Size ZERO = new Size(0);

  private static final String[] BINARY = Quantities.BINARY_SIZE;
  private static final String EXAMPLES = "is not a size like 10GiB, 512MiB, 1.5G or 4096 (K, M, G, T count in 1024s)";

  /** @throws IllegalArgumentException when {@code bytes} is negative */
  public Size {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative: " + bytes + " bytes");
    }
  }

  /** {@code bytes} bytes. */
  public static Size ofBytes(long bytes) {
    return new Size(bytes);
  }

  /** {@code n} × 2<sup>20</sup> bytes. */
  public static Size ofMiB(long n) {
    return new Size(Math.multiplyExact(n, 1L << 20));
  }

  /** {@code n} × 2<sup>30</sup> bytes. */
  public static Size ofGiB(long n) {
    return new Size(Math.multiplyExact(n, 1L << 30));
  }

  /**
   * Parses a size by the rule in the class comment.
   *
   * @throws QuantityFormatException quoting {@code text} and showing good values
   */
  public static Size parse(String text) {
    Quantities.Amount a = Quantities.split(text);
    if (a == null) {
      throw new QuantityFormatException(text, EXAMPLES);
    }
    int power = power(a.unitLower());
    if (power < 0) {
      throw new QuantityFormatException(text, EXAMPLES);
    }
    if (power == 0 && a.fractional()) {
      throw new QuantityFormatException(text, "is not a whole number of bytes");
    }
    BigDecimal bytes = a.number().multiply(BigDecimal.valueOf(2).pow(10 * power)).setScale(0, RoundingMode.FLOOR);
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new QuantityFormatException(text, "is too large: at most " + Long.MAX_VALUE + " bytes (8EiB)");
    }
    return new Size(bytes.longValueExact());
  }

  /** 0 for bytes, 1 for K, 2 for M, …; -1 for an unknown unit. */
  private static int power(String unit) {
    if (unit.isEmpty() || unit.equals("b")) {
      return 0;
    }
    int p = "kmgt".indexOf(unit.charAt(0)) + 1;
    String rest = unit.substring(1);
    if (p == 0 || !(rest.isEmpty() || rest.equals("b") || rest.equals("ib"))) {
      return -1;
    }
    return p;
  }

  /**
   * An approximation for people, in binary units with one decimal: {@code 512 B}, {@code 1.5
   * GiB}.
   */
  public String approximate() {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < BINARY.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, BINARY[u]);
  }

  @Override
  public int compareTo(Size other) {
    return Long.compare(bytes, other.bytes);
  }

  /** The exact value in the largest binary unit that divides it ({@code 10GiB}, {@code 4097}); {@link #parse} reads it back. */
  @Override
  public String toString() {
    if (bytes == 0) {
      return "0";
    }
    String exact = Quantities.inBinaryUnit(bytes, BINARY);
    if (exact != null) {
      return exact;
    }
    return Long.toString(bytes);
  }
}
