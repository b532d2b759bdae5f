package dev.edgelink.libp2p.host;

import dev.edgelink.libp2p.peer.PeerId;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The host's connection slots: inbound connections still in their handshake, counted per source and in total, and
 * established (authenticated) connections of both directions and both kinds (TCP, relayed). A stranger can open
 * handshakes without any key, so they never take an established slot: a connection takes one only once Noise has
 * authenticated its peer, and a flood of handshakes cannot keep a member out.
 *
 * <pre>
 *               inbound(source)                 authenticate(peer)
 *   accepted ------------------> HANDSHAKE -----------------------------> ESTABLISHED
 *               outbound()        |     |   maxConnections reached             |
 *                                 |     `------------------------> CLOSED <-----' release
 *                                 `-- a newer handshake evicts it --^  ^-- release
 * </pre>
 *
 * <p>When an inbound handshake would make its source hold more than {@code maxPendingPerIp}, or all sources more
 * than {@code maxPendingHandshakes}, the oldest handshake of that source (or of all) is closed to make room, not the
 * new one: the oldest has had the longest time to finish, and a member's handshake, which takes a few round trips,
 * then survives a flood unless the flood opens more than the limit within those round trips (refusing newcomers
 * instead would let 8 idle sockets every 5 s lock out everyone behind the same address). Outbound handshakes are
 * our own dials and are not counted here.
 *
 * <p>Pure bookkeeping under one lock, no I/O and no time: closing an evicted connection is its closer, run after
 * the lock is released, and the handshake deadline is the connection handler's timer.
 */
final class ConnectionSlots {

    /** Where a slot's connection is. */
    enum State { HANDSHAKE, ESTABLISHED, CLOSED }

    /** What {@link #authenticate} decided. */
    enum Outcome {
        /** The connection took an established slot. */
        ESTABLISHED,
        /** {@code maxConnections} are established: the connection must be closed. */
        FULL,
        /** The slot was evicted or released before: the connection is going away. */
        CLOSED
    }

    /**
     * What a handshake is counted against: an IPv4 address, an IPv6 /64 (one host commonly holds a whole /64), or
     * for a relayed connection the remote peer as the relay names it (the relay authenticated it on its own
     * connection; keying on the relay instead would let one peer flooding through a relay lock out every member
     * that reaches us through the same relay).
     */
    record Source(InetAddress address, PeerId relayedPeer) {

        static Source ip(InetAddress address) {
            Objects.requireNonNull(address, "address");
            if (!(address instanceof Inet6Address)) {
                return new Source(address, null);
            }
            byte[] prefix = address.getAddress();
            Arrays.fill(prefix, 8, 16, (byte) 0);
            try {
                return new Source(InetAddress.getByAddress(prefix), null);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        }

        static Source relayed(PeerId remote) {
            return new Source(null, Objects.requireNonNull(remote, "remote"));
        }

        @Override
        public String toString() {
            if (relayedPeer != null) {
                return "relayed peer " + relayedPeer;
            }
            return address instanceof Inet6Address ? address.getHostAddress() + "/64" : address.getHostAddress();
        }
    }

    /** One connection's slot. */
    final class Slot {
        private final Source source;
        private final String remote;
        private final Runnable closer;
        private State state = State.HANDSHAKE;
        private boolean evicted;
        private PeerId peer;

        private Slot(Source source, String remote, Runnable closer) {
            this.source = source;
            this.remote = remote;
            this.closer = closer;
        }

        /** True for an inbound connection (its handshake is counted against its source). */
        boolean isInbound() {
            return source != null;
        }

        State state() {
            synchronized (ConnectionSlots.this) {
                return state;
            }
        }

        /** True when a newer handshake made this one's room (it was counted then). */
        boolean wasEvicted() {
            synchronized (ConnectionSlots.this) {
                return evicted;
            }
        }
    }

    private final int maxPendingPerSource;
    private final int maxPending;
    private final int maxEstablished;
    private final BiConsumer<Refusal, String> refused;
    private final Set<Slot> pending = new LinkedHashSet<>();
    private final Map<Source, ArrayDeque<Slot>> pendingBySource = new HashMap<>();
    private final Set<Slot> established = new LinkedHashSet<>();

