package dev.peerdist.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forks' report lines come back as figures and become the CPU and wall-time lines. */
class StoreBenchmarkTest {
  @TempDir Path dir;

  @Test
  void reportLinesBecomeCpuRatiosAndWhereEachBlocksWallTimeWent() throws Exception {
    Path report = dir.resolve("report.txt");
    // Two iterations of each (means are printed); nanoseconds per byte, 65.536 µs per 64 KiB block per ns.
    Files.writeString(report, String.join("\n",
        "storePutReceived files 1.000000",
        "cpu:filePut files 0.300000", "cpu:filePut files 0.340000",
        "wall:filePut files 0.400000", "wall:filePut files 0.400000",
        "thread:filePut files 0.300000", "thread:filePut files 0.340000",
        "wait:filePut files 0.050000", "wait:filePut files 0.050000",
        "cpu:storePutReceived files 0.500000", "cpu:storePutReceived files 0.500000",
        "wall:storePutReceived files 1.000000", "wall:storePutReceived files 1.000000",
        "thread:storePutReceived files 0.450000", "thread:storePutReceived files 0.450000",
        "wait:storePutReceived files 0.500000", "wait:storePutReceived files 0.500000", ""));
    Map<String, Map<String, Double>> figures = StoreBenchmark.readDiskReport(report);
    Map<String, Double> files = figures.get(StoreBenchmark.describe(StoreBenchmark.FILES));
    assertEquals(1.0, files.get("storePutReceived"), 1e-9, "disk bytes per byte put");
    assertEquals(0.32, files.get(StoreBenchmark.CPU_KEY + "filePut"), 1e-9, "the mean of the iterations");

    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    StoreBenchmark.printCpu(files, " [value files]", new PrintStream(buf, true, StandardCharsets.UTF_8));
    String out = buf.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("ratio 0.64  CPU per byte (the process's): plain file write / storePutReceived [value files]"
        + " (0.32 vs 0.50 ns per byte)"), out);
    assertTrue(out.contains("ratio 0.71  CPU per byte (the putting thread's): plain file write / storePutReceived"
        + " [value files] (0.32 vs 0.45 ns per byte)"), out);
    // 1 ns per byte is 65.5 µs per block: 29.5 on a core, 32.8 waiting for one, 3.3 blocked;
    // the process's other threads 0.05 ns per byte, 3.3 µs.
    assertTrue(out.contains("storePutReceived   µs per 64 KiB block: wall 65.5 = on a core 29.5 + waiting for a core"
        + " 32.8 + blocked 3.3; the process's other threads on a core 3.3 [value files]"), out);
    assertTrue(out.contains("filePut            µs per 64 KiB block: wall 26.2 = on a core 21.0 + waiting for a core 3.3"
        + " + blocked 2.0; the process's other threads on a core 0.0 [value files]"), out);
  }
}
