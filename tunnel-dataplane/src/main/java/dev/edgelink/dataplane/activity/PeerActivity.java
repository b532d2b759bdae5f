package dev.edgelink.dataplane.activity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * When each peer's pods last exchanged traffic with ours, from counters the data plane keeps anyway: the caller
 * hands in, now and then, cumulative packet counts per peer from one or more sources (the per-peer nftables
 * counters, the userspace path's per-peer packet counts), and a peer whose count grew since that source's previous
 * count had traffic at that moment. Direct evidence (a packet waiting for a connection) is reported with
 * {@link #traffic}. Probing ({@code PathSelector.onTraffic}) and connections follow what this says: a peer is
 * <em>active</em> while its last traffic is less than {@code idleTimeout} old, else idle.
 *
 * <p>Only counts that grew are traffic: the first count of a peer in a source is where it starts (an agent that
 * restarts finds the kernel's counters where it left them), and a count that went down was reset (the table or the
 * device was made again) and starts there anew. A peer absent from a source's counts is forgotten by that source.
 *
 * <p>No clock: every call takes {@code nowNanos}. Thread-safe; listeners are called on the caller's thread, after
 * the lock is released, and must not block.
 */
public final class PeerActivity {
    private final long idleTimeoutNanos;
    private final Duration idleTimeout;
    private final Map<String, Map<String, Long>> counts = new HashMap<>();
    private final Map<String, Long> lastTraffic = new HashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /** @param idleTimeout a peer without traffic for this long is idle */
    public PeerActivity(Duration idleTimeout) {
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be longer than zero, got " + idleTimeout);
        }
        this.idleTimeout = idleTimeout;
        this.idleTimeoutNanos = idleTimeout.toNanos();
    }

    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Told the node name of a peer that becomes active: its first traffic, or the first after being idle. */
    public void addListener(Consumer<String> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Takes {@code source}'s cumulative packet counts per peer, as read at {@code nowNanos}.
     *
     * @return the peers whose count grew since the source's previous counts (traffic at {@code nowNanos})
     */
    public List<String> observe(String source, Map<String, Long> packets, long nowNanos) {
        List<String> moved = new ArrayList<>();
        List<String> woke = new ArrayList<>();
        synchronized (this) {
            Map<String, Long> before = counts.computeIfAbsent(source, k -> new HashMap<>());
            packets.forEach((peer, n) -> {
                Long was = before.put(peer, n);
                if (was != null && n > was) {
                    moved.add(peer);
                    if (touch(peer, nowNanos)) {
                        woke.add(peer);
                    }
                }
            });
            before.keySet().retainAll(packets.keySet());
        }
        woke.forEach(this::tell);
        return moved;
    }

    /** Traffic of {@code peer} seen at {@code nowNanos} by other means than a count (a packet waiting for a link). */
    public void traffic(String peer, long nowNanos) {
        boolean woke;
        synchronized (this) {
            woke = touch(peer, nowNanos);
        }
        if (woke) {
            tell(peer);
        }
    }

    /** When {@code peer} last had traffic, if ever since it was first counted. */
    public synchronized OptionalLong lastTraffic(String peer) {
        Long t = lastTraffic.get(peer);
        return t == null ? OptionalLong.empty() : OptionalLong.of(t);
    }

    /** Whether {@code peer} had traffic less than {@code idleTimeout} before {@code nowNanos}. */
    public synchronized boolean active(String peer, long nowNanos) {
        Long t = lastTraffic.get(peer);
        return t != null && nowNanos - t < idleTimeoutNanos;
    }

    /** The peers active at {@code nowNanos}. */
    public synchronized Set<String> activePeers(long nowNanos) {
        Set<String> out = new HashSet<>();
        lastTraffic.forEach((peer, t) -> {
            if (nowNanos - t < idleTimeoutNanos) {
                out.add(peer);
            }
        });
        return out;
    }

    /** Forgets every peer not in {@code peers} (departed nodes). */
    public synchronized void retain(Collection<String> peers) {
        Set<String> keep = new HashSet<>(peers);
        lastTraffic.keySet().retainAll(keep);
        counts.values().forEach(c -> c.keySet().retainAll(keep));
    }

    /** Records traffic; true if the peer was idle (or never had traffic) before. */
    private boolean touch(String peer, long nowNanos) {
        Long t = lastTraffic.get(peer);
        boolean wasIdle = t == null || nowNanos - t >= idleTimeoutNanos;
        if (t == null || nowNanos - t > 0) {
            lastTraffic.put(peer, nowNanos);
        }
        return wasIdle;
    }

    private void tell(String peer) {
        listeners.forEach(l -> l.accept(peer));
    }
}
