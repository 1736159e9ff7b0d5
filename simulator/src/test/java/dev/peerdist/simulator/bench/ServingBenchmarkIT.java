package dev.peerdist.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving benchmark really serves: a tiny run over loopback moves blocks without errors and
 * prints both ratios. No speed is asserted (HOUSE-STYLE: speed is shown by benchmarks).
 */
class ServingBenchmarkIT {
  @Test
  @Timeout(60)
  void tinyRunServesBlocksAndPrintsRatios(@TempDir Path dir) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ServingBenchmark.Result r = ServingBenchmark.run(new ServingBenchmark.Options(8, 2, 1.0, 1, dir),
        new PrintStream(buf, true, StandardCharsets.UTF_8));
    String report = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, r.errors(), report);
    // Rates inside the short window may be 0 on a starved machine; responses overall may not.
    assertTrue(r.servingResponses() > 0 && r.plainResponses() > 0 && r.aesMbps() > 0, report);
    assertTrue(report.contains("ratio") && report.contains("PCCRR serving / plain HTTP"), report);
  }
}
