package dev.edgelink.dataplane.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which peer destinations would replace or shadow a route that is not ours (pure: no kernel). */
class RouteGuardTest {
    private static final IpPrefix LOCAL_POD_CIDR = IpPrefix.parse("10.244.1.0/24");
    private static final int ETH0 = 2;
    private static final int EDGELINK0 = 3;
    private static final Map<Integer, String> NAMES = Map.of(ETH0, "eth0", EDGELINK0, "edgelink0");

    private static Route route(String destination, int protocol, String gateway, int link) {
        return new Route(IpPrefix.parse(destination), gateway == null ? null : IpPrefix.literal(gateway), link,
                Route.TABLE_MAIN, protocol, gateway == null ? Route.SCOPE_LINK : Route.SCOPE_UNIVERSE,
                Route.TYPE_UNICAST, false);
    }

    private static Optional<Refusal> check(List<Route> table, String destination) {
        return new RouteGuard(table, LOCAL_POD_CIDR, NAMES::get).check("b-n1", IpPrefix.parse(destination));
    }

    private static final List<Route> NODE = List.of(
            route("0.0.0.0/0", 16, "10.1.0.1", ETH0),
            route("10.1.0.0/24", Route.PROTOCOL_KERNEL, null, ETH0),
            route("172.20.0.0/16", Route.PROTOCOL_STATIC, "10.1.0.254", ETH0),
            route("10.244.2.0/24", Route.PROTOCOL_EDGELINK, null, EDGELINK0),
            route("10.244.1.7/32", Route.PROTOCOL_EDGELINK, null, 9),
            route("fd00:1::/64", Route.PROTOCOL_KERNEL, null, ETH0),
            route("::/0", 9, "fe80::1", ETH0));

    @Test
    void aDestinationEqualToARouteNotOursWouldReplaceIt() {
        Refusal r = check(NODE, "10.1.0.0/24").orElseThrow();
        assertEquals(Refusal.Reason.REPLACES_ROUTE, r.reason());
        assertEquals("10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel", r.toString());
        assertEquals("b-n1", r.peer());
    }

    @Test
    void aDestinationInsideARouteNotOursWouldShadowIt() {
        Refusal lan = check(NODE, "10.1.0.128/25").orElseThrow();
        assertEquals(Refusal.Reason.SHADOWS_ROUTE, lan.reason());
        assertEquals("would shadow route 10.1.0.0/24 dev eth0 proto kernel", lan.detail());

        Refusal stat = check(NODE, "172.20.5.0/24").orElseThrow();
        assertEquals("would shadow route 172.20.0.0/16 via 10.1.0.254 dev eth0 proto static", stat.detail());
        assertEquals(Refusal.Reason.SHADOWS_ROUTE, check(NODE, "10.1.0.5/32").orElseThrow().reason(),
                "a /32 of a LAN host (a trial route) is shadowing too");
    }

    @Test
    void theMostSpecificRouteInTheWayIsNamed() {
        List<Route> nested = List.of(route("172.16.0.0/12", Route.PROTOCOL_STATIC, "10.1.0.254", ETH0),
                route("172.20.0.0/16", Route.PROTOCOL_STATIC, "10.1.0.253", ETH0));
        assertTrue(check(nested, "172.20.1.0/24").orElseThrow().detail().contains("172.20.0.0/16"));
    }

    @Test
    void aDestinationContainingARouteNotOursIsAllowed() {
        assertEquals(Optional.empty(), check(NODE, "10.0.0.0/8"), "the /24 LAN still wins for its addresses");
        assertEquals(Optional.empty(), check(NODE, "172.0.0.0/8"));
    }

    @Test
    void theDefaultRouteIsReplacedNeverButShadowedByEveryRouteAndThatIsAllowed() {
        Refusal r = check(NODE, "0.0.0.0/0").orElseThrow();
        assertEquals(Refusal.Reason.REPLACES_ROUTE, r.reason());
        assertEquals("would replace route 0.0.0.0/0 via 10.1.0.1 dev eth0 proto dhcp", r.detail());
        assertEquals(Optional.empty(), check(NODE, "10.244.3.0/24"));
        assertEquals(Optional.empty(), check(NODE, "128.0.0.0/1"), "not this rule's business: clusterCidr's");
    }

    @Test
    void ourOwnRoutesAreNeverInTheWay() {
        assertEquals(Optional.empty(), check(NODE, "10.244.2.0/24"));
        assertEquals(Optional.empty(), check(NODE, "10.244.2.0/32"));
    }

    @Test
    void aDestinationInsideThisNodesPodCidrIsRefusedThoughThePodRoutesAreOurProtocol() {
        assertEquals(Refusal.Reason.LOCAL_POD_CIDR, check(NODE, "10.244.1.0/24").orElseThrow().reason());
        assertEquals(Refusal.Reason.LOCAL_POD_CIDR, check(NODE, "10.244.1.7/32").orElseThrow().reason(),
                "a pod's own route");
        assertEquals("inside this node's pod CIDR 10.244.1.0/24", check(NODE, "10.244.1.0/25").orElseThrow()
                .detail());
        assertEquals(Optional.empty(), check(NODE, "10.244.0.0/16"), "containing it: the pods' /32 routes win");
    }

    @Test
    void ipv6IsGuardedAndFamiliesNeverMix() {
        assertEquals(Refusal.Reason.REPLACES_ROUTE, check(NODE, "fd00:1::/64").orElseThrow().reason());
        assertEquals(Refusal.Reason.SHADOWS_ROUTE, check(NODE, "fd00:1::/80").orElseThrow().reason());
        assertEquals(Refusal.Reason.REPLACES_ROUTE, check(NODE, "::/0").orElseThrow().reason());
        assertEquals(Optional.empty(), check(NODE, "fd00:244:3::/64"));
        assertEquals(Optional.empty(), check(NODE, "fd00::/16"));
        assertEquals(Optional.empty(), check(List.of(route("0.0.0.0/0", 16, "10.1.0.1", ETH0)), "::/0"),
                "an IPv4 default route is not in the way of an IPv6 one");
    }

    @Test
    void aRouteOnADeviceWithoutANameShowsItsIfindex() {
        List<Route> table = List.of(route("192.168.9.0/24", Route.PROTOCOL_BOOT, null, 42));
        assertEquals("would replace route 192.168.9.0/24 ifindex 42 proto boot",
                check(table, "192.168.9.0/24").orElseThrow().detail());
    }
}
