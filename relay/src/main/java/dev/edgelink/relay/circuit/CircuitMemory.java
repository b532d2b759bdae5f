package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.mux.ByteBudget;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the relay holds for all its circuits together, in bytes: bytes read from one side and not yet framed for
 * the other, and the growth of the circuit streams' receive windows beyond the initial one (what a sender may
 * push at us while we do not read). A circuit whose bytes take the budget past its limit pauses reading that side
 * until enough was sent on; a window grows only while the budget takes the growth.
 *
 * <p>Bound: the limit, plus at most one read per circuit direction over it, plus the initial receive window
 * (256 KiB, fixed by the yamux spec) of each paused circuit stream: {@code maxCircuits} decides that last part.
 */
final class CircuitMemory {
    private final ByteBudget budget;
    private final Queue<Runnable> paused = new ConcurrentLinkedQueue<>();

    CircuitMemory(long limit) {
        this.budget = new ByteBudget("relay.bufferBytes", limit);
    }

    ByteBudget budget() {
        return budget;
    }

    /** Takes {@code n} bytes that were read and are being passed on; true if the budget is now over its limit. */
    boolean hold(int n) {
        budget.acquireAnyway(n);
        return budget.used() > budget.limit();
    }

    /** Gives back {@code n} bytes that were sent on, and resumes paused circuits once there is room. */
    void release(long n) {
        if (n > 0) {
            budget.release(n);
        }
        if (budget.used() <= budget.limit()) {
            Runnable r;
            while ((r = paused.poll()) != null) {
                r.run();
            }
        }
    }

    /** Runs {@code resume} once the budget is under its limit (at once if it already is). */
    void whenRoom(Runnable resume) {
        paused.add(resume);
        release(0);
    }
}
