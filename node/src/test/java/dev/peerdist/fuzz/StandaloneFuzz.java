package dev.peerdist.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

/**
 * Entry point for long fuzzing runs with Jazzer's own driver (docs/DEVELOPING.md): {@code
 * --target_class=dev.peerdist.fuzz.StandaloneFuzz --target_args=TARGET}, where TARGET is one of
 * {@link DecoderFuzzTest}'s method names. Same assertions as the JUnit targets.
 */
public final class StandaloneFuzz {
  private static String target = "contentInformation";

  private StandaloneFuzz() {}

  /** Called once by Jazzer with {@code --target_args}. */
  public static void fuzzerInitialize(String[] args) {
    if (args.length > 0) {
      target = args[0];
    }
  }

  /** Called by Jazzer for every input. */
  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    switch (target) {
      case "contentInformation" -> FuzzTargets.contentInformation(data.consumeRemainingAsBytes());
      case "wsDiscovery" -> FuzzTargets.wsDiscovery(data.consumeRemainingAsBytes());
      case "pccrr" -> FuzzTargets.pccrr(data.consumeRemainingAsBytes(), data.remainingBytes() % 2 == 1);
      case "pccrtpHeaders" -> FuzzTargets.pccrtpHeaders(data);
      case "segmentRecord" -> FuzzTargets.segmentRecord(data.consumeRemainingAsBytes());
      default -> throw new IllegalArgumentException("unknown target " + target);
    }
  }
}
