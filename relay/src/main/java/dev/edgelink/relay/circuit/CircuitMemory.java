package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.mux.ByteBudget;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the relay holds for all its circuits together, in bytes ({@link RelayConfig#bufferBytes}, the limit): bytes
 * read from one side and not yet framed for the other ("queued"), bytes a circuit stream received while its reading
 * was paused ("kept"), and the growth of the circuit streams' receive windows beyond the initial one. A circuit that
 * moves nothing holds nothing.
 *
 * <p>Two marks. While more than half the limit is queued (the pause point), a circuit that reads pauses that side
 * until enough was sent on, and no circuit is admitted; while more than half the limit is held in all, no window
 * grows. The other half is headroom for what cannot be paused: bytes a sender already had the window for (each
 * stream's initial 256 KiB, fixed by the yamux spec, is granted without asking anyone). A circuit whose bytes would
 * take the relay past the limit itself is reset instead of kept. So the limit bounds what circuits hold, however
 * many there are.
 *
 * <p>Only queued bytes pause circuits: they leave as the destinations read, whereas kept bytes leave only when their
 * circuit resumes, so counting them would keep every circuit paused for good.
 */
final class CircuitMemory {
    private final ByteBudget budget;
    private final long pausePoint;
    private final AtomicLong queued = new AtomicLong();
    private final Queue<Runnable> paused = new ConcurrentLinkedQueue<>();

    CircuitMemory(long limit) {
        this.pausePoint = limit / 2;
        this.budget = new ByteBudget("relay.bufferBytes", limit, limit - pausePoint);
    }

    ByteBudget budget() {
        return budget;
    }

    /**
     * Queues {@code n} bytes that were read and are being passed on; false, taking nothing, if they do not fit under
     * the limit (the caller drops them and ends the circuit).
     */
    boolean hold(int n) {
        if (!budget.tryAcquireReceived(n)) {
            return false;
        }
        queued.addAndGet(n);
        return true;
    }

    /** Whether more than the pause point is queued: circuits that read pause, and no circuit is admitted. */
    boolean full() {
        return queued.get() > pausePoint;
    }

    /**
     * Circuits ended since start because their bytes would have taken the relay past its limit: here, or in a
     * circuit stream that kept them while paused (rarely both streams of one circuit count).
     */
    long circuitsReset() {
        return budget.receivedRefusals();
    }

    /** Gives back {@code n} queued bytes that were sent on, and resumes paused circuits once below the pause point. */
    void release(long n) {
        if (n > 0) {
            queued.addAndGet(-n);
            budget.release(n);
        }
        if (!full()) {
            Runnable r;
            while ((r = paused.poll()) != null) {
                r.run();
            }
        }
    }

    /** Runs {@code resume} once the queued bytes are below the pause point (at once if they already are). */
    void whenRoom(Runnable resume) {
        paused.add(resume);
        release(0);
    }
}
