package dev.peerdist.simulator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ProcFiguresTest {
  @Test
  void readsThisJvmsMemoryAndCpu() {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
    long self = ProcessHandle.current().pid();
    long rss = ProcFigures.statusKib(self, "VmRSS:");
    long peak = ProcFigures.statusKib(self, "VmHWM:");
    assertTrue(rss > 1024, "a JVM holds more than 1 MiB: " + rss);
    assertTrue(peak >= rss, "peak " + peak + " >= now " + rss);
    assertTrue(ProcFigures.cpuSeconds(self) >= 0);
    assertEquals(-1, ProcFigures.statusKib(self, "NoSuchKey:"));
    assertTrue(Double.isNaN(ProcFigures.cpuSeconds(Long.MAX_VALUE)), "no such process");
  }
}
