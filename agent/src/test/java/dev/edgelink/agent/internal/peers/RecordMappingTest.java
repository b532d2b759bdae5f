package dev.edgelink.agent.internal.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.agent.internal.nat.MemberInfo;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.discovery.NodeReachability;
import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.discovery.TunnelCapability;
import dev.edgelink.discovery.UnderlayAddress;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A member's record as the data plane (PeerView) and the connection keeper (MemberInfo) see it. */
class RecordMappingTest {
    private static final PeerId PEER = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    private static final PeerId RELAY = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());

    private static NodeRecord record() {
        return NodeRecord.builder("b-n1", PEER).podCidr("10.244.3.0/24")
                .underlayAddress(UnderlayAddress.of("10.2.0.11", 0, UnderlayAddress.Kind.INTERFACE))
                .tunnel(TunnelCapability.HOSTGW).tunnel(TunnelCapability.USERSPACE)
                .site("b").reachability(NodeReachability.NAT_PORT_PRESERVING)
                .listenAddress(Multiaddr.fromString("/ip4/10.2.0.11/tcp/4001"))
                .listenAddress(Multiaddr.fromString("/ip4/198.18.0.3/tcp/4001/p2p/" + RELAY + "/p2p-circuit"))
                .build();
    }

    @Test
    void userspaceInTheRecordOffersTheDirectAndRelayedRungs() {
        PeerView v = MembershipPeerSource.toPeerView(record()).orElseThrow();
        assertEquals(EnumSet.of(PathKind.HOSTGW, PathKind.DIRECT, PathKind.RELAYED), v.capabilities());
        assertEquals("10.244.3.0", v.tunnelAddress().getHostAddress());
    }

    @Test
    void theKeeperSeesSiteReachabilityAndTheCircuitAddresses() {
        MemberInfo m = MembershipPeerSource.toMemberInfo(record());
        assertEquals("b", m.site());
        assertEquals(NodeReachability.NAT_PORT_PRESERVING, m.reachability());
        assertEquals(PEER, m.peerId());
        assertEquals(2, m.listen().size());
        assertTrue(m.listen().get(1).isCircuit());
        assertEquals(List.of("10.2.0.11"), m.underlay().stream().map(a -> a.getHostAddress()).toList());
    }
}
