package dev.edgelink.relay.dcutr;

import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.relay.reachability.Reachability;
import java.util.HashMap;
import java.util.Map;

/**
 * When to try a hole punch. Never when either side's reachability is NAT_SYMMETRIC (the peer's comes from its
 * node record); after a failed punch, not again before a backoff that doubles from {@code minBackoffNanos} to
 * {@code maxBackoffNanos} per peer; a success clears it. Pure: time is passed in. Thread-safe.
 */
public final class PunchPolicy {

    /** The answer: try, or why not. */
    public record Decision(boolean attempt, String reason) {
    }

    private record Backoff(int failures, long notBeforeNanos) {
    }

    private final long minBackoffNanos;
    private final long maxBackoffNanos;
    private final Map<PeerId, Backoff> backoffs = new HashMap<>();

    public PunchPolicy(long minBackoffNanos, long maxBackoffNanos) {
        if (minBackoffNanos <= 0 || maxBackoffNanos < minBackoffNanos) {
            throw new IllegalArgumentException("backoff bounds must be positive and ordered");
        }
        this.minBackoffNanos = minBackoffNanos;
        this.maxBackoffNanos = maxBackoffNanos;
    }

    /** 30 s doubling up to 30 min. */
    public static PunchPolicy standard() {
        return new PunchPolicy(30_000_000_000L, 1_800_000_000_000L);
    }

    public synchronized Decision decide(PeerId peer, Reachability local, Reachability remote, long nowNanos) {
        if (!local.punchable()) {
            return new Decision(false, "our NAT is symmetric");
        }
        if (!remote.punchable()) {
            return new Decision(false, "the peer's NAT is symmetric");
        }
        Backoff b = backoffs.get(peer);
        if (b != null && nowNanos - b.notBeforeNanos() < 0) {
            return new Decision(false, "backing off after " + b.failures() + " failed punch(es) for "
                    + (b.notBeforeNanos() - nowNanos) / 1_000_000 + " ms");
        }
        return new Decision(true, "worth trying");
    }

    public synchronized void failed(PeerId peer, long nowNanos) {
        Backoff old = backoffs.get(peer);
        int failures = old == null ? 1 : old.failures() + 1;
        backoffs.put(peer, new Backoff(failures, nowNanos + backoffNanos(failures)));
    }

    public synchronized void succeeded(PeerId peer) {
        backoffs.remove(peer);
    }

    /** The pause after {@code failures} consecutive failures. */
    public long backoffNanos(int failures) {
        long b = minBackoffNanos;
        for (int i = 1; i < failures && b < maxBackoffNanos; i++) {
            b = b > maxBackoffNanos / 2 ? maxBackoffNanos : b * 2;
        }
        return Math.min(b, maxBackoffNanos);
    }
}
