package dev.peerdist.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The benchmark methods do the work they claim (run once on 2 MiB, no timing). */
class HashingBenchmarkTest {
  @Test
  void everyBenchmarkMethodComputesTheSameDescriptionOrHash() throws Exception {
    HashingBenchmark b = new HashingBenchmark();
    b.sizeMiB = 2;
    b.setUp();
    assertEquals(b.v1Sha256OneThread(), b.v1Sha256AllCores());
    assertEquals(b.v2OneThread(), b.v2AllCores());
    assertEquals(b.v2OneThread().segmentCount(), b.v2CutPointsOnly());
    assertEquals(32, b.v1Sha256OneThread().segment(0).listedBlockHashCount());
    // The raw baseline's last digest is the last 64 KiB block's hash, as in the V1 description.
    assertArrayEquals(b.v1Sha256OneThread().segment(0).blockHash(31), b.rawSha256Blocks());
    assertEquals(64, b.rawSha512Segments().length);
    // The all-cores baselines hash the same blocks: the last share ends with the same block.
    try {
      assertArrayEquals(b.rawSha256Blocks(), b.rawSha256AllCores());
      assertArrayEquals(b.rawSha512Segments(), b.rawSha512AllCores());
    } finally {
      b.tearDown();
    }
  }

  @Test
  void theCpuTimeRatiosArePrintedForEveryPerCoreGoal() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    HashingBenchmark.cpuRatios(2, 3, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String out = buf.toString(StandardCharsets.UTF_8);
    for (String line : new String[] {"V1 SHA-256 per core / raw SHA-256, thread CPU",
        "V2 per core / raw SHA-512, thread CPU (goal >= 0.9)", "FastCDC cutting / raw SHA-512, thread CPU"}) {
      assertTrue(out.lines().anyMatch(l -> l.contains(line) && l.trim().matches(".*\\d\\.\\d\\d$")), line + " in:\n" + out);
    }
  }
}
