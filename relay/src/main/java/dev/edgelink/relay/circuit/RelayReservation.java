package dev.edgelink.relay.circuit;

import dev.edgelink.libp2p.host.Connection;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A reservation we hold on a relay: until {@code expires} the relay lets others reach us at
 * {@link #circuitAddress()}.
 *
 * @param relay the relay's peer id
 * @param relayAddress the relay address we reserved at, ending in {@code /p2p/RELAY}
 * @param expires when it ends unless renewed (the relay's {@code expire})
 * @param relayAddresses the addresses the relay gave for itself
 * @param limit what the relay allows each relayed connection; empty: unlimited
 * @param voucher the relay's voucher, checked, if it sent one
 * @param connection the connection to the relay the reservation lives on
 */
public record RelayReservation(PeerId relay, Multiaddr relayAddress, Instant expires, List<Multiaddr> relayAddresses,
        Optional<CircuitLimit> limit, Optional<Voucher> voucher, Connection connection) {

    /** {@code relayAddress/p2p-circuit}: what we announce so others can reach us through this relay. */
    public Multiaddr circuitAddress() {
        return relayAddress.encapsulate(Multiaddr.fromString("/p2p-circuit"));
    }
}
