package dev.edgelink.dataplane.backend.ipip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.KernelObjects;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.netlink.IpipConfig;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.lang.reflect.Proxy;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the ipip backend asks of the kernel, checked without one (our lab kernel has no ipip): a stand-in Netlink
 * that accepts the device and records the calls.
 */
class IpipBackendObjectsTest {
    private static final Inet4Address UNDERLAY = (Inet4Address) IpPrefix.literal("10.0.0.1");

    @Test
    void theDeviceIsPointToMultipointAndEachPeerIsOneOnlinkRouteViaItsUnderlay() {
        List<String> calls = new ArrayList<>();
        Link ipip = new Link(7, "edgelink.ipip", "ipip", 1480, null, 0, 0, true, Link.OPER_UNKNOWN, null,
                new IpipConfig(UNDERLAY, null, 0, 0));
        Netlink netlink = (Netlink) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Netlink.class},
                (proxy, method, args) -> {
                    calls.add(method.getName() + (args == null ? "" : " " + args[0]));
                    switch (method.getName()) {
                        case "findLink":
                            return "edgelink.ipip".equals(args[0]) ? Optional.of(ipip) : Optional.empty();
                        case "addresses":
                            return List.of();
                        case "createLink":
                            return new Link(8, ((LinkSpec) args[0]).name(), "ipip", 1480, null, 0, 0, false, 0, null,
                                    null);
                        default:
                            return null;
                    }
                });
        IpipBackend backend = new IpipBackend(netlink);
        LocalNode local = new LocalNode("a", "ul", UNDERLAY, IpPrefix.parse("10.244.1.0/24"),
                (Inet4Address) IpPrefix.literal("10.244.1.0"), Optional.empty());

        assertTrue(backend.available().ok());
        backend.ensureDevice(local);
        StaticPeer peer = StaticPeer.of("b", IpPrefix.parse("10.244.2.0/24"), IpPrefix.literal("10.0.1.3"), null);
        KernelObjects objects = backend.objectsFor(peer, peer.podCidrs());

        assertEquals(List.of(Route.onlinkVia(IpPrefix.parse("10.244.2.0/24"), IpPrefix.literal("10.0.1.3"), 7)),
                objects.routes());
        assertEquals(List.of(), objects.neighbors());
        assertEquals(List.of(), objects.fdb());
        LinkAddress tunnelAddress = new LinkAddress(7, IpPrefix.parse("10.244.1.0/32"));
        assertTrue(calls.contains("addAddress " + tunnelAddress), calls.toString());
        assertTrue(backend.eligibility(peer).ok());
        assertEquals(20, backend.overheadBytes());
    }
}
