package dev.peerdist.chunkstore.content;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Loads the annotated hex vectors under {@code src/test/resources/vectors/}. */
final class Vectors {
  private Vectors() {}

  /** The bytes of a vector file: hex digits, with everything after '#' on a line ignored. */
  static byte[] load(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test vector " + name);
      }
      StringBuilder hex = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        int hash = line.indexOf('#');
        hex.append((hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s", ""));
      }
      return HexFormat.of().parseHex(hex);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replaceAll("\\s", ""));
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** TEST-VECTORS.md TV-3 content generator: byte i = (i * 2654435761) >>> 24. */
  static byte[] gen(int n) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) ((i * 2654435761L) >>> 24);
    }
    return out;
  }

  /** TV-2 server key material (the real server's exported key). */
  static final byte[] TV2_KEY = hex("2a3d73eb435e9f2b8a344267e7467a3c7385c6e055e2b4d30dfec7c38b0ed72c");

  /** TV-3 key material: UTF-16LE("server secret"). */
  static final byte[] TV3_KEY = hex("7300650072007600650072002000730065006300720065007400");
}
