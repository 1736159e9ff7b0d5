package dev.peerdist.chunkstore.rocksdb;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child process of {@link RocksNativeLibraryIT}: opens a store at {@code DIR}, prints {@code open
 * CACHED MAPPED} (the cached file {@link RocksNativeLibrary#load()} reported, or {@code -}; the
 * RocksDB library file this process has mapped, from {@code /proc/self/maps}, or {@code -}) and
 * waits to be killed, at most 120 s.
 */
public final class NativeLoadMain {
  private NativeLoadMain() {}

  public static void main(String[] args) throws Exception {
    try (RocksChunkStore store = RocksChunkStore.at(Path.of(args[0])).open()) {
      String cached = RocksNativeLibrary.load().map(Path::toString).orElse("-");
      String mapped = "-";
      Path maps = Path.of("/proc/self/maps");
      if (Files.isReadable(maps)) {
        mapped = Files.readAllLines(maps).stream()
            .filter(l -> l.contains("librocksdbjni"))
            .map(l -> l.substring(l.indexOf('/')))
            .findFirst().orElse("-");
      }
      System.out.println("open " + cached + " " + mapped.replace(' ', '_'));
      System.out.flush();
      Thread.sleep(120_000);
    }
  }
}
