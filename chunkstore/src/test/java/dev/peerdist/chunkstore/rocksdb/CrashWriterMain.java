package dev.peerdist.chunkstore.rocksdb;

import dev.peerdist.chunkstore.TestSegments;
import dev.peerdist.chunkstore.TestSegments.Segment;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child process of {@link RocksChunkStoreCrashIT}: opens a store and puts random segments in a
 * loop, two writer threads per segment, printing {@code ack <segment hex> <index>} after each {@code putBlock} returns, until it
 * is killed (or has written {@code maxBlocks}, a bound so that it always stops by itself).
 *
 * <p>Arguments: {@code DIR SEED CAPACITY_BYTES MAX_BLOCKS [LAYOUT]}; LAYOUT {@code files} (value
 * files, the default) or {@code family} (values in the {@code blocks} family, blob files).
 */
public final class CrashWriterMain {
  private CrashWriterMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
    long capacity = Long.parseLong(args[2]);
    long maxBlocks = Long.parseLong(args[3]);
    boolean valueFiles = args.length < 5 || args[4].equals("files");
    PrintStream out = new PrintStream(System.out, false);
    // Two writers put the blocks of each segment at the same time (even and odd indexes), as a
    // node's two store writers do: their hashing and sealing overlap, their RocksDB writes run
    // outside the store's mutex, and a kill may land anywhere between them.
    ExecutorService writers = Executors.newFixedThreadPool(2);
    AtomicLong written = new AtomicLong();
    try (RocksChunkStore store = RocksChunkStore.at(dir).capacityBytes(capacity).valueFiles(valueFiles).open()) {
      out.println("open");
      out.flush();
      while (written.get() < maxBlocks) {
        // Mix V1 segments of a few blocks (some with a short last block) and V2 segments.
        Segment s = random.nextInt(4) == 0
            ? TestSegments.v2(random, 1 + random.nextInt(128 * 1024))
            : TestSegments.v1(random, dev.peerdist.chunkstore.content.HashAlgorithm.SHA_256,
                65536 * (1 + random.nextInt(6)) - random.nextInt(2) * random.nextInt(65536));
        store.putSegment(s.record());
        List<Future<?>> both = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
          int first = w;
          both.add(writers.submit(() -> {
            for (int i = first; i < s.record().blockCount() && written.get() < maxBlocks; i += 2) {
              store.putBlock(s.record().id(), i, s.block(i));
              synchronized (out) {
                out.println("ack " + s.record().id().toHex() + " " + i);
                out.flush();
              }
              written.incrementAndGet();
            }
            return null;
          }));
        }
        for (Future<?> f : both) {
          f.get();
        }
      }
      out.println("done");
      out.flush();
    } finally {
      writers.shutdownNow();
    }
  }
}
