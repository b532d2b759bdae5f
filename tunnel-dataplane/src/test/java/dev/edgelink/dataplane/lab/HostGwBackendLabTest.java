package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("lab")
class HostGwBackendLabTest extends TunnelBackendContractTest {

    @Override
    TunnelBackend create(Netlink netlink) {
        return new HostGwBackend(netlink);
    }

    @Override
    int expectedOverhead() {
        return 0;
    }

    @Override
    void buildPeer(Lab lab, String b) {
        lab.ip(b, "addr", "add", "10.244.2.0/32", "dev", "lo");
    }

    @Test
    void eligibleOnlyForAPeerOnADirectlyConnectedSubnet() {
        assertEquals("hostgw: peer 10.0.0.2 shares 10.0.0.0/24", backend.eligibility(PEER_B).reason());
        StaticPeer far = StaticPeer.of("c", IpPrefix.parse("10.244.3.0/24"), IpPrefix.literal("10.0.1.3"), null);
        assertFalse(backend.eligibility(far).ok());
        assertEquals("hostgw: no underlay address of c (10.0.1.3) is on a subnet we are directly connected to",
                backend.eligibility(far).reason());
    }
}
