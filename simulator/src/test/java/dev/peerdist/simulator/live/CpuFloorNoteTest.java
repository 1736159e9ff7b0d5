package dev.peerdist.simulator.live;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The live report says when the machine's CPU, not the network, bounds a run. */
class CpuFloorNoteTest {
  @Test
  void aSiteThatNeedsMoreCpuThanTheIdealAllowsIsCalledCpuBound() {
    // 16 daemons, 107 CPU s on 2 cores: 53.5 s, 6.4 x an ideal of 8.39 s.
    String note = LiveSite.cpuFloorNote(107.0, 16, 2, 8.39);
    assertTrue(note.contains("16 daemons used 107.0 CPU s"), note);
    assertTrue(note.contains(">= 53.5 s = 6.38 x the ideal 8.39 s"), note);
    assertTrue(note.contains("bound by this machine's CPU"), note);
  }

  @Test
  void aSiteWithCpuToSpareIsNot() {
    String note = LiveSite.cpuFloorNote(4.0, 4, 2, 8.39);
    assertTrue(note.contains(">= 2.0 s = 0.24 x"), note);
    assertTrue(note.contains("below the ideal"), note);
    assertTrue(LiveSite.cpuFloorNote(4.0, 1, 2, 8.39).startsWith("CPU: the daemon used 4.0 CPU s"));
  }
}
