package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child process of {@link RocksChunkStoreCrashIT}: opens a store and puts random segments in a
 * loop, printing {@code ack <segment hex> <index>} after each {@code putBlock} returns, until it
 * is killed (or has written {@code maxBlocks}, a bound so that it always stops by itself).
 *
 * <p>Arguments: {@code DIR SEED CAPACITY_BYTES MAX_BLOCKS}.
 */
public final class CrashWriterMain {
  private CrashWriterMain() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
    long capacity = Long.parseLong(args[2]);
    long maxBlocks = Long.parseLong(args[3]);
    PrintStream out = new PrintStream(System.out, false);
    try (RocksChunkStore store = RocksChunkStore.at(dir).capacityBytes(capacity).open()) {
      out.println("open");
      out.flush();
      long written = 0;
      while (written < maxBlocks) {
        // Mix V1 segments of a few blocks (some with a short last block) and V2 segments.
        Segment s = random.nextInt(4) == 0
            ? TestSegments.v2(random, 1 + random.nextInt(128 * 1024))
            : TestSegments.v1(random, dev.peerdist.chunkstore.content.HashAlgorithm.SHA_256,
                65536 * (1 + random.nextInt(6)) - random.nextInt(2) * random.nextInt(65536));
        store.putSegment(s.record());
        for (int i = 0; i < s.record().blockCount() && written < maxBlocks; i++) {
          store.putBlock(s.record().id(), i, s.block(i));
          out.println("ack " + s.record().id().toHex() + " " + i);
          out.flush();
          written++;
        }
      }
      out.println("done");
      out.flush();
    }
  }
}
