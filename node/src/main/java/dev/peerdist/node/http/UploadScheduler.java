package dev.peerdist.node.http;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Admits PCCRR requests to the store readers: at most {@code maxActive} at once, the rest in a
 * short queue served round robin by client address, so every client gets its turn and none can
 * crowd out the others.
 *
 * <p>Why a queue rather than the spec's immediate empty answer to a busy server (PROTOCOL.md
 * §4.6): an empty MSG_BLK reads as "block not held" to the client, which then fetches the block
 * from the origin. iPXE keeps 32 one-block requests in flight; with an immediate busy answer
 * beyond 16 active requests it fetched 5–12 % of a download from the origin (issue 10). A
 * request waits at most {@code maxWait} (well inside the clients' request timers: Windows 2 s,
 * iPXE 3 s to the first byte) and is answered empty only when its wait ends, its client already
 * has {@code maxQueuedPerClient} waiting, or {@code maxQueued} wait in all.
 *
 * <p>Thread-safe: every state change happens under the object's lock; {@link Job#start} and
 * {@link Job#busy} are called after the lock is released.
 */
final class UploadScheduler {
  /** A request as the scheduler sees it. */
  interface Job {
    /** Runs the request now; {@link #finished()} must follow once it has been answered. */
    void start();

    /** Answers the request empty: no slot (queue full, or waited too long). */
    void busy();
  }

  /** A queued job, for {@link #expire} and {@link #cancel}. */
  static final class Ticket {
    private final Object client;
    private final Job job;
    private boolean queued = true;

    private Ticket(Object client, Job job) {
      this.client = client;
      this.job = job;
    }
  }

  private final int maxActive;
  private final int maxQueuedPerClient;
  private final int maxQueued;
  private final Map<Object, ArrayDeque<Ticket>> queues = new HashMap<>();
  /** Clients with queued jobs in round-robin order (each appears once). */
  private final ArrayDeque<Object> turns = new ArrayDeque<>();
  private int active;
  private int queued;

  /**
   * @throws IllegalArgumentException when a bound is not positive (queues may be 0: no waiting)
   */
  UploadScheduler(int maxActive, int maxQueuedPerClient, int maxQueued) {
    if (maxActive < 1 || maxQueuedPerClient < 0 || maxQueued < 0) {
      throw new IllegalArgumentException("upload limits must be positive: active " + maxActive + ", queued per client "
          + maxQueuedPerClient + ", queued " + maxQueued);
    }
    this.maxActive = maxActive;
    this.maxQueuedPerClient = maxQueuedPerClient;
    this.maxQueued = maxQueued;
  }

  /**
   * Starts {@code job} when a slot is free, queues it behind its client's earlier ones, or answers
   * it busy when the queues are full.
   *
   * @return the ticket of a queued job (the caller arranges {@link #expire} after the wait), or
   *     null when the job was started or answered busy
   */
  Ticket submit(Object client, Job job) {
    Ticket t = null;
    boolean start = false;
    synchronized (this) {
      if (active < maxActive && queued == 0) {
        active++;
        start = true;
      } else {
        ArrayDeque<Ticket> q = queues.get(client);
        int mine = q == null ? 0 : q.size();
        if (mine < maxQueuedPerClient && queued < maxQueued) {
          t = new Ticket(client, job);
          if (q == null) {
            q = new ArrayDeque<>();
            queues.put(client, q);
            turns.addLast(client);
          }
          q.addLast(t);
          queued++;
        }
      }
    }
    if (start) {
      job.start();
    } else if (t == null) {
      job.busy();
    }
    return t;
  }

  /** A started job has been answered: its slot goes to the next client in turn. */
  void finished() {
    Job next;
    synchronized (this) {
      active--;
      next = takeNext();
      if (next != null) {
        active++;
      }
    }
    if (next != null) {
      next.start();
    }
  }

  /** The next job in round-robin order, or null; call with the lock held. */
  private Job takeNext() {
    Object client = turns.pollFirst();
    if (client == null) {
      return null;
    }
    ArrayDeque<Ticket> q = queues.get(client);
    Ticket t = q.pollFirst();
    t.queued = false;
    queued--;
    if (q.isEmpty()) {
      queues.remove(client);
    } else {
      turns.addLast(client);
    }
    return t.job;
  }

  /** Answers a job busy if it is still waiting (its wait is over). */
  void expire(Ticket t) {
    if (remove(t)) {
      t.job.busy();
    }
  }

  /** Forgets a waiting job without answering it (its connection closed). */
  void cancel(Ticket t) {
    remove(t);
  }

  private synchronized boolean remove(Ticket t) {
    if (!t.queued) {
      return false;
    }
    t.queued = false;
    ArrayDeque<Ticket> q = queues.get(t.client);
    q.remove(t);
    queued--;
    if (q.isEmpty()) {
      queues.remove(t.client);
      turns.remove(t.client);
    }
    return true;
  }

  /** Requests being served now. */
  synchronized int active() {
    return active;
  }

  /** Requests waiting now. */
  synchronized int queued() {
    return queued;
  }

  /** Clients with requests waiting, in turn order (for tests). */
  synchronized List<Object> waitingClients() {
    return new ArrayList<>(turns);
  }
}
