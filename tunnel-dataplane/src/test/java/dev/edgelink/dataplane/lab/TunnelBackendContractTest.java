package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.Verdict;
import dev.edgelink.dataplane.netlink.KernelFeatureMissingException;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TunnelBackend} promises, checked in a two-namespace lab: node "a" (the backend under test) and
 * node "b" (its peer, built by each subclass with iproute2 only) on one veth, 10.0.0.1/24 and 10.0.0.2/24.
 *
 * <p>A backend the kernel cannot do (ipip here) must say so in {@code available()} and refuse {@code ensureDevice}
 * with {@link KernelFeatureMissingException}, leaving nothing behind; each test checks exactly that instead.
 */
@Tag("lab")
abstract class TunnelBackendContractTest {
    static final MacAddress VTEP_A = MacAddress.parse("02:00:00:00:01:01");
    static final MacAddress VTEP_B = MacAddress.parse("02:00:00:00:02:02");
    static final IpPrefix POD_CIDR_A = IpPrefix.parse("10.244.1.0/24");
    static final IpPrefix POD_CIDR_B = IpPrefix.parse("10.244.2.0/24");
    static final LocalNode LOCAL = new LocalNode("a", "ul", (Inet4Address) IpPrefix.literal("10.0.0.1"), POD_CIDR_A,
            (Inet4Address) IpPrefix.literal("10.244.1.0"), Optional.of(VTEP_A));
    static final PeerView PEER_B = StaticPeer.of("b", POD_CIDR_B, IpPrefix.literal("10.0.0.2"), VTEP_B);

    Lab lab;
    String a;
    String b;
    Netlink netlink;
    TunnelBackend backend;

    /** The backend under test, working in namespace {@code a}. */
    abstract TunnelBackend create(Netlink netlink);

    /** The overhead this backend must declare. */
    abstract int expectedOverhead();

    /** Makes namespace {@code b} answer on 10.244.2.0 through this path, with iproute2 only. */
    abstract void buildPeer(Lab lab, String b);

    @BeforeEach
    void setUp() {
        lab = Lab.open("elb");
        a = lab.namespace("a");
        b = lab.namespace("b");
        lab.ip(a, "link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", b);
        lab.ip(a, "addr", "add", "10.0.0.1/24", "dev", "ul");
        lab.ip(b, "addr", "add", "10.0.0.2/24", "dev", "ul");
        lab.ip(a, "link", "set", "ul", "up");
        lab.ip(b, "link", "set", "ul", "up");
        netlink = Netlink.openInNamespace(Lab.path(a));
        backend = create(netlink);
    }

    @AfterEach
    void tearDown() {
        try {
            netlink.close();
        } finally {
            lab.close();
        }
    }

    List<String> links(String ns) {
        List<String> out = new ArrayList<>();
        lab.ipJson(ns, "link", "show").forEach(l -> out.add(l.path("ifname").asText()));
        return out;
    }

    JsonNode ourRoutes() {
        return lab.ipJson(a, "route", "show", "proto", "69");
    }

    /** For a backend this kernel cannot do: the refusal is typed and nothing is left. */
    void assertRefusedCleanly() {
        Verdict v = backend.available();
        assertFalse(v.ok());
        assertEquals(backend.kind() + " unavailable on this kernel (EOPNOTSUPP)", v.reason());
        assertThrows(KernelFeatureMissingException.class, () -> backend.ensureDevice(LOCAL));
        assertEquals(List.of("lo", "ul"), links(a));
        assertEquals(0, ourRoutes().size());
    }

    @Test
    void availabilityIsProbedOnceWithAReasonAndLeavesNoScratchDevice() {
        Verdict first = backend.available();
        assertSame(first, backend.available(), "the kernel is probed once");
        assertFalse(first.reason().isBlank());
        assertEquals(List.of("lo", "ul"), links(a));
    }

    @Test
    void ensureDeviceIsIdempotent() {
        if (!backend.available().ok()) {
            assertRefusedCleanly();
            return;
        }
        backend.ensureDevice(LOCAL);
        JsonNode once = lab.ipJson(a, "-d", "link", "show");
        JsonNode addrs = lab.ipJson(a, "addr", "show");
        backend.ensureDevice(LOCAL);
        assertEquals(once, lab.ipJson(a, "-d", "link", "show"));
        assertEquals(addrs, lab.ipJson(a, "addr", "show"));
    }

    @Test
    void ensurePeerInstallsWhatObjectsForDescribesOnce() {
        if (!backend.available().ok()) {
            assertRefusedCleanly();
            return;
        }
        backend.ensureDevice(LOCAL);
        assertTrue(backend.ensurePeer(PEER_B));
        assertFalse(backend.ensurePeer(PEER_B), "a second ensurePeer changes nothing");
        JsonNode routes = ourRoutes();
        assertEquals(1, routes.size());
        assertEquals("10.244.2.0/24", routes.get(0).path("dst").asText());
        assertEquals(backend.objectsFor(PEER_B, PEER_B.podCidrs()).routes(),
                netlink.routes(dev.edgelink.dataplane.netlink.Route.TABLE_MAIN,
                        dev.edgelink.dataplane.netlink.Route.PROTOCOL_EDGELINK));
    }

    @Test
    void trafficToThePeersPodCidrCrossesThePath() {
        if (!backend.available().ok()) {
            assertRefusedCleanly();
            return;
        }
        backend.ensureDevice(LOCAL);
        buildPeer(lab, b);
        backend.ensurePeer(PEER_B);
        assertEquals(0, lab.execIn(a, "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.244.2.0"),
                "ping from a to b's tunnel address through " + backend.kind());
    }

    @Test
    void removePeerRemovesWhatEnsurePeerMadeAndNothingElse() {
        if (!backend.available().ok()) {
            assertRefusedCleanly();
            return;
        }
        lab.ip(a, "route", "add", "192.0.2.0/24", "via", "10.0.0.2", "proto", "static");
        backend.ensureDevice(LOCAL);
        backend.ensurePeer(PEER_B);

        assertTrue(backend.removePeer(PEER_B));
        assertFalse(backend.removePeer(PEER_B), "a second removePeer changes nothing");

        assertEquals(0, ourRoutes().size());
        assertEquals(1, lab.ipJson(a, "route", "show", "192.0.2.0/24").size(), "someone else's route stays");
        for (int link : backend.ownedLinks()) {
            assertTrue(netlink.neighbors(link).stream().noneMatch(n -> n.isPermanent()));
            assertEquals(List.of(), netlink.fdb(link));
        }
    }

    @Test
    void overheadIsWhatTheLadderAssumes() {
        assertEquals(expectedOverhead(), backend.overheadBytes());
    }
}
