package dev.peerdist.chunkstore;

import java.util.Objects;

/**
 * What a store says about itself, for a node's {@code /healthz} and {@code /readyz} (issue 11):
 *
 * <ul>
 *   <li>{@link State#OK}: reads and writes work.
 *   <li>{@link State#DEGRADED}: it works, but something was lost or is limited, and {@code
 *       detail} says what: corrupt blocks were dropped, damaged files were quarantined, the store
 *       was rebuilt empty, the disk is full, or the capacity is 0 (pass-through only).
 *   <li>{@link State#FAILED}: it cannot store or read at the moment; {@code detail} says why.
 * </ul>
 *
 * @param state the state
 * @param detail one line for people; empty when OK
 */
public record StoreHealth(State state, String detail) {
  /** The three states, from best to worst. */
  public enum State {
    OK,
    DEGRADED,
    FAILED
  }

  /** Reads and writes work. */
  public static final StoreHealth OK = new StoreHealth(State.OK, "");

  /** Checks the fields. */
  public StoreHealth {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(detail, "detail");
  }

  /** A degraded state with its reason. */
  public static StoreHealth degraded(String detail) {
    return new StoreHealth(State.DEGRADED, detail);
  }

  /** A failed state with its reason. */
  public static StoreHealth failed(String detail) {
    return new StoreHealth(State.FAILED, detail);
  }

  /** {@code ok}, {@code degraded: …} or {@code failed: …}. */
  @Override
  public String toString() {
    return state == State.OK ? "ok" : state.name().toLowerCase(java.util.Locale.ROOT) + ": " + detail;
  }
}
