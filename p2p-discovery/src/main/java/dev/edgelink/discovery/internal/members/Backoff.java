package dev.edgelink.discovery.internal.members;

import java.util.Random;

/**
 * Exponential backoff with jitter for dials: after {@code n} failures wait {@code initial * 2^(n-1)}, capped at
 * {@code max}, each delay scaled by a random factor in [0.8, 1.2) so that nodes started together do not dial in
 * step. Pure: the caller passes time and the random source.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final Random random;
    private int failures;
    private long notBeforeMillis;
    private boolean inFlight;

    public Backoff(long initialMillis, long maxMillis, Random random) {
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.random = random;
    }

    /** Whether a dial may start now: none in flight and the wait after the last failure is over. */
    public synchronized boolean tryStart(long nowMillis) {
        if (inFlight || nowMillis < notBeforeMillis) {
            return false;
        }
        inFlight = true;
        return true;
    }

    public synchronized void succeeded() {
        inFlight = false;
        failures = 0;
        notBeforeMillis = 0;
    }

    /** Records a failure at {@code nowMillis}; returns the delay before the next attempt. */
    public synchronized long failed(long nowMillis) {
        inFlight = false;
        failures++;
        long base = failures >= 31 ? maxMillis : Math.min(maxMillis, initialMillis << (failures - 1));
        long delay = Math.min(maxMillis, (long) (base * (0.8 + 0.4 * random.nextDouble())));
        notBeforeMillis = nowMillis + delay;
        return delay;
    }

    /** No attempt before {@code millis} (a first dial that should give another party the chance to go first). */
    public synchronized void deferUntil(long millis) {
        notBeforeMillis = Math.max(notBeforeMillis, millis);
    }

    public synchronized int failures() {
        return failures;
    }
}
