package dev.edgelink.libp2p.host;

import java.util.Locale;

/**
 * Why the host closed a connection before it could be used: the limits on connections still in their handshake
 * (which a stranger can open without any key), the handshake deadline, the limit on established connections, and
 * the peer gate. Counted by {@link Host#refusals()}; logged at most once per reason and interval, with the count.
 */
public enum Refusal {
    /** An inbound handshake was closed because its source opened more than {@code maxPendingPerIp}: the oldest. */
    PENDING_PER_IP,
    /** An inbound handshake was closed because more than {@code maxPendingHandshakes} ran: the oldest of all. */
    PENDING_TOTAL,
    /** An inbound connection did not authenticate its peer within {@code handshakeTimeout} (or the upgrade timeout). */
    HANDSHAKE_DEADLINE,
    /** An inbound handshake failed before the peer was authenticated: wrong swarm key, garbage, a broken protocol. */
    HANDSHAKE_FAILED,
    /** An authenticated connection found {@code maxConnections} established ones. */
    CONNECTIONS,
    /** The peer gate refused an authenticated peer. */
    PEER_GATE;

    /** The reason as a metric label: {@code pending_per_ip}, ..., {@code peer_gate}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
