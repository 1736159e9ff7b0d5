package dev.peerdist.node.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The upload slots and the fair queue, without sockets. */
class UploadSchedulerTest {
  private final List<String> log = new ArrayList<>();

  private UploadScheduler.Job job(String name) {
    return new UploadScheduler.Job() {
      @Override
      public void start() {
        log.add("start " + name);
      }

      @Override
      public void busy() {
        log.add("busy " + name);
      }
    };
  }

  @Test
  void thirtyTwoRequestsOfOneClientAllGetASlotWithSixteenSlots() {
    UploadScheduler s = new UploadScheduler(16, 64, 512);
    for (int i = 0; i < 32; i++) {
      s.submit("ipxe", job("r" + i));
    }
    assertEquals(16, s.active());
    assertEquals(16, s.queued());
    for (int i = 0; i < 32; i++) {
      s.finished();
    }
    assertEquals(32, log.stream().filter(l -> l.startsWith("start")).count(), log.toString());
    assertEquals(0, log.stream().filter(l -> l.startsWith("busy")).count(), log.toString());
    assertEquals(0, s.active());
  }

  @Test
  void freedSlotsGoRoundRobinAcrossClients() {
    UploadScheduler s = new UploadScheduler(1, 64, 512);
    s.submit("a", job("a0"));
    for (int i = 1; i <= 3; i++) {
      s.submit("a", job("a" + i));
    }
    s.submit("b", job("b1"));
    s.submit("c", job("c1"));
    s.submit("b", job("b2"));
    assertEquals(List.of("a", "b", "c"), s.waitingClients());
    for (int i = 0; i < 7; i++) {
      s.finished();
    }
    // a's early burst does not make b and c wait behind all of it.
    assertEquals(List.of("start a0", "start a1", "start b1", "start c1", "start a2", "start b2", "start a3"), log);
  }

  @Test
  void aFullQueueAnswersBusyAtOnceAndPerClientQueuesAreBounded() {
    UploadScheduler s = new UploadScheduler(1, 2, 3);
    s.submit("a", job("a0"));
    assertNotNull(s.submit("a", job("a1")));
    assertNotNull(s.submit("a", job("a2")));
    assertNull(s.submit("a", job("a3")), "a has 2 waiting");
    assertNotNull(s.submit("b", job("b1")));
    assertNull(s.submit("c", job("c1")), "3 waiting in all");
    assertEquals(List.of("start a0", "busy a3", "busy c1"), log);
  }

  @Test
  void aJobWhoseWaitEndsIsAnsweredBusyOnceAndACancelledOneNever() {
    UploadScheduler s = new UploadScheduler(1, 4, 4);
    s.submit("a", job("a0"));
    UploadScheduler.Ticket t1 = s.submit("b", job("b1"));
    UploadScheduler.Ticket t2 = s.submit("c", job("c1"));
    s.expire(t1);
    s.expire(t1);
    s.cancel(t2);
    assertEquals(0, s.queued());
    assertEquals(List.of(), s.waitingClients());
    s.finished();
    assertEquals(List.of("start a0", "busy b1"), log);
    assertEquals(0, s.active());
  }

  @Test
  void expiringAJobThatAlreadyStartedDoesNothing() {
    UploadScheduler s = new UploadScheduler(1, 4, 4);
    s.submit("a", job("a0"));
    UploadScheduler.Ticket t = s.submit("a", job("a1"));
    s.finished();
    s.expire(t);
    assertEquals(List.of("start a0", "start a1"), log);
  }

  @Test
  void badLimitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new UploadScheduler(0, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new UploadScheduler(1, -1, 1));
  }
}
