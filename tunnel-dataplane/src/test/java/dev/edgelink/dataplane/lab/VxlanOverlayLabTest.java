package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.kernel.NeighborTable;
import dev.edgelink.dataplane.kernel.RouteTable;
import dev.edgelink.dataplane.kernel.VxlanDevice;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two nodes joined by a veth underlay (made with iproute2); everything of the overlay is made by our code, as the
 * VXLAN backend will: device, tunnel address, one onlink route, one permanent neighbour and one FDB entry per
 * remote node. Then ping crosses it.
 */
@Tag("lab")
class VxlanOverlayLabTest {

    /** One node's view: its namespace, socket and device. */
    private record Node(String ns, Netlink netlink, Link vxlan, InetAddress underlay, IpPrefix podCidr,
                        InetAddress tunnelAddress) {
    }

    private static Node node(Lab lab, String ns, String underlay, String podCidr) {
        Netlink netlink = Netlink.openInNamespace(Lab.path(ns));
        Inet4Address local = (Inet4Address) IpPrefix.literal(underlay);
        Link vxlan = new VxlanDevice(netlink, VxlanDevice.Config.defaults(local, "ul")).ensure();
        IpPrefix cidr = IpPrefix.parse(podCidr);
        netlink.addAddress(new LinkAddress(vxlan.index(), IpPrefix.host(cidr.address())));
        return new Node(ns, netlink, vxlan, local, cidr, cidr.address());
    }

    /** flannel's per-remote-node state; returns true if anything changed. */
    private static boolean connect(Node from, Node to) {
        boolean changed = new RouteTable(from.netlink())
                .ensure(Route.onlinkVia(to.podCidr(), to.tunnelAddress(), from.vxlan().index()));
        changed |= new NeighborTable(from.netlink(), from.vxlan().index())
                .ensure(to.tunnelAddress(), to.vxlan().address());
        changed |= new FdbTable(from.netlink(), from.vxlan().index()).ensure(to.vxlan().address(), to.underlay());
        return changed;
    }

    private static long txPackets(Lab lab, Node n) {
        JsonNode link = lab.ipJson(n.ns(), "-s", "link", "show", "edgelink.vxlan").get(0);
        return link.path("stats64").path("tx").path("packets").asLong();
    }

    @Test
    void pingCrossesTheVxlanOverlayBetweenTwoNamespaces() {
        assertEquals(0, Lab.exitCode(java.util.List.of("sh", "-c", "command -v ping")),
                "ping is not installed: apt-get install iputils-ping (a fresh Debian machine lacks it)");
        try (Lab lab = Lab.open()) {
            String a = lab.namespace("a");
            String b = lab.namespace("b");
            lab.ip(a, "link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", b);
            lab.ip(a, "addr", "add", "198.18.0.1/24", "dev", "ul");
            lab.ip(b, "addr", "add", "198.18.0.2/24", "dev", "ul");
            lab.ip(a, "link", "set", "ul", "up");
            lab.ip(b, "link", "set", "ul", "up");
            Node na = node(lab, a, "198.18.0.1", "10.244.1.0/24");
            Node nb = node(lab, b, "198.18.0.2", "10.244.2.0/24");
            try {
                assertTrue(connect(na, nb));
                assertTrue(connect(nb, na));
                assertFalse(connect(na, nb), "second ensure must change nothing");

                long before = txPackets(lab, na);
                assertEquals(0, lab.execIn(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.244.2.0"),
                        "ping from " + a + " to 10.244.2.0 across edgelink.vxlan");
                assertTrue(txPackets(lab, na) >= before + 3, "the echo requests went out through the vxlan device");
                JsonNode routes = lab.ipJson(a, "route", "show", "proto", "69");
                assertEquals("10.244.2.0/24", routes.get(0).path("dst").asText());
                assertEquals("10.244.2.0", routes.get(0).path("gateway").asText());
                assertTrue(routes.get(0).path("flags").toString().contains("onlink"));
            } finally {
                na.netlink().close();
                nb.netlink().close();
            }
        }
    }
}
