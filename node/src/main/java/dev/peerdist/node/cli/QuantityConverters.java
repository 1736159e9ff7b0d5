package dev.peerdist.node.cli;

import dev.peerdist.node.units.Durations;
import dev.peerdist.node.units.Rate;
import dev.peerdist.node.units.Size;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converters onto the one parser of each quantity ({@link Size}, {@link Rate}, {@link
 * Durations}), so a flag reads sizes, rates and durations exactly as the config file does. A bad
 * value stops the command with a usage error that names the flag and quotes the value.
 */
public final class QuantityConverters {
  private QuantityConverters() {}

  /** {@code --x 10GiB}. */
  public static final class SizeConverter implements ITypeConverter<Size> {
    @Override
    public Size convert(String value) {
      return parse(Size::parse, value);
    }
  }

  /** {@code --x 100Mbit}. */
  public static final class RateConverter implements ITypeConverter<Rate> {
    @Override
    public Rate convert(String value) {
      return parse(Rate::parse, value);
    }
  }

  /** {@code --x 300ms}. */
  public static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return parse(Durations::parse, value);
    }
  }

  /** The parser's message (it quotes the value and shows good ones) becomes picocli's usage error. */
  private static <T> T parse(Function<String, T> parser, String value) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
