package dev.edgelink.libp2p.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.labsupport.Stderr;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TaskGuardTest {
    private static final long WAIT_SECONDS = 10;

    @Test
    void aPeriodicTaskThatThrowsRunsAgainAtItsNextPeriodAndEachFailureIsCounted() throws Exception {
        TaskGuard guard = new TaskGuard();
        ScheduledExecutorService scheduler = guard.newScheduler("test-periodic", "round");
        try {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch third = new CountDownLatch(1);
            ScheduledFuture<?> f = scheduler.scheduleWithFixedDelay(() -> {
                if (runs.incrementAndGet() < 3) {
                    throw new IllegalStateException("round " + runs.get() + " failed");
                }
                third.countDown();
            }, 0, 1, TimeUnit.MILLISECONDS);

            assertTrue(third.await(WAIT_SECONDS, TimeUnit.SECONDS), "the task ran again after two failures");
            f.cancel(false);
            assertEquals(2, guard.failures("round"));
            assertEquals(Map.of("round", 2L), guard.failures());
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void aTaskGivenOnceToTheSchedulerIsGuardedToo() throws Exception {
        TaskGuard guard = new TaskGuard();
        ScheduledExecutorService scheduler = guard.newScheduler("test-once", "once");
        try {
            scheduler.execute(() -> {
                throw new IllegalArgumentException("bad");
            });
            // the scheduler's one thread runs tasks in order: once this one ran, the failing one has been counted
            scheduler.submit(() -> { }).get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(1, guard.failures("once"));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void anErrorGoesToTheThreadsUncaughtHandlerAndEndsThePeriodicTask() throws Exception {
        TaskGuard guard = new TaskGuard();
        List<Throwable> handled = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CountDownLatch reported = new CountDownLatch(1);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "test-error");
            t.setUncaughtExceptionHandler((thread, e) -> {
                threads.add(thread.getName());
                handled.add(e);
                reported.countDown();
            });
            return t;
        });
        try {
            OutOfMemoryError oom = new OutOfMemoryError("Cannot reserve 1048576 bytes of direct buffer memory");
            AtomicInteger runs = new AtomicInteger();
            ScheduledFuture<?> f = scheduler.scheduleAtFixedRate(guard.guard("tun", () -> {
                runs.incrementAndGet();
                throw oom;
            }), 0, 1, TimeUnit.MILLISECONDS);

            assertTrue(reported.await(WAIT_SECONDS, TimeUnit.SECONDS));
            ExecutionException ended = assertThrows(ExecutionException.class,
                    () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertSame(oom, ended.getCause());
            assertEquals(List.of(oom), handled);
            assertEquals(List.of("test-error"), threads);
            assertEquals(1, runs.get());
            assertEquals(0, guard.failures("tun"), "an Error is not a failure the task goes on from");
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void callablesAreLeftToTheirCaller() throws Exception {
        TaskGuard guard = new TaskGuard();
        ScheduledExecutorService scheduler = guard.newScheduler("test-callable", "calls");
        try {
            ExecutionException e = assertThrows(ExecutionException.class, () -> scheduler.submit(() -> {
                throw new IllegalStateException("for the caller");
            }).get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals("for the caller", e.getCause().getMessage());
            assertEquals(0, guard.failures("calls"));
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void failuresAreLoggedAtMostOncePerIntervalPerTaskAndClassButAllCounted() {
        AtomicLong now = new AtomicLong();
        Duration interval = Duration.ofSeconds(60);
        TaskGuard guard = new TaskGuard(now::get, interval);
        List<String> lines = Stderr.capture(() -> {
            guard.failed("dataplane", new IllegalStateException("one"));
            now.addAndGet(interval.toNanos() - 1);
            guard.failed("dataplane", new IllegalStateException("two"));
            guard.failed("dataplane", new IllegalArgumentException("another kind"));
            guard.failed("membership", new IllegalStateException("another task"));
            now.addAndGet(1);
            guard.failed("dataplane", new IllegalStateException("three"));
        }).lines().filter(l -> l.contains("background task failed")).toList();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("one") && lines.get(0).contains("task=dataplane")
                && lines.get(0).contains("sinceLastLine=1"), lines.get(0));
        assertTrue(lines.get(1).contains("another kind"), lines.get(1));
        assertTrue(lines.get(2).contains("task=membership"), lines.get(2));
        assertTrue(lines.get(3).contains("three") && lines.get(3).contains("failures=4")
                && lines.get(3).contains("sinceLastLine=3"), lines.get(3));
        assertFalse(lines.stream().anyMatch(l -> l.contains("two")));
        assertEquals(4, guard.failures("dataplane"));
        assertEquals(1, guard.failures("membership"));
    }

    @Test
    void aTrackedTaskShowsZeroBeforeItFails() {
        TaskGuard guard = new TaskGuard();
        guard.track("cni-request");
        assertEquals(Map.of("cni-request", 0L), guard.failures());
    }
}
