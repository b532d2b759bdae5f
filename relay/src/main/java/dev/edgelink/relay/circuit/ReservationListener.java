package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.multiaddr.Multiaddr;

/** Hears about the reservations a {@link Reservations} keeps. Called on the service's scheduler thread. */
public interface ReservationListener {

    /** A reservation was made or renewed; {@code renewed} is false for a new one (e.g. after the relay restarted). */
    default void reservationMade(RelayReservation reservation, boolean renewed) {
    }

    /** The reservation on the relay at {@code relayAddress} is gone (connection lost, refused on renewal, expired). */
    default void reservationLost(Multiaddr relayAddress, String reason) {
    }
}
