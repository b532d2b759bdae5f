package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.kernel.FdbTable;
import dev.edgelink.dataplane.kernel.NeighborTable;
import dev.edgelink.dataplane.kernel.RouteConflictException;
import dev.edgelink.dataplane.kernel.RouteTable;
import dev.edgelink.dataplane.netlink.FdbEntry;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.dataplane.netlink.Link;
import dev.edgelink.dataplane.netlink.LinkAddress;
import dev.edgelink.dataplane.netlink.LinkSpec;
import dev.edgelink.net.MacAddress;
import dev.edgelink.dataplane.netlink.Neighbor;
import dev.edgelink.dataplane.netlink.NetlinkException;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.netlink.NoSuchObjectException;
import dev.edgelink.dataplane.netlink.ObjectExistsException;
import dev.edgelink.dataplane.netlink.Route;
import java.net.InetAddress;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Routes, neighbours, FDB, links and errors in one namespace whose vxlan device iproute2 made. */
@Tag("lab")
class KernelTablesLabTest {
    private static final IpPrefix POD_CIDR_B = IpPrefix.parse("10.244.2.0/24");
    private static final InetAddress TUNNEL_B = IpPrefix.literal("10.244.2.0");
    private static final InetAddress UNDERLAY_B = IpPrefix.literal("198.18.0.2");
    private static final MacAddress VTEP_B = MacAddress.parse("02:00:00:00:00:02");
    private Lab lab;
    private String ns;
    private Netlink netlink;
    private int vxlan;

