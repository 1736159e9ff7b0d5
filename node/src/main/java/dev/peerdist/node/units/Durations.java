package dev.peerdist.node.units;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * The one parser of durations in peerdist (the node's timeouts and waits, {@code publish}'s
 * {@code --hash-wait}, {@code probe --timeout}, the simulator's scenario files and flags); values
 * are {@link Duration}s.
 *
 * <p>A number with a unit: {@code ms}, {@code s}, {@code m} or {@code min}, {@code h}, {@code d}
 * (any case, a blank allowed before the unit; a fraction is allowed, {@code 1.5s}, and rounds down
 * to whole nanoseconds). A bare number is seconds ({@code 30} = {@code 30s}, as systemd reads
 * it); ISO-8601 ({@code PT2S}) is read too. Negative durations are refused, and so is anything
 * beyond {@link Duration}'s range. Zero is a duration; whether a key accepts it is the key's rule.
 */
public final class Durations {
  private static final String EXAMPLES = "is not a duration like 300ms, 2s, 5m or 1h (a bare number is seconds)";
  private static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(Long.MAX_VALUE);

  private Durations() {}

  /**
   * Parses a duration by the rule in the class comment.
   *
   * @throws QuantityFormatException quoting {@code text} and showing good values
   */
  public static Duration parse(String text) {
    String t = text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      Duration d;
      try {
        d = Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new QuantityFormatException(text, EXAMPLES);
      }
      if (d.isNegative()) {
        throw new QuantityFormatException(text, "is negative");
      }
      return d;
    }
    Quantities.Amount a = Quantities.split(t);
    if (a == null) {
      throw new QuantityFormatException(text, EXAMPLES);
    }
    BigDecimal seconds = switch (a.unitLower()) {
      case "ms" -> a.number().movePointLeft(3);
      case "", "s" -> a.number();
      case "m", "min" -> a.number().multiply(BigDecimal.valueOf(60));
      case "h" -> a.number().multiply(BigDecimal.valueOf(3600));
      case "d" -> a.number().multiply(BigDecimal.valueOf(86_400));
      default -> throw new QuantityFormatException(text, EXAMPLES);
    };
    if (seconds.compareTo(MAX_SECONDS) > 0) {
      throw new QuantityFormatException(text, "is too long");
    }
    long whole = seconds.setScale(0, RoundingMode.FLOOR).longValueExact();
    long nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9).setScale(0, RoundingMode.FLOOR)
        .longValueExact();
    return Duration.ofSeconds(whole, nanos);
  }

  /**
   * The exact value in the largest of {@code h}, {@code m}, {@code s}, {@code ms} that divides it
   * ({@code 300ms}, {@code 2s}, {@code 5m}), else ISO-8601; {@link #parse} reads it back.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.isNegative() || d.getNano() % 1_000_000 != 0 || d.getSeconds() > Long.MAX_VALUE / 1000 - 1) {
      return d.toString();
    }
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
