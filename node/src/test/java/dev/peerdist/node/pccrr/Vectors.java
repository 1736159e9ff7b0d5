package dev.peerdist.node.pccrr;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Loads the hexdump vectors under {@code src/test/resources/vectors/} (TEST-VECTORS.md). */
public final class Vectors {
  private Vectors() {}

  /** The bytes of a vector file: lines {@code offset: hex bytes}; {@code #} lines are comments. */
  public static byte[] load(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no vector " + name);
      }
      StringBuilder hex = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        hex.append(line.substring(line.indexOf(':') + 1).replace(" ", "").trim());
      }
      return HexFormat.of().parseHex(hex.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
