package dev.peerdist.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

/**
 * Entry point for long fuzzing runs with Jazzer's own driver (docs/DEVELOPING.md): {@code
 * --target_class=dev.peerdist.fuzz.StandaloneFuzz}, optionally {@code --target_args=NAME} to fuzz
 * one decoder of {@link FuzzTargets#TARGETS} only; without it the first byte picks, as in {@link
 * DecoderFuzzTest}. Same assertions as the JUnit run.
 */
public final class StandaloneFuzz {
  private static int only = -1;

  private StandaloneFuzz() {}

  /** Called once by Jazzer with {@code --target_args}. */
  public static void fuzzerInitialize(String[] args) {
    if (args.length > 0) {
      only = FuzzTargets.TARGETS.indexOf(args[0]);
      if (only < 0) {
        throw new IllegalArgumentException("unknown target " + args[0] + "; one of " + FuzzTargets.TARGETS);
      }
    }
  }

  /** Called by Jazzer for every input. */
  public static void fuzzerTestOneInput(FuzzedDataProvider data) {
    FuzzTargets.run(only >= 0 ? (byte) only : data.consumeByte(), data);
  }
}
