package dev.peerdist.simulator.report;

/**
 * How a {@link SiteModel} runs, apart from the scenario.
 *
 * @param maxEvents a model run stops with an error beyond this many events
 * @param progress receives progress now and then (a {@link ProgressLine} prints at most one line a second)
 */
public record RunOptions(long maxEvents, Progress progress) {
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
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be >= 1, got " + maxEvents);
    }
    progress = progress == null ? Progress.NONE : progress;
  }

  /** 50 M events, no progress. */
  public static RunOptions defaults() {
    return new RunOptions(50_000_000L, Progress.NONE);
  }

  public RunOptions withProgress(Progress p) {
    return new RunOptions(maxEvents, p);
  }
}
