package dev.edgelink.dataplane.lab;

import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.ipip.IpipBackend;
import dev.edgelink.dataplane.netlink.Netlink;
import org.junit.jupiter.api.Tag;

/**
 * On our lab kernel (no ipip) every contract test checks the clean refusal; on a kernel with ipip they check the
 * backend for real, with the peer side made by iproute2.
 */
@Tag("lab")
class IpipBackendLabTest extends TunnelBackendContractTest {

    @Override
    TunnelBackend create(Netlink netlink) {
        return new IpipBackend(netlink);
    }

    @Override
    int expectedOverhead() {
        return 20;
    }

    @Override
    void buildPeer(Lab lab, String b) {
        lab.ip(b, "link", "add", "edgelink.ipip", "type", "ipip", "local", "10.0.0.2");
        lab.ip(b, "addr", "add", "10.244.2.0/32", "dev", "edgelink.ipip");
        lab.ip(b, "link", "set", "edgelink.ipip", "up");
        lab.ip(b, "route", "add", "10.244.1.0/24", "via", "10.0.0.1", "dev", "edgelink.ipip", "onlink");
    }
}
