package dev.peerdist.simulator.report;

/**
 * How a {@link SiteModel} runs, apart from the scenario.
 *
 * @param maxEvents a model run stops with an error beyond this many events; {@link #SCENARIO_DEFAULT}
 *     (0): the model's default for the scenario (for the loop model, {@code
 *     LoopSiteModel.defaultMaxEvents}, which grows with the downloads, their blocks and ideal times)
 * @param progress receives progress now and then (a {@link ProgressLine} prints at most one line a second)
 */
public record RunOptions(long maxEvents, Progress progress) {
  /** {@code maxEvents} that leaves the cap to the model: its default for the scenario. */
  public static final long SCENARIO_DEFAULT = 0;

  /** Receives the state of a run; called often, must be cheap. */
  public interface Progress {
    /**
     * @param seconds simulated (model) or real (live) seconds since the run started
     * @param downloadsDone downloads finished so far
     * @param downloads downloads planned
     * @param events events processed so far (0 when the model has none)
     * @param wanBytes bytes across the WAN so far
     */
    void update(double seconds, int downloadsDone, int downloads, long events, long wanBytes);

    /** Ignores everything. */
    Progress NONE = (s, d, n, e, w) -> { };
  }

  public RunOptions {
    if (maxEvents < 0) {
      throw new IllegalArgumentException("maxEvents must be >= 1 (or 0: the scenario's default), got " + maxEvents);
    }
    progress = progress == null ? Progress.NONE : progress;
  }

  /** The model's event cap for the scenario, no progress. */
  public static RunOptions defaults() {
    return new RunOptions(SCENARIO_DEFAULT, Progress.NONE);
  }

  public RunOptions withProgress(Progress p) {
    return new RunOptions(maxEvents, p);
  }
}
