package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.reconcile.Reconciler;
import dev.edgelink.dataplane.reconcile.Refusal;
import dev.edgelink.net.IpPrefix;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Peers that claim a pod CIDR equal to this node's LAN, or inside one of its static routes, get no route, and the
 * kernel's routes stay exactly as they were; a legitimate peer in the same pass gets its route. The node's LAN
 * (a veth holding 10.1.0.11/24, so the kernel's connected route) and static route are made with iproute2; the
 * reconciler runs with the hostgw backend through {@code Netlink.openInNamespace}. No packet is sent.
 */
@Tag("lab")
class RouteSafetyLabTest {
    private Lab lab;
    private String ns;
    private Netlink netlink;

    @BeforeEach
    void setUp() {
        lab = Lab.open("elrs");
        ns = lab.namespace("node");
        lab.ip(ns, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
        lab.ip(ns, "addr", "add", "10.1.0.11/24", "dev", "lan0");
        lab.ip(ns, "link", "set", "lan0", "up");
        lab.ip(ns, "link", "set", "lan1", "up");
        lab.ip(ns, "route", "add", "172.20.0.0/16", "via", "10.1.0.254", "proto", "static");
        netlink = Netlink.openInNamespace(Lab.path(ns));
    }

    @AfterEach
    void tearDown() {
        try {
            if (netlink != null) {
                netlink.close();
            }
        } finally {
            lab.close();
        }
    }

    private static PeerView peer(String name, String podCidr, String underlay) {
        IpPrefix cidr = IpPrefix.parse(podCidr);
        return new StaticPeer(name, List.of(cidr), List.of(IpPrefix.literal(underlay)), Optional.empty(),
                Optional.empty(), cidr.address(), Set.of(PathKind.HOSTGW));
    }

    private List<String> routes() {
        return lab.ip(ns, "route", "show").lines().map(String::strip).toList();
    }

    @Test
    void peersClaimingTheLanOrPartOfAStaticRouteLeaveTheKernelAsItWasAndALegitimatePeerIsRouted() {
        List<String> before = routes();
        assertTrue(before.stream().anyMatch(l -> l.startsWith("10.1.0.0/24 dev lan0 proto kernel")), before::toString);
        assertTrue(before.contains("172.20.0.0/16 via 10.1.0.254 dev lan0 proto static"), before::toString);
        LocalNode local = new LocalNode("a-n1", "lan0", (Inet4Address) IpPrefix.literal("10.1.0.11"),
                IpPrefix.parse("10.244.1.0/24"), (Inet4Address) IpPrefix.literal("10.244.1.0"), Optional.empty());
        Reconciler reconciler = new Reconciler(netlink, local, List.of(new HostGwBackend(netlink)));
        List<PeerPlan> plans = List.of(
                new PeerPlan(peer("evil", "10.1.0.0/24", "10.1.0.2"), PathKind.HOSTGW, PathKind.HOSTGW),
                new PeerPlan(peer("shadow", "172.20.5.0/24", "10.1.0.3"), PathKind.HOSTGW, null),
                new PeerPlan(peer("c-n1", "10.244.3.0/24", "10.1.0.4"), PathKind.HOSTGW, PathKind.HOSTGW));

        reconciler.reconcile(plans);
        reconciler.reconcile(plans);

        List<String> after = routes();
        List<String> legitimate = new ArrayList<>(after);
        legitimate.removeAll(before);
        assertEquals(List.of("10.244.3.0 via 10.1.0.4 dev lan0 proto 69",
                "10.244.3.0/24 via 10.1.0.4 dev lan0 proto 69"), legitimate, after::toString);
        List<String> untouched = new ArrayList<>(after);
        untouched.removeAll(legitimate);
        assertEquals(before, untouched, "every route that was there is there, unchanged");
        assertEquals(0, lab.ipJson(ns, "route", "show", "172.20.5.0/24").size());
        assertEquals(List.of("10.1.0.0/24: would replace route 10.1.0.0/24 dev lan0 proto kernel",
                "172.20.5.0/24: would shadow route 172.20.0.0/16 via 10.1.0.254 dev lan0 proto static"),
                reconciler.refused().stream().map(Refusal::toString).toList());
    }
}
