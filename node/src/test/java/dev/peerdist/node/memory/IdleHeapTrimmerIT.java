package dev.peerdist.node.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real JVM with the launcher's heap flags (dist/src/bin/peerdist, {@code peerdist run}) grows its
 * heap the way a transfer does; {@link IdleHeapTrimmer.Jvm#trim()} then gives the growth back: the
 * committed heap falls to at most the start sizes plus the live data, the resident set falls with
 * it, and the free ratios are the launcher's again afterwards.
 */
class IdleHeapTrimmerIT {
  /** The heap part of the launcher's daemon flags. */
  static final List<String> LAUNCHER_HEAP = List.of("-XX:+UseSerialGC", "-Xms20m", "-XX:NewSize=8m",
      "-XX:MaxNewSize=24m", "-XX:NewRatio=2", "-Xmx96m", "-XX:MinHeapFreeRatio=65", "-XX:-ShrinkHeapInSteps");

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aTrimGivesTheHeapsGrowthBackAndRestoresTheRatios() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(LAUNCHER_HEAP);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HeapTrimMain.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String l; (l = r.readLine()) != null; ) {
        out.add(l);
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join("\n", out));
    String[] before = out.stream().filter(l -> l.startsWith("before ")).findFirst().orElseThrow().split(" ");
    String[] after = out.stream().filter(l -> l.startsWith("after ")).findFirst().orElseThrow().split(" ");
    long mib = 1L << 20;
    long committedBefore = Long.parseLong(before[1]);
    long committedAfter = Long.parseLong(after[1]);
    System.out.printf("heap committed %d -> %d MiB, RSS %s -> %s KiB%n", committedBefore / mib, committedAfter / mib,
        before[2], after[2]);
    assertTrue(committedBefore >= 48 * mib, "the heap grew as under load: " + committedBefore / mib + " MiB");
    assertTrue(committedAfter <= 28 * mib, "after the trim: " + committedAfter / mib + " MiB");
    if (!before[2].equals("-1")) {
      long freed = Long.parseLong(before[2]) - Long.parseLong(after[2]);
      assertTrue(freed * 1024 >= 16 * mib, "RSS given back: " + freed + " KiB");
    }
    assertEquals("65", after[3], "MinHeapFreeRatio restored");
    assertEquals("70", after[4], "MaxHeapFreeRatio restored");
  }
}
