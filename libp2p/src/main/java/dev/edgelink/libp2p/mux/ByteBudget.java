package dev.edgelink.libp2p.mux;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A shared limit, in bytes, on memory that the network can make us hold (packets queued for peers, bytes waiting
 * in a relay's circuits). Holders {@link #tryAcquire} before they keep bytes and {@link #release} exactly what they
 * acquired once the bytes are gone. A refused acquire is the caller's cue to drop (a packet) or to pause (a
 * stream), never to wait: nothing blocks here.
 *
 * <p>A budget may keep {@code headroom} below its limit for bytes that arrived and can only be kept or dropped,
 * not paused (bytes a remote sent within the window we granted): what a holder chooses to keep ({@link #tryAcquire})
 * stops at {@link #softLimit()}, such bytes ({@link #tryAcquireReceived}) may fill the headroom up to the limit.
 * Without headroom both stop at the limit.
 *
 * <p>Thread-safe and lock-free. {@link #used()} may briefly exceed {@link #limit()} only by
 * {@link #acquireAnyway} (small control frames that must not be lost).
 */
public final class ByteBudget {
    private final String name;
    private final long limit;
    private final long softLimit;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder receivedRefusals = new LongAdder();

    /**
     * @param name what the budget is for, in error messages and metrics
     * @param limit bytes that may be held at once, at least 1
     */
    public ByteBudget(String name, long limit) {
        this(name, limit, 0);
    }

    /**
     * @param name what the budget is for, in error messages and metrics
     * @param limit bytes that may be held at once, at least 1
     * @param headroom the top part of the limit that only {@link #tryAcquireReceived} may take (0 .. limit - 1)
     */
    public ByteBudget(String name, long limit, long headroom) {
        if (limit < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 byte, got " + limit);
        }
        if (headroom < 0 || headroom >= limit) {
            throw new IllegalArgumentException(name + ": headroom must be 0 .. limit - 1, got " + headroom);
        }
        this.name = name;
        this.limit = limit;
        this.softLimit = limit - headroom;
    }

    /** Takes {@code n} bytes if they fit under the soft limit (the limit less the headroom); false (counted) if not. */
    public boolean tryAcquire(long n) {
        return acquireUpTo(n, softLimit);
    }

    /**
     * Takes {@code n} bytes that have arrived and cannot be paused, only kept or dropped, if they fit under the
     * limit itself (the headroom is theirs); false (and counted) if not: the caller drops them.
     */
    public boolean tryAcquireReceived(long n) {
        if (acquireUpTo(n, limit)) {
            return true;
        }
        receivedRefusals.increment();
        return false;
    }

    private boolean acquireUpTo(long n, long ceiling) {
        long now;
        long next;
        do {
            now = used.get();
            next = now + n;
            if (next > ceiling) {
                refusals.increment();
                return false;
            }
        } while (!used.compareAndSet(now, next));
        notePeak(next);
        return true;
    }

    /** Takes {@code n} bytes even over the limit: for a few bytes that must go out (a probe's answer). */
    public void acquireAnyway(long n) {
        notePeak(used.addAndGet(n));
    }

    /** Gives back {@code n} bytes that were acquired. */
    public void release(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("release of " + n + " bytes from " + name);
        }
        long left = used.addAndGet(-n);
        if (left < 0) {
            throw new IllegalStateException(name + ": released more than acquired (" + left + ")");
        }
    }

    public String name() {
        return name;
    }

    public long limit() {
        return limit;
    }

    /** Where {@link #tryAcquire} stops: the limit less the headroom. */
    public long softLimit() {
        return softLimit;
    }

    public long used() {
        return used.get();
    }

    /** The most ever held at once. */
    public long peak() {
        return peak.get();
    }

    /** Acquires refused since start. */
    public long refusals() {
        return refusals.sum();
    }

    /** {@link #tryAcquireReceived} calls refused since start: each time bytes that had arrived were dropped. */
    public long receivedRefusals() {
        return receivedRefusals.sum();
    }

    private void notePeak(long value) {
        long p;
        while (value > (p = peak.get()) && !peak.compareAndSet(p, value)) {
            Thread.onSpinWait();
        }
    }

    @Override
    public String toString() {
        return name + "[" + used() + "/" + limit + " bytes]";
    }
}