    /**
     * @param refused told of every handshake evicted to make room ({@link Refusal#PENDING_PER_IP},
     *     {@link Refusal#PENDING_TOTAL}) with the evicted one's remote, outside the lock
     */
    ConnectionSlots(int maxPendingPerSource, int maxPending, int maxEstablished, BiConsumer<Refusal, String> refused) {
        this.maxPendingPerSource = maxPendingPerSource;
        this.maxPending = maxPending;
        this.maxEstablished = maxEstablished;
        this.refused = refused;
    }

    /**
     * A slot for an accepted (or relayed-inbound) connection in its handshake, evicting the oldest handshake of
     * its source or of all when a limit would be passed; their closers have run when this returns.
     *
     * @param remote the connection's remote, for logs
     * @param closer closes the connection (called at most once, without the lock held)
     */
    Slot inbound(Source source, String remote, Runnable closer) {
        Objects.requireNonNull(source, "source");
        Slot slot = new Slot(source, remote, closer);
        List<Slot> evictedPerSource = new ArrayList<>(1);
        List<Slot> evictedTotal = new ArrayList<>(1);
        synchronized (this) {
            ArrayDeque<Slot> mine = pendingBySource.computeIfAbsent(source, s -> new ArrayDeque<>());
            while (mine.size() >= maxPendingPerSource) {
                evictedPerSource.add(evict(mine.peekFirst()));
            }
            while (pending.size() >= maxPending) {
                evictedTotal.add(evict(pending.iterator().next()));
            }
            pending.add(slot);
            pendingBySource.computeIfAbsent(source, s -> new ArrayDeque<>()).addLast(slot);
        }
        closeEvicted(evictedPerSource, Refusal.PENDING_PER_IP);
        closeEvicted(evictedTotal, Refusal.PENDING_TOTAL);
        return slot;
    }

    /** A slot for a connection we dialed (TCP or relayed): no handshake limit; established once authenticated. */
    Slot outbound(String remote, Runnable closer) {
        return new Slot(null, remote, closer);
    }

    /** Moves a slot whose peer Noise has authenticated to the established ones, if there is room. */
    synchronized Outcome authenticate(Slot slot, PeerId peer) {
        if (slot.state != State.HANDSHAKE) {
            return Outcome.CLOSED;
        }
        leavePending(slot);
        if (established.size() >= maxEstablished) {
            slot.state = State.CLOSED;
            return Outcome.FULL;
        }
        slot.peer = peer;
        slot.state = State.ESTABLISHED;
        established.add(slot);
        return Outcome.ESTABLISHED;
    }

    /** The connection is closed: its slot is free (idempotent). */
    synchronized void release(Slot slot) {
        if (slot.state == State.HANDSHAKE) {
            leavePending(slot);
        } else if (slot.state == State.ESTABLISHED) {
            established.remove(slot);
        }
        slot.state = State.CLOSED;
    }

    /** Closes every established connection to {@code peer} (authenticated, whether or not its muxer runs yet). */
    int closeAll(PeerId peer) {
        List<Slot> toClose = new ArrayList<>();
        synchronized (this) {
            for (Slot s : established) {
                if (s.peer.equals(peer)) {
                    toClose.add(s);
                }
            }
            // Closing takes a moment (the channel closes on its event loop): the slots are free from now on, so a
            // second call does not count them again and a new connection is not refused for them.
            for (Slot s : toClose) {
                established.remove(s);
                s.state = State.CLOSED;
            }
        }
        toClose.forEach(s -> s.closer.run());
        return toClose.size();
    }

    synchronized int pendingCount() {
        return pending.size();
    }

    synchronized int establishedCount() {
        return established.size();
    }

    private Slot evict(Slot oldest) {
        leavePending(oldest);
        oldest.state = State.CLOSED;
        oldest.evicted = true;
        return oldest;
    }

    private void leavePending(Slot slot) {
        if (slot.source == null) {
            return;
        }
        pending.remove(slot);
        ArrayDeque<Slot> mine = pendingBySource.get(slot.source);
        if (mine != null) {
            mine.remove(slot);
            if (mine.isEmpty()) {
                pendingBySource.remove(slot.source);
            }
        }
    }

    private void closeEvicted(List<Slot> evicted, Refusal reason) {
        for (Slot s : evicted) {
            refused.accept(reason, "remote=" + s.remote);
            s.closer.run();
        }
    }
}
