package dev.peerdist.node.units;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The number-and-unit split the three parsers share: {@code 1.5 GiB} → (1.5, "GiB"). */
final class Quantities {
  /** Digits with an optional fraction, optional blanks, then the unit (possibly empty). */
  private static final Pattern AMOUNT = Pattern.compile("(\\d{1,30}(?:\\.\\d{1,30})?)\\s*([A-Za-z/µ]*)");

  private Quantities() {}

  /** An amount and its unit as written (unit may be empty). */
  record Amount(BigDecimal number, String unit) {
    boolean fractional() {
      return number.stripTrailingZeros().scale() > 0;
    }

    String unitLower() {
      return unit.toLowerCase(Locale.ROOT);
    }
  }

  /** The amount of {@code text}, or null when it is not a number followed by letters. */
  static Amount split(String text) {
    Matcher m = AMOUNT.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    return new Amount(new BigDecimal(m.group(1)), m.group(2));
  }

  /** Binary unit names of sizes, from 2^10 up. */
  static final String[] BINARY_SIZE = {"KiB", "MiB", "GiB", "TiB"};

  /**
   * {@code n} in the largest binary unit of {@code names} (2^10, 2^20, …) that divides it exactly,
   * e.g. {@code 10GiB}; null when none does.
   */
  static String inBinaryUnit(long n, String[] names) {
    for (int p = names.length; p >= 1; p--) {
      long unit = 1L << (10 * p);
      if (n % unit == 0) {
        return n / unit + names[p - 1];
      }
    }
    return null;
  }
}
