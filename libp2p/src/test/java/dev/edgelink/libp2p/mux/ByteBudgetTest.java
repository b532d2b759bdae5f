package dev.edgelink.libp2p.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {

    @Test
    void takesUpToTheLimitExactlyAndRefusesTheByteBeyond() {
        ByteBudget b = new ByteBudget("t", 1000);
        assertTrue(b.tryAcquire(999));
        assertTrue(b.tryAcquire(1), "exactly the limit fits");
        assertFalse(b.tryAcquire(1), "one byte more does not");
        assertEquals(1000, b.used());
        assertEquals(1, b.refusals());
        b.release(400);
        assertTrue(b.tryAcquire(400));
        assertEquals(1000, b.peak());
    }

    @Test
    void acquireAnywayGoesOverTheLimitAndRefusesOthersUntilBelow() {
        ByteBudget b = new ByteBudget("t", 100);
        b.acquireAnyway(150);
        assertEquals(150, b.peak());
        assertFalse(b.tryAcquire(1));
        b.release(100);
        assertTrue(b.tryAcquire(50));
    }

    @Test
    void headroomIsLeftForReceivedBytesWhatHoldersChooseToKeepStopsBelowIt() {
        ByteBudget b = new ByteBudget("t", 1000, 400);
        assertEquals(600, b.softLimit());
        assertTrue(b.tryAcquire(600), "exactly the soft limit fits");
        assertFalse(b.tryAcquire(1), "a byte beyond it does not");
        assertTrue(b.tryAcquireReceived(400), "received bytes fill the headroom up to the limit");
        assertFalse(b.tryAcquireReceived(1), "but not beyond the limit");
        assertEquals(2, b.refusals());
        assertEquals(1, b.receivedRefusals(), "received bytes dropped");
        b.release(401);
        assertTrue(b.tryAcquire(1), "below the soft limit again");
        assertThrows(IllegalArgumentException.class, () -> new ByteBudget("x", 100, 100));
        assertThrows(IllegalArgumentException.class, () -> new ByteBudget("x", 100, -1));
    }

    @Test
    void releasingMoreThanWasAcquiredIsOurBugAndSaysSo() {
        ByteBudget b = new ByteBudget("tunnel.totalQueueBytes", 100);
        b.tryAcquire(10);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.release(11));
        assertTrue(e.getMessage().contains("tunnel.totalQueueBytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.release(-1));
        assertThrows(IllegalArgumentException.class, () -> new ByteBudget("x", 0));
    }

    @Test
    void concurrentHoldersNeverTakeMoreThanTheLimitTogether() throws Exception {
        ByteBudget b = new ByteBudget("t", 10_000);
        AtomicLong overshoot = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 100_000; i++) {
                    if (b.tryAcquire(300)) {
                        if (b.used() > b.limit()) {
                            overshoot.incrementAndGet();
                        }
                        b.release(300);
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(0, overshoot.get());
        assertEquals(0, b.used());
        assertTrue(b.peak() <= 10_000, "peak " + b.peak());
    }
}
