package dev.edgelink.libp2p.host;

import java.time.Duration;
import java.util.Optional;

/**
 * How {@link Host#connect(dev.edgelink.libp2p.multiaddr.Multiaddr, DialOptions)} dials.
 *
 * <p>A hole punch (DCUtR over TCP) needs three things a normal dial does not: the dial leaves from the port we
 * listen on (the port the remote and its NAT already saw), it happens even when a (relayed) connection to the
 * peer exists, and the upgrade role is fixed in advance. In a TCP simultaneous open both sockets called
 * {@code connect()}, so "the dialer is the initiator" cannot decide who speaks first in multistream-select and
 * noise; DCUtR's peers agree that the side that received the SYNC message (A) is the initiator and the side that
 * sent it (B) is the responder, as js-libp2p and rust-libp2p do.
 *
 * @param reuseListenPort bind the dialing socket to our listen address of the same address family (with
 *     SO_REUSEADDR and SO_REUSEPORT); fails with a ConfigurationException if we listen on none
 * @param force dial even if a connection to the peer exists
 * @param role who leads the upgrade on the dialed socket
 * @param timeout the TCP connect timeout, or the host's dial timeout when empty
 */
public record DialOptions(boolean reuseListenPort, boolean force, UpgradeRole role, Optional<Duration> timeout) {

    /** Which side of the security and muxer negotiation we take on a dialed socket. */
    public enum UpgradeRole {
        /** The dialer leads, as in every ordinary dial. */
        INITIATOR,
        /** We dialed, but act as if we had accepted: multistream listener, noise responder, yamux server. */
        RESPONDER
    }

    /** An ordinary dial: reuse an existing connection, ephemeral local port, we lead the upgrade. */
    public static final DialOptions DEFAULT = new DialOptions(false, false, UpgradeRole.INITIATOR, Optional.empty());

    public DialOptions {
        if (role == null || timeout == null) {
            throw new IllegalArgumentException("role and timeout must not be null");
        }
        if (timeout.isPresent() && (timeout.get().isNegative() || timeout.get().isZero())) {
            throw new IllegalArgumentException("dial timeout must be positive: " + timeout.get());
        }
    }

    /** A hole-punch dial: from the listen port, forced, in the given role, with this connect timeout. */
    public static DialOptions holePunch(UpgradeRole role, Duration timeout) {
        return new DialOptions(true, true, role, Optional.of(timeout));
    }
}
