package dev.edgelink.relay.autonat;

import dev.edgelink.libp2p.peer.PeerId;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Sliding-window request limits, per peer and for everyone together. Pure: the caller passes the time. A
 * refused request does not count. Thread-safe.
 */
final class RateLimiter {

    private final int perPeer;
    private final int global;
    private final long windowNanos;
    private final Deque<Long> all = new ArrayDeque<>();
    private final Map<PeerId, Deque<Long>> byPeer = new HashMap<>();

    RateLimiter(int perPeer, int global, long windowNanos) {
        this.perPeer = perPeer;
        this.global = global;
        this.windowNanos = windowNanos;
    }

    /** Why {@code peer} may not ask now, or null when it may (and then the request is counted). */
    synchronized String tryAcquire(PeerId peer, long nowNanos) {
        expire(all, nowNanos);
        for (Iterator<Deque<Long>> it = byPeer.values().iterator(); it.hasNext(); ) {
            Deque<Long> times = it.next();
            expire(times, nowNanos);
            if (times.isEmpty()) {
                it.remove();
            }
        }
        Deque<Long> mine = byPeer.computeIfAbsent(peer, p -> new ArrayDeque<>());
        if (mine.size() >= perPeer) {
            return "per-peer limit of " + perPeer + " requests reached";
        }
        if (all.size() >= global) {
            return "global limit of " + global + " requests reached";
        }
        mine.add(nowNanos);
        all.add(nowNanos);
        return null;
    }

    private void expire(Deque<Long> times, long nowNanos) {
        while (!times.isEmpty() && nowNanos - times.peekFirst() >= windowNanos) {
            times.pollFirst();
        }
    }
}
