package dev.edgelink.agent.internal.nat;

import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.net.InetAddress;
import java.util.List;

/**
 * What the connection keeper needs of a member, from its node record.
 *
 * @param nodeName the member's node name
 * @param peerId its libp2p peer id
 * @param listen its listen addresses, direct and circuit ({@code .../p2p/RELAY/p2p-circuit}), without its /p2p
 * @param underlay its underlay addresses
 * @param site its site label (empty: none)
 * @param reachability what it says of its reachability
 */
public record MemberInfo(String nodeName, PeerId peerId, List<Multiaddr> listen, List<InetAddress> underlay,
                         String site, NodeReachability reachability) {
    public MemberInfo {
        listen = List.copyOf(listen);
        underlay = List.copyOf(underlay);
    }

    public NatPolicy.End end() {
        return new NatPolicy.End(site, reachability);
    }
}
