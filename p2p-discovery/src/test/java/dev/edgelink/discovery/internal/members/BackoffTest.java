package dev.edgelink.discovery.internal.members;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysDoubleWithJitterUpToTheMaximumAndResetOnSuccess() {
        Backoff b = new Backoff(100, 1000, new Random(7));
        long[] bases = {100, 200, 400, 800, 1000, 1000};
        long now = 0;
        for (long base : bases) {
            assertTrue(b.tryStart(now));
            long delay = b.failed(now);
            assertTrue(delay >= base * 8 / 10 && delay <= Math.min(1000, base * 12 / 10), base + " -> " + delay);
            assertFalse(b.tryStart(now + delay - 1), "retried one millisecond early");
            now += delay;
        }
        assertTrue(b.tryStart(now));
        b.succeeded();
        assertEquals(0, b.failures());
        assertTrue(b.tryStart(now));
    }

    @Test
    void onlyOneDialIsInFlightAtATime() {
        Backoff b = new Backoff(100, 1000, new Random(1));
        assertTrue(b.tryStart(0));
        assertFalse(b.tryStart(0));
        b.succeeded();
        assertTrue(b.tryStart(0));
    }

    @Test
    void manyFailuresDoNotOverflow() {
        Backoff b = new Backoff(100, 30_000, new Random(3));
        for (int i = 0; i < 100; i++) {
            b.tryStart(Long.MAX_VALUE / 2);
            assertTrue(b.failed(0) <= 30_000);
        }
    }
}
