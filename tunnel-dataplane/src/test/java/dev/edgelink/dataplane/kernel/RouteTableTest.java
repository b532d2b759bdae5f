package dev.edgelink.dataplane.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.netlink.InMemoryNetlink;
import dev.edgelink.dataplane.netlink.Route;
import dev.edgelink.labsupport.Stderr;
import dev.edgelink.net.IpPrefix;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RouteTable#ensure} replaces our own routes only; anyone else's route to the destination is refused. */
class RouteTableTest {
    private static final IpPrefix LAN = IpPrefix.parse("10.1.0.0/24");
    private static final IpPrefix POD_CIDR_B = IpPrefix.parse("10.244.2.0/24");
    private InMemoryNetlink netlink;
    private int eth0;
    private int tun;

    @BeforeEach
    void setUp() {
        netlink = new InMemoryNetlink();
        eth0 = netlink.device("eth0");
        tun = netlink.device("edgelink0");
    }

    private static Route foreign(IpPrefix destination, int protocol, String gateway, int link) {
        return new Route(destination, gateway == null ? null : IpPrefix.literal(gateway), link, Route.TABLE_MAIN,
                protocol, gateway == null ? Route.SCOPE_LINK : Route.SCOPE_UNIVERSE, Route.TYPE_UNICAST, false);
    }

    @Test
    void theKernelsConnectedRouteIsNotReplacedAndTheRefusalNamesIt() {
        Route connected = foreign(LAN, Route.PROTOCOL_KERNEL, null, eth0);
        netlink.given(connected);
        RouteTable routes = new RouteTable(netlink);
        Route ours = Route.direct(LAN, tun);

        String[] message = new String[1];
        String log = Stderr.capture(() -> message[0] = assertThrows(RouteConflictException.class,
                () -> routes.ensure(ours)).getMessage());

        assertEquals(List.of(connected), netlink.allRoutes());
        assertEquals(List.of(), netlink.changes(), "nothing was changed");
        assertTrue(message[0].contains("10.1.0.0/24 dev eth0 proto kernel"), message[0]);
        assertEquals("", log, "ensure logs nothing itself");
    }

    @ParameterizedTest
    @ValueSource(ints = {Route.PROTOCOL_KERNEL, Route.PROTOCOL_BOOT, Route.PROTOCOL_STATIC, 16, 12, 17, 186})
    void aRouteOfAnyOtherProtocolIsLeftAlone(int protocol) {
        Route theirs = foreign(POD_CIDR_B, protocol, "10.1.0.9", eth0);
        netlink.given(theirs);

        RouteConflictException e = assertThrows(RouteConflictException.class,
                () -> new RouteTable(netlink).ensure(Route.via(POD_CIDR_B, IpPrefix.literal("10.1.0.2"), eth0)));

        assertSame(theirs, e.inTheWay());
        assertEquals(POD_CIDR_B, e.wanted().destination());
        assertTrue(e.getMessage().contains("10.244.2.0/24 via 10.1.0.9 dev eth0 proto "
                + Route.protocolName(protocol)), e.getMessage());
        assertEquals(List.of(theirs), netlink.allRoutes());
    }

    @Test
    void ourOwnRouteToTheSameDestinationIsReplacedInOneStep() {
        Route before = Route.via(POD_CIDR_B, IpPrefix.literal("10.1.0.2"), eth0);
        netlink.given(before);
        Route after = Route.direct(POD_CIDR_B, tun);

        assertTrue(new RouteTable(netlink).ensure(after));

        assertEquals(List.of(after), netlink.allRoutes());
        assertEquals(List.of("replace " + after), netlink.changes());
    }

    @Test
    void anEqualRouteOfOursIsLeftAsItIs() {
        Route ours = Route.direct(POD_CIDR_B, tun);
        netlink.given(ours);

        assertFalse(new RouteTable(netlink).ensure(ours));
        assertEquals(List.of(), netlink.changes());
    }

    @Test
    void aRouteOfAnotherTableIsNotInTheWay() {
        Route elsewhere = new Route(POD_CIDR_B, null, eth0, 100, Route.PROTOCOL_STATIC, Route.SCOPE_LINK,
                Route.TYPE_UNICAST, false);
        netlink.given(elsewhere);
        Route ours = Route.direct(POD_CIDR_B, tun);

        assertTrue(new RouteTable(netlink).ensure(ours));
        assertEquals(List.of(elsewhere, ours), netlink.allRoutes());
    }

    @Test
    void theDefaultRouteIsNotReplaced() {
        IpPrefix any = IpPrefix.parse("0.0.0.0/0");
        netlink.given(foreign(any, 16, "10.1.0.1", eth0));

        RouteConflictException e = assertThrows(RouteConflictException.class,
                () -> new RouteTable(netlink).ensure(Route.direct(any, tun)));
        assertTrue(e.getMessage().contains("0.0.0.0/0 via 10.1.0.1 dev eth0 proto dhcp"), e.getMessage());
    }

    @Test
    void ipv6RoutesAreGuardedTheSameWay() {
        IpPrefix lan6 = IpPrefix.parse("fd00:1::/64");
        Route connected = foreign(lan6, Route.PROTOCOL_KERNEL, null, eth0);
        netlink.given(connected);

        RouteConflictException e = assertThrows(RouteConflictException.class,
                () -> new RouteTable(netlink).ensure(Route.direct(lan6, tun)));
        assertTrue(e.getMessage().contains("fd00:1::/64 dev eth0 proto kernel"), e.getMessage());

        IpPrefix pods6 = IpPrefix.parse("fd00:244:2::/64");
        assertTrue(new RouteTable(netlink).ensure(Route.direct(pods6, tun)));
        assertEquals(List.of(connected, Route.direct(pods6, tun)), netlink.allRoutes());
    }

    @Test
    void routesThatAreNotOursCannotBeEnsured() {
        assertThrows(IllegalArgumentException.class,
                () -> new RouteTable(netlink).ensure(foreign(POD_CIDR_B, Route.PROTOCOL_STATIC, null, eth0)));
    }
}
