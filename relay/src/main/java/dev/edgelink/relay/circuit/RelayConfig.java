package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a relay server allows. Members (the predicate: the mesh's own nodes) get reservations and circuits
 * without any limit; everyone else is refused ({@code RESERVATION_REFUSED}, {@code PERMISSION_DENIED}) unless
 * {@code nonMemberLimit} is set, in which case they get limited circuits. A circuit is unlimited only when both
 * ends are members.
 *
 * @param members who is one of ours
 * @param nonMemberLimit the limit of circuits that involve a non-member; empty: non-members are refused
 * @param reservationTtl how long a reservation lasts before the client must renew it
 * @param maxReservations reservations held at once, over all peers
 * @param maxReservationsPerIp reservations from one source IP address; sized for many edge nodes behind one NAT
 * @param maxCircuits relayed connections at once
 * @param maxCircuitsPerPeer relayed connections at once that one peer is an end of
 * @param streamTimeout how long a peer may take to send its hop or stop message, and the target to answer
 * @param bufferBytes what all circuits together may hold: bytes read and not yet passed on, bytes kept while a
 *     side is paused, and receive-window growth beyond the initial 256 KiB. While more than half of it is queued
 *     circuits pause their senders and no circuit is admitted; a circuit whose bytes would take the relay past
 *     it is reset (see {@code CircuitMemory}). The bound does not depend on the number of circuits: one that moves
 *     nothing holds nothing.
 */
public record RelayConfig(Predicate<PeerId> members, Optional<CircuitLimit> nonMemberLimit, Duration reservationTtl,
        int maxReservations, int maxReservationsPerIp, int maxCircuits, int maxCircuitsPerPeer,
        Duration streamTimeout, long bufferBytes) {

    public static final Duration DEFAULT_RESERVATION_TTL = Duration.ofHours(1);
    /**
     * A reservation for every NAT'd node of a 2000-node fleet. With {@link #DEFAULT_MAX_CIRCUITS} this is what the
     * shipped 32 MiB heap holds with room for the rest of the agent ({@link #heapAtFullUse}).
     */
    public static final int DEFAULT_MAX_RESERVATIONS = 2048;
    /** Sites put hundreds of nodes behind one NAT address; one address still cannot take every slot. */
    public static final int DEFAULT_MAX_RESERVATIONS_PER_IP = 1024;
    /** Relayed connections at once: thousands, for the pairs of a 1000-node fleet that carry traffic. */
    public static final int DEFAULT_MAX_CIRCUITS = 4096;
    /**
     * A node relayed to half of a 1000-node fleet at once. A circuit takes one yamux stream on each end's
     * connection to the relay, where at most 1000 may be open at once.
     */
    public static final int DEFAULT_MAX_CIRCUITS_PER_PEER = 512;
    /**
     * Heap one reservation costs the relay with the connection it comes with (Netty channel, Noise, yamux,
     * identify): 2.7 to 2.9 KB measured by {@code RelayScaleTest}, rounded up.
     */
    public static final long RESERVATION_HEAP_BYTES = 3072;
    /**
     * Heap one circuit costs the relay (two streams, the splice, the slot): 1.9 to 2.0 KB measured by
     * {@code RelayScaleTest}, 0.2 KB more after it carried data, rounded up.
     */
    public static final long CIRCUIT_HEAP_BYTES = 2560;
    public static final Duration DEFAULT_STREAM_TIMEOUT = Duration.ofSeconds(20);
    public static final long DEFAULT_BUFFER_BYTES = 16L << 20;
    /** The least {@link #forDirectMemory} gives circuits, however little direct memory there is. */
    public static final long MIN_DERIVED_BUFFER_BYTES = 1L << 20;

    public RelayConfig {
        Objects.requireNonNull(members, "members");
        Objects.requireNonNull(nonMemberLimit, "nonMemberLimit");
        if (reservationTtl.getSeconds() < 1 || streamTimeout.isNegative() || streamTimeout.isZero()) {
            throw new ConfigurationException("relay: reservation TTL must be >= 1 s and the stream timeout > 0");
        }
        if (bufferBytes < 65536) {
            throw new ConfigurationException("relay: bufferBytes must be at least 64 KiB, got " + bufferBytes);
        }
        if (maxReservations < 1 || maxReservationsPerIp < 1 || maxCircuits < 1 || maxCircuitsPerPeer < 1) {
            throw new ConfigurationException("relay: every maximum must be at least 1");
        }
        if (maxReservationsPerIp > maxReservations || maxCircuitsPerPeer > maxCircuits) {
            throw new ConfigurationException("relay: maxReservationsPerIp (" + maxReservationsPerIp + ") and "
                    + "maxCircuitsPerPeer (" + maxCircuitsPerPeer + ") must not be above maxReservations ("
                    + maxReservations + ") and maxCircuits (" + maxCircuits + ")");
        }
    }

    /** The defaults above: members unlimited, everyone else refused. */
    public static RelayConfig defaults(Predicate<PeerId> members) {
        return new RelayConfig(members, Optional.empty(), DEFAULT_RESERVATION_TTL, DEFAULT_MAX_RESERVATIONS,
                DEFAULT_MAX_RESERVATIONS_PER_IP, DEFAULT_MAX_CIRCUITS, DEFAULT_MAX_CIRCUITS_PER_PEER,
                DEFAULT_STREAM_TIMEOUT, DEFAULT_BUFFER_BYTES);
    }

    /**
     * {@link #defaults} with what circuits may hold ({@code bufferBytes}) derived from the JVM's direct-memory limit
     * {@code maxDirectMemory}: a quarter of it, at least {@link #MIN_DERIVED_BUFFER_BYTES} (circuits pause at half
     * of that, an eighth of the direct memory). With 32 MiB: 8 MiB, pausing at 4 MiB. The circuit count is not
     * derived from memory: a circuit holds bytes only while it moves them, and those are what the budget bounds.
     */
    public static RelayConfig forDirectMemory(Predicate<PeerId> members, long maxDirectMemory) {
        return defaults(members).withBufferBytes(Math.max(MIN_DERIVED_BUFFER_BYTES, maxDirectMemory / 4));
    }

    /**
     * The heap the relay's reservations (with their connections) and circuits take when every slot is in use:
     * {@link #RESERVATION_HEAP_BYTES} and {@link #CIRCUIT_HEAP_BYTES} each. Bytes in flight are direct memory,
     * bounded apart by {@link #bufferBytes}.
     */
    public long heapAtFullUse() {
        return maxReservations * RESERVATION_HEAP_BYTES + maxCircuits * CIRCUIT_HEAP_BYTES;
    }

    public RelayConfig withNonMemberLimit(CircuitLimit limit) {
        return new RelayConfig(members, Optional.ofNullable(limit), reservationTtl, maxReservations,
                maxReservationsPerIp, maxCircuits, maxCircuitsPerPeer, streamTimeout, bufferBytes);
    }

    public RelayConfig withReservationTtl(Duration ttl) {
        return new RelayConfig(members, nonMemberLimit, ttl, maxReservations, maxReservationsPerIp, maxCircuits,
                maxCircuitsPerPeer, streamTimeout, bufferBytes);
    }

    public RelayConfig withLimits(int reservations, int reservationsPerIp, int circuits, int circuitsPerPeer) {
        return new RelayConfig(members, nonMemberLimit, reservationTtl, reservations, reservationsPerIp, circuits,
                circuitsPerPeer, streamTimeout, bufferBytes);
    }

    public RelayConfig withStreamTimeout(Duration timeout) {
        return new RelayConfig(members, nonMemberLimit, reservationTtl, maxReservations, maxReservationsPerIp,
                maxCircuits, maxCircuitsPerPeer, timeout, bufferBytes);
    }

    public RelayConfig withBufferBytes(long bytes) {
        return new RelayConfig(members, nonMemberLimit, reservationTtl, maxReservations, maxReservationsPerIp,
                maxCircuits, maxCircuitsPerPeer, streamTimeout, bytes);
    }
}
