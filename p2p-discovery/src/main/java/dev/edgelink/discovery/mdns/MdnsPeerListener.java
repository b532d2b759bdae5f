package dev.edgelink.discovery.mdns;

import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.List;

/** Told of every peer an mDNS answer names (again at every answer); never of ourselves. */
@FunctionalInterface
public interface MdnsPeerListener {
    /**
     * @param peer the peer the addresses end in
     * @param addresses its announced addresses, each ending in {@code /p2p/<peer>}; not empty
     * @param via the interface the answer came in on
     */
    void peerDiscovered(PeerId peer, List<Multiaddr> addresses, String via);
}
