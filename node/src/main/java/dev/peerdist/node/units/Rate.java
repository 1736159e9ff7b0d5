package dev.peerdist.node.units;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A throughput: a link's rate, a WAN budget, an upload cap. The one parser of rates in peerdist
 * ({@code wan-budget}, {@code peerdist publish --upload-rate}, scenario files' link rates).
 *
 * <p>Two spellings, each with its own and conventional base:
 *
 * <ul>
 *   <li><b>bits, in 1000s</b> as links are sold: {@code 100Mbit}, {@code 1.5Gbit/s}, {@code
 *       64kbit}, {@code 9600bit} (prefix {@code k M G T}, any case; {@code /s} optional);
 *   <li><b>bytes, in 1024s</b> as every {@link Size} is: a capital {@code B} and {@code /s}, e.g.
 *       {@code 10MiB/s} = {@code 10MB/s} = 10 × 2<sup>20</sup> bytes per second, {@code 1B/s}.
 * </ul>
 *
 * {@code Mb/s} and {@code Mbps} are refused as ambiguous (bits or bytes?); {@code 12MB} without
 * {@code /s} is a size, not a rate. A rate is positive: between 1 bit/s and 10<sup>18</sup> bit/s,
 * rounded to whole bits; the bare text {@code 0} is {@link #ZERO} (for keys where 0 means "no cap",
 * which the key itself must allow). Held in bits per second, so that every spelling is exact.
 */
public record Rate(long bitsPerSecond) implements Comparable<Rate> {
  /** No throughput; "no cap" for the keys that allow it. */
  public static final Rate ZERO = new Rate(0);

  private static final long MAX_BITS = 1_000_000_000_000_000_000L;
  private static final String EXAMPLES = "is not a rate like 100Mbit, 1.5Gbit/s or 10MiB/s";
  private static final String[] DECIMAL = {"kbit", "Mbit", "Gbit", "Tbit"};
  private static final String[] BINARY = {"KiB/s", "MiB/s", "GiB/s", "TiB/s"};
  /** Bits: a decimal prefix in any case, {@code /s} optional. */
  private static final Pattern BITS = Pattern.compile("(?i)([kmgt]?)bit(?:/s)?");
  /** Bytes: a capital B and {@code /s} required, so that "Mb/s" and a size such as "12MB" are refused. */
  private static final Pattern BYTES = Pattern.compile("([kKMGT]i?)?B/s");

  /** @throws IllegalArgumentException when negative or above 10<sup>18</sup> bit/s */
  public Rate {
    if (bitsPerSecond < 0 || bitsPerSecond > MAX_BITS) {
      throw new IllegalArgumentException("a rate must be within 0..10^18 bit/s, got " + bitsPerSecond);
    }
  }

  /** {@code n} bits per second. */
  public static Rate ofBitsPerSecond(long n) {
    return new Rate(n);
  }

  /** {@code n} bytes per second. */
  public static Rate ofBytesPerSecond(long n) {
    return new Rate(Math.multiplyExact(n, 8L));
  }

  /** Bytes per second, rounded down, but at least 1 for any rate that is not zero. */
  public long bytesPerSecond() {
    return bitsPerSecond == 0 ? 0 : Math.max(1, bitsPerSecond / 8);
  }

  /** Whether this is {@link #ZERO}. */
  public boolean isZero() {
    return bitsPerSecond == 0;
  }

  /**
   * Parses a rate by the rules in the class comment.
   *
   * @throws QuantityFormatException quoting {@code text} and showing good values
   */
  public static Rate parse(String text) {
    if (text.trim().equals("0")) {
      return ZERO;
    }
    Quantities.Amount a = Quantities.split(text);
    if (a == null) {
      throw new QuantityFormatException(text, EXAMPLES);
    }
    BigDecimal unit = unitInBits(a.unit());
    if (unit == null) {
      throw new QuantityFormatException(text, EXAMPLES);
    }
    BigDecimal bits = a.number().multiply(unit).setScale(0, RoundingMode.HALF_UP);
    if (bits.signum() <= 0 || bits.compareTo(BigDecimal.valueOf(MAX_BITS)) > 0) {
      throw new QuantityFormatException(text, "must be within 1 bit/s and 10^18 bit/s");
    }
    return new Rate(bits.longValueExact());
  }

  /** Bits per second of one {@code unit}, or null when it is not a rate unit. */
  private static BigDecimal unitInBits(String unit) {
    Matcher bits = BITS.matcher(unit);
    if (bits.matches()) {
      return BigDecimal.TEN.pow(3 * prefixPower(bits.group(1)));
    }
    Matcher bytes = BYTES.matcher(unit);
    if (bytes.matches()) {
      return BigDecimal.valueOf(8).multiply(BigDecimal.valueOf(2).pow(10 * prefixPower(bytes.group(1))));
    }
    return null;
  }

  private static int prefixPower(String prefix) {
    return prefix == null || prefix.isEmpty() ? 0 : "kmgt".indexOf(Character.toLowerCase(prefix.charAt(0))) + 1;
  }

  @Override
  public int compareTo(Rate other) {
    return Long.compare(bitsPerSecond, other.bitsPerSecond);
  }

  /**
   * The exact value in the largest unit that divides it: bits with a decimal prefix ({@code
   * 100Mbit}), else bytes with a binary one ({@code 10MiB/s}), else plain bits ({@code 9601bit});
   * {@link #parse} reads it back.
   */
  @Override
  public String toString() {
    if (bitsPerSecond == 0) {
      return "0";
    }
    for (int p = DECIMAL.length; p >= 1; p--) {
      long unit = BigDecimal.TEN.pow(3 * p).longValueExact();
      if (bitsPerSecond % unit == 0) {
        return bitsPerSecond / unit + DECIMAL[p - 1];
      }
    }
    if (bitsPerSecond % 8 == 0) {
      String exact = Quantities.inBinaryUnit(bitsPerSecond / 8, BINARY);
      if (exact != null) {
        return exact;
      }
    }
    return bitsPerSecond + "bit";
  }
}
