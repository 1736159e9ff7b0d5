package dev.peerdist.node.memory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process of {@link IdleHeapTrimmerIT}: grows the heap as a transfer does (blocks of 64 KiB
 * that live a while, so that they are promoted and the old generation expands), drops them, and
 * then prints {@code before COMMITTED RSS_KIB}, trims, and prints {@code after COMMITTED RSS_KIB
 * MIN_FREE MAX_FREE}. RSS is -1 where /proc is missing.
 */
public final class HeapTrimMain {
  private HeapTrimMain() {}

  static volatile Object sink;

  public static void main(String[] args) throws Exception {
    IdleHeapTrimmer.Jvm jvm = IdleHeapTrimmer.Jvm.serial().orElseThrow(() -> new AssertionError("not serial"));
    List<byte[]> inFlight = new ArrayList<>();
    for (int i = 0; i < 12_000; i++) { // 750 MiB through the heap, up to 32 MiB of it in flight
      byte[] block = new byte[64 * 1024];
      block[i % block.length] = (byte) i;
      inFlight.add(block);
      if (inFlight.size() > 512) {
        sink = inFlight.remove(i % 512);
      }
    }
    inFlight.clear();
    sink = null;
    System.out.println("before " + jvm.committed() + " " + rssKib());
    jvm.trim();
    var hs = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
    System.out.println("after " + jvm.committed() + " " + rssKib() + " " + hs.getVMOption("MinHeapFreeRatio").getValue()
        + " " + hs.getVMOption("MaxHeapFreeRatio").getValue());
  }

  private static long rssKib() throws Exception {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return -1;
    }
    for (String l : Files.readAllLines(status)) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
