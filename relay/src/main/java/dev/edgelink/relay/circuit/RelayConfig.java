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
 * @param bufferBytes what all circuits together may hold: bytes read and not yet passed on, and receive-window
 *     growth beyond the initial 256 KiB; a circuit that would take more pauses (see {@code CircuitMemory})
 */
public record RelayConfig(Predicate<PeerId> members, Optional<CircuitLimit> nonMemberLimit, Duration reservationTtl,
        int maxReservations, int maxReservationsPerIp, int maxCircuits, int maxCircuitsPerPeer,
        Duration streamTimeout, long bufferBytes) {

    public static final Duration DEFAULT_RESERVATION_TTL = Duration.ofHours(1);
    public static final int DEFAULT_MAX_RESERVATIONS = 4096;
    public static final int DEFAULT_MAX_RESERVATIONS_PER_IP = 64;
    public static final int DEFAULT_MAX_CIRCUITS = 4096;
    public static final int DEFAULT_MAX_CIRCUITS_PER_PEER = 64;
    public static final Duration DEFAULT_STREAM_TIMEOUT = Duration.ofSeconds(20);
    public static final long DEFAULT_BUFFER_BYTES = 16L << 20;
    /** What one paused circuit holds at least, besides the budget: both streams' initial receive windows. */
    public static final long CIRCUIT_FIXED_BYTES = 2L * 256 * 1024;

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
    }

    /** The defaults above: members unlimited, everyone else refused. */
    public static RelayConfig defaults(Predicate<PeerId> members) {
        return new RelayConfig(members, Optional.empty(), DEFAULT_RESERVATION_TTL, DEFAULT_MAX_RESERVATIONS,
                DEFAULT_MAX_RESERVATIONS_PER_IP, DEFAULT_MAX_CIRCUITS, DEFAULT_MAX_CIRCUITS_PER_PEER,
                DEFAULT_STREAM_TIMEOUT, DEFAULT_BUFFER_BYTES);
    }

    /**
     * {@link #defaults} with the memory limits derived from the JVM's direct-memory limit {@code maxDirectMemory}:
     * an eighth of it for what circuits hold ({@code bufferBytes}), and as many circuits as a quarter of it can
     * hold when every one of them is paused with full initial windows ({@link #CIRCUIT_FIXED_BYTES} each), at
     * least 16 and at most {@link #DEFAULT_MAX_CIRCUITS}. With 32 MiB: 4 MiB, 16 circuits; with 256 MiB: 32 MiB,
     * 128 circuits.
     */
    public static RelayConfig forDirectMemory(Predicate<PeerId> members, long maxDirectMemory) {
        long circuits = Math.max(16, Math.min(DEFAULT_MAX_CIRCUITS, maxDirectMemory / 4 / CIRCUIT_FIXED_BYTES));
        RelayConfig d = defaults(members);
        return d.withLimits(d.maxReservations(), d.maxReservationsPerIp(), (int) circuits,
                        (int) Math.min(circuits, d.maxCircuitsPerPeer()))
                .withBufferBytes(Math.max(1 << 20, maxDirectMemory / 8));
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