    @BeforeEach
    void setUp() {
        lab = Lab.open();
        ns = lab.namespace("tables");
        lab.underlay(ns);
        lab.ip(ns, "link", "add", "edgelink.vxlan", "type", "vxlan", "id", "1", "local", "198.18.0.1", "dev", "ul0",
                "dstport", "8472", "nolearning");
        lab.ip(ns, "link", "set", "edgelink.vxlan", "up");
        netlink = Netlink.openInNamespace(Lab.path(ns));
        vxlan = lab.ipJson(ns, "link", "show", "edgelink.vxlan").get(0).path("ifindex").asInt();
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

    @Test
    void routesAreEnsuredReplacedListedAndRemovedAndOnlyOursAreSeen() {
        lab.ip(ns, "route", "add", "10.9.0.0/16", "via", "198.18.0.9", "proto", "static");
        RouteTable routes = new RouteTable(netlink);

        assertTrue(routes.ensure(Route.onlinkVia(POD_CIDR_B, TUNNEL_B, vxlan)));
        assertFalse(routes.ensure(Route.onlinkVia(POD_CIDR_B, TUNNEL_B, vxlan)));
        JsonNode shown = lab.ipJson(ns, "route", "show", "proto", "69");
        assertEquals(1, shown.size());
        assertEquals("10.244.2.0", shown.get(0).path("gateway").asText());

        assertTrue(routes.ensure(Route.onlinkVia(POD_CIDR_B, IpPrefix.literal("10.244.2.1"), vxlan)));
        shown = lab.ipJson(ns, "route", "show", "proto", "69");
        assertEquals(1, shown.size());
        assertEquals("10.244.2.1", shown.get(0).path("gateway").asText());
        assertEquals(List.of(POD_CIDR_B), routes.list().stream().map(Route::destination)
                .collect(Collectors.toList()));

        assertTrue(routes.remove(POD_CIDR_B));
        assertFalse(routes.remove(POD_CIDR_B));
        assertEquals(0, lab.ipJson(ns, "route", "show", "proto", "69").size());
        assertEquals(1, lab.ipJson(ns, "route", "show", "10.9.0.0/16").size(), "someone else's route is untouched");
    }

    @Test
    void aForeignRouteToOurDestinationIsLeftAloneAndNamedInTheRefusal() {
        lab.ip(ns, "route", "add", "10.244.2.0/24", "via", "198.18.0.9", "proto", "static");
        String before = lab.ip(ns, "route", "show");

        RouteConflictException e = assertThrows(RouteConflictException.class,
                () -> new RouteTable(netlink).ensure(Route.onlinkVia(POD_CIDR_B, TUNNEL_B, vxlan)));

        assertEquals(before, lab.ip(ns, "route", "show"));
        assertEquals(0, lab.ipJson(ns, "route", "show", "proto", "69").size());
        assertTrue(e.getMessage().contains("10.244.2.0/24 via 198.18.0.9 dev ul0 proto static"), e.getMessage());
    }

    @Test
    void neighboursAreEnsuredReplacedAndRemoved() {
        NeighborTable neighbors = new NeighborTable(netlink, vxlan);

        assertTrue(neighbors.ensure(TUNNEL_B, VTEP_B));
        assertFalse(neighbors.ensure(TUNNEL_B, VTEP_B));
        JsonNode shown = lab.ipJson(ns, "neigh", "show", "dev", "edgelink.vxlan", "10.244.2.0");
        assertEquals("02:00:00:00:00:02", shown.get(0).path("lladdr").asText());
        assertTrue(shown.get(0).path("state").toString().contains("PERMANENT"));

        assertTrue(neighbors.ensure(TUNNEL_B, MacAddress.parse("02:00:00:00:00:03")));
        assertEquals("02:00:00:00:00:03", lab.ipJson(ns, "neigh", "show", "dev", "edgelink.vxlan", "10.244.2.0")
                .get(0).path("lladdr").asText());
        assertEquals(List.of(Neighbor.permanent(vxlan, TUNNEL_B, MacAddress.parse("02:00:00:00:00:03"))),
                neighbors.list());

        assertTrue(neighbors.remove(TUNNEL_B));
        assertFalse(neighbors.remove(TUNNEL_B));
        assertEquals(0, lab.ipJson(ns, "neigh", "show", "dev", "edgelink.vxlan", "10.244.2.0").size());
    }

    @Test
    void fdbEntriesAreEnsuredMovedAndRemoved() {
        FdbTable fdb = new FdbTable(netlink, vxlan);

        assertTrue(fdb.ensure(VTEP_B, UNDERLAY_B));
        assertFalse(fdb.ensure(VTEP_B, UNDERLAY_B));
        assertEquals(List.of("02:00:00:00:00:02 198.18.0.2"), fdbShown());

        assertTrue(fdb.ensure(VTEP_B, IpPrefix.literal("198.18.0.3")));
        assertEquals(List.of("02:00:00:00:00:02 198.18.0.3"), fdbShown());

        assertTrue(fdb.remove(VTEP_B, IpPrefix.literal("198.18.0.3")));
        assertFalse(fdb.remove(VTEP_B, IpPrefix.literal("198.18.0.3")));
        assertEquals(List.of(), fdbShown());
    }

    @Test
    void theFloodListTakesSeveralDestinationsByAppend() {
        netlink.appendFdb(new FdbEntry(vxlan, MacAddress.ZERO, UNDERLAY_B));
        netlink.appendFdb(new FdbEntry(vxlan, MacAddress.ZERO, IpPrefix.literal("198.18.0.3")));

        assertEquals(List.of("00:00:00:00:00:00 198.18.0.2", "00:00:00:00:00:00 198.18.0.3"),
                fdbShown().stream().sorted().collect(Collectors.toList()));
        assertEquals(2, new FdbTable(netlink, vxlan).list().size());
        netlink.deleteFdb(new FdbEntry(vxlan, MacAddress.ZERO, UNDERLAY_B));
        assertEquals(List.of("00:00:00:00:00:00 198.18.0.3"), fdbShown());
    }

    private List<String> fdbShown() {
        JsonNode all = lab.bridgeJson(ns, "fdb", "show", "dev", "edgelink.vxlan");
        List<String> out = new java.util.ArrayList<>();
        all.forEach(e -> {
            if (e.has("dst")) {
                out.add(e.path("mac").asText() + " " + e.path("dst").asText());
            }
        });
        return out;
    }

    @Test
    void vethPairsAreMadeChangedMovedAndDeleted() {
        String other = lab.namespace("other");
        Link a = netlink.createLink(new LinkSpec.VethPair("elt-a", "elt-b"));
        netlink.setMtu(a.index(), 1400);
        netlink.setAddress(a.index(), MacAddress.parse("02:00:00:00:00:0a"));
        netlink.setUp(a.index(), true);
        netlink.setNamespace(netlink.getLink("elt-b").index(), Lab.path(other));

        JsonNode shown = lab.ipJson(ns, "link", "show", "elt-a").get(0);
        assertEquals(1400, shown.path("mtu").asInt());
        assertEquals("02:00:00:00:00:0a", shown.path("address").asText());
        assertTrue(shown.path("flags").toString().contains("\"UP\""));
        assertEquals(1, lab.ipJson(other, "link", "show", "elt-b").size());
        assertTrue(netlink.findLink("elt-b").isEmpty());

        netlink.deleteLink(a.index());
        assertTrue(netlink.findLink("elt-a").isEmpty());
        assertEquals(0, lab.ipJson(other, "link", "show").findValues("ifname").stream()
                .filter(n -> n.asText().equals("elt-b")).count());
    }

    @Test
    void dumpsAgreeWithIproute2() {
        List<String> ours = netlink.links().stream().map(Link::name).sorted().collect(Collectors.toList());
        List<String> theirs = lab.ipJson(ns, "link", "show").findValues("ifname").stream().map(JsonNode::asText)
                .sorted().collect(Collectors.toList());
        assertEquals(theirs, ours);
        assertTrue(netlink.addresses(0).contains(new LinkAddress(netlink.getLink("ul0").index(),
                IpPrefix.parse("198.18.0.1/24"))));
        assertTrue(netlink.routes(Route.TABLE_MAIN, Route.PROTOCOL_KERNEL).stream()
                .anyMatch(r -> r.destination().equals(IpPrefix.parse("198.18.0.0/24"))));
    }

    @Test
    void kernelErrorsArriveAsTypedExceptions() {
        ObjectExistsException exists = assertThrows(ObjectExistsException.class,
                () -> netlink.createLink(new LinkSpec.VethPair("ul0", "elt-x")));
        assertEquals(NetlinkException.EEXIST, exists.errno());
        assertTrue(exists.getMessage().startsWith("create link ul0 (veth) failed: EEXIST"), exists.getMessage());

        NoSuchObjectException gone = assertThrows(NoSuchObjectException.class, () -> netlink.deleteLink(9999));
        assertEquals(NetlinkException.ENODEV, gone.errno());
        assertThrows(NoSuchObjectException.class, () -> netlink.getLink("elt-none"));

        LinkAddress address = new LinkAddress(vxlan, IpPrefix.parse("10.244.1.0/32"));
        netlink.addAddress(address);
        assertThrows(ObjectExistsException.class, () -> netlink.addAddress(address));
        netlink.deleteAddress(address);
        assertFalse(netlink.addresses(vxlan).contains(address));
        assertThrows(ObjectExistsException.class, () -> {
            netlink.addRoute(Route.onlinkVia(POD_CIDR_B, TUNNEL_B, vxlan));
            netlink.addRoute(Route.onlinkVia(POD_CIDR_B, TUNNEL_B, vxlan));
        });
    }
}
