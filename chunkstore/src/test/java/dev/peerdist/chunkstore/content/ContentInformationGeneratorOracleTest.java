package dev.peerdist.chunkstore.content;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator gives byte-identical content information to {@link ReferenceContentInformation}
 * (one thread, whole content, FastCDC as first written) for random and low-entropy contents,
 * every source kind, thread count, window and executor; and {@link FastCdcChunker#nextCut} cuts
 * where the original loop does.
 */
class ContentInformationGeneratorOracleTest {
  private static final ServerSecret SECRET = ServerSecret.fromText("oracle");
  private static final int KIB = 1024;
  private static final int[] WINDOWS = {256 * KIB, 320 * KIB, 1024 * KIB, ContentInformationGenerator.DEFAULT_WINDOW_BYTES};
  private static final HashAlgorithm[] V1_ALGORITHMS = {HashAlgorithm.SHA_256, HashAlgorithm.SHA_384, HashAlgorithm.SHA_512};
  private final ContentInformationCodec codec = ContentInformationCodec.standard();
  private final ExecutorService given = Executors.newFixedThreadPool(2);

  /** Random bytes, or bytes with many FastCDC candidates (few symbols, short periods, zero runs). */
  static byte[] content(SplittableRandom r, int size) {
    byte[] c = new byte[size];
    switch (r.nextInt(4)) {
      case 0 -> r.nextBytes(c);
      case 1 -> {
        int symbols = 2 + r.nextInt(3);
        for (int i = 0; i < size; i++) {
          c[i] = (byte) r.nextInt(symbols);
        }
      }
      case 2 -> {
        byte[] period = new byte[1 + r.nextInt(300)];
        r.nextBytes(period);
        for (int i = 0; i < size; i++) {
          c[i] = period[i % period.length];
        }
      }
      default -> {
        r.nextBytes(c);
        for (int i = 0; i < size; i += 1 + r.nextInt(256 * KIB)) {
          java.util.Arrays.fill(c, i, Math.min(size, i + r.nextInt(200 * KIB)), (byte) 0);
        }
      }
    }
    return c;
  }

  static int size(SplittableRandom r) {
    return switch (r.nextInt(5)) {
      case 0 -> 1 + r.nextInt(100);
      case 1 -> 64 * KIB * (1 + r.nextInt(8)) + r.nextInt(3) - 1;
      case 2 -> 256 * KIB * (1 + r.nextInt(6)) + r.nextInt(129) - 64;
      case 3 -> FastCdcChunker.MIN_SIZE + r.nextInt(200);
      default -> 1 + r.nextInt(3 * 1024 * KIB);
    };
  }

  /** A stream that hands out short reads of random length, as sockets and pipes do. */
  static InputStream chunky(byte[] content, SplittableRandom r) {
    ByteArrayInputStream in = new ByteArrayInputStream(content);
    SplittableRandom lengths = r.split();
    return new InputStream() {
      @Override
      public int read() {
        return in.read();
      }

      @Override
      public int read(byte[] b, int off, int len) {
        return in.read(b, off, Math.min(len, 1 + lengths.nextInt(70 * KIB)));
      }
    };
  }

  private ContentInformation generate(ContentInformationGenerator g, byte[] content, int source,
      SplittableRandom r, Path dir) throws IOException {
    return switch (source) {
      case 0 -> g.generate(content);
      case 1 -> g.generate(chunky(content, r));
      case 2 -> g.generate(Channels.newChannel(chunky(content, r)));
      default -> {
        Path f = Files.write(dir.resolve("content"), content);
        yield g.generate(f);
      }
    };
  }

  @Test
  void randomContentsGiveTheReferenceBytesForEverySourceThreadCountAndWindow(@TempDir Path dir) throws IOException {
    SplittableRandom r = new SplittableRandom(0x0c1e_2026L);
    try {
      for (int round = 0; round < 48; round++) {
        byte[] content = content(r, size(r));
        boolean v2 = r.nextBoolean();
        HashAlgorithm algorithm = v2 ? HashAlgorithm.TRUNCATED_SHA_512 : V1_ALGORITHMS[r.nextInt(3)];
        int threads = 1 + r.nextInt(4);
        int window = WINDOWS[r.nextInt(WINDOWS.length)];
        int source = r.nextInt(4);
        ContentInformationGenerator.Builder b = ContentInformationGenerator.builder(SECRET)
            .hashAlgorithm(algorithm).threads(threads).windowBytes(window);
        if (r.nextInt(3) == 0) {
          b.executor(given);
        }
        String what = "round " + round + ": " + content.length + " bytes, " + algorithm + ", " + threads
            + " threads, window " + window + ", source " + source;
        ContentInformation expected = v2 ? ReferenceContentInformation.v2(SECRET, content)
            : ReferenceContentInformation.v1(algorithm, SECRET, content);
        assertArrayEquals(codec.encode(expected), codec.encode(generate(b.build(), content, source, r, dir)), what);
      }
    } finally {
      given.shutdownNow();
    }
  }

  @Test
  void v1OverSeveralSegmentsGivesTheReferenceBytes(@TempDir Path dir) throws IOException {
    SplittableRandom r = new SplittableRandom(33);
    byte[] content = content(r, SegmentDescription.V1_SEGMENT_SIZE + 100_000);
    byte[] expected = codec.encode(ReferenceContentInformation.v1(HashAlgorithm.SHA_256, SECRET, content));
    for (int source = 0; source < 4; source++) {
      ContentInformationGenerator g = ContentInformationGenerator.builder(SECRET).threads(2).build();
      ContentInformation info = generate(g, content, source, r, dir);
      assertEquals(2, info.segmentCount());
      assertArrayEquals(expected, codec.encode(info), "source " + source);
    }
  }

  @Test
  void anExecutorThatNeverStartsItsTasksStillGetsTheWorkDoneOnTheCallingThread(@TempDir Path dir)
      throws IOException {
    // The calling thread runs whatever no worker has started, so generation cannot stall on a
    // busy or stopped executor.
    List<Runnable> dropped = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(7);
    byte[] content = content(r, 3 * 1024 * KIB + 17);
    for (int source = 0; source < 4; source++) {
      for (ContentVersion version : ContentVersion.values()) {
        ContentInformationGenerator g = ContentInformationGenerator.builder(SECRET).version(version)
            .threads(2).windowBytes(256 * KIB).executor(dropped::add).build();
        ContentInformation expected = version == ContentVersion.V2
            ? ReferenceContentInformation.v2(SECRET, content)
            : ReferenceContentInformation.v1(HashAlgorithm.SHA_256, SECRET, content);
        assertArrayEquals(codec.encode(expected), codec.encode(generate(g, content, source, r, dir)));
      }
    }
    assertTrue(dropped.size() > 8 * 5, "windows were handed to the executor: " + dropped.size());
    for (Runnable task : dropped) {
      assertTrue(((Future<?>) task).isDone(), "the calling thread ran it");
    }
  }

  /**
   * The cut loop takes two bytes per step: data that ends (or reaches the normal size) on either
   * parity, and cuts at odd and even offsets, must all match the one-byte loop.
   */
  @Test
  void nextCutMatchesTheOriginalLoopAtEveryParityAndBoundary() {
    SplittableRandom r = new SplittableRandom(2017);
    int odd = 0;
    int even = 0;
    for (int round = 0; round < 16; round++) {
      byte[] data = content(r, 3 * FastCdcChunker.MAX_SIZE);
      int start = r.nextInt(FastCdcChunker.MAX_SIZE);
      for (int edge : new int[] {FastCdcChunker.MIN_SIZE, FastCdcChunker.NORMAL_SIZE, FastCdcChunker.MAX_SIZE}) {
        for (int end = start + edge - 3; end <= start + edge + 3; end++) {
          for (boolean eof : new boolean[] {false, true}) {
            int want = ReferenceContentInformation.cut(data, start, end, eof);
            assertEquals(want, FastCdcChunker.nextCut(data, start, end, eof),
                "round " + round + " [" + start + ", " + end + ") eof " + eof);
            if (want > 0 && want < end - start) {
              if (want % 2 == 0) {
                even++;
              } else {
                odd++;
              }
            }
          }
        }
      }
    }
    assertTrue(odd > 0 && even > 0, "cuts at both parities: " + odd + " odd, " + even + " even");
  }

  @Test
  void nextCutCutsWhereTheOriginalLoopDoes() {
    SplittableRandom r = new SplittableRandom(2016);
    for (int round = 0; round < 24; round++) {
      byte[] data = content(r, 512 * KIB + r.nextInt(512 * KIB));
      for (int k = 0; k < 40; k++) {
        int start = r.nextInt(data.length);
        int end = start + 1 + r.nextInt(data.length - start);
        boolean eof = r.nextBoolean();
        assertEquals(ReferenceContentInformation.cut(data, start, end, eof),
            FastCdcChunker.nextCut(data, start, end, eof),
            "round " + round + " [" + start + ", " + end + ") eof " + eof);
      }
      int s = 0;
      while (s < data.length) {
        int len = FastCdcChunker.nextCut(data, s, data.length, true);
        assertEquals(ReferenceContentInformation.cut(data, s, data.length, true), len, "round " + round + " at " + s);
        s += len;
      }
    }
  }
}
