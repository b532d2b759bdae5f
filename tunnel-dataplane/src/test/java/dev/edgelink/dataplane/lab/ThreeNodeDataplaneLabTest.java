package dev.edgelink.dataplane.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.dataplane.backend.LocalNode;
import dev.edgelink.dataplane.backend.PathKind;
import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.backend.TunnelBackend;
import dev.edgelink.dataplane.backend.hostgw.HostGwBackend;
import dev.edgelink.dataplane.backend.ipip.IpipBackend;
import dev.edgelink.dataplane.backend.vxlan.VxlanBackend;
import dev.edgelink.net.IpPrefix;
import dev.edgelink.net.MacAddress;
import dev.edgelink.dataplane.netlink.Netlink;
import dev.edgelink.dataplane.path.PathSelector;
import dev.edgelink.dataplane.path.PathStatus;
import dev.edgelink.dataplane.path.PeerPlan;
import dev.edgelink.dataplane.path.PeerPathMachine;
import dev.edgelink.dataplane.path.probe.UdpEchoResponder;
import dev.edgelink.dataplane.path.probe.UdpPathProber;
import dev.edgelink.dataplane.reconcile.DataplaneLoop;
import dev.edgelink.dataplane.reconcile.Reconciler;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole kernel data plane on three nodes, built with iproute2 and nftables:
 *
 * <pre>
 *   pod1          pod2                                  pod3
 *    |             |                                     |
 *  node1         node2          router                 node3
 *  10.0.0.1      10.0.0.2       10.0.0.254 | 10.0.1.254  10.0.1.3
 *    +------ seg (bridge) ---------+         +-----------+
 * </pre>
 *
 * Each node runs backends + selector + reconciler + probe in this JVM through {@code Netlink.openInNamespace}.
 * node1 and node2 share 10.0.0.0/24 (hostgw); node3 is behind the router (vxlan, as the kernel has no ipip).
 */
@Tag("lab")
class ThreeNodeDataplaneLabTest {
    private static final int PROBE_PORT = UdpEchoResponder.DEFAULT_PORT;
    private static final PeerPathMachine.Settings SETTINGS = new PeerPathMachine.Settings(3, Duration.ZERO,
            Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(1));

    /** One node's world and its data plane, all closed by {@link #close()}. */
    private static final class Node implements AutoCloseable {
        final String ns;
        final String pod;
        final LocalNode local;
        final PeerView asPeer;
        final Netlink netlink;
        final DataplaneLoop loop;
        final UdpEchoResponder responder;
        final UdpPathProber prober;
        final List<TunnelBackend> backends;

        Node(Lab lab, String ns, String pod, int n, String underlay) {
            this.ns = ns;
            this.pod = pod;
            IpPrefix cidr = IpPrefix.parse("10.244." + n + ".0/24");
            MacAddress mac = MacAddress.parse("02:00:00:00:00:0" + n);
            this.local = new LocalNode("node" + n, "ul", (Inet4Address) IpPrefix.literal(underlay), cidr,
                    (Inet4Address) cidr.address(), Optional.of(mac));
            this.asPeer = StaticPeer.of("node" + n, cidr, IpPrefix.literal(underlay), mac);
            this.netlink = Netlink.openInNamespace(Lab.path(ns));
            this.backends = List.of(new HostGwBackend(netlink), new IpipBackend(netlink),
                    new VxlanBackend(netlink));
            Reconciler reconciler = new Reconciler(netlink, local, backends);
            reconciler.ensureDevices();
            this.responder = UdpEchoResponder.start(Lab.path(ns), local.tunnelAddress(), PROBE_PORT);
            this.prober = UdpPathProber.open(Lab.path(ns), PROBE_PORT, Duration.ofMillis(300));
            this.loop = new DataplaneLoop(new PathSelector(backends, SETTINGS), reconciler, prober,
                    System::nanoTime);
        }

        PathStatus status(Node peer) {
            return loop.selector().status(peer.local.nodeName()).orElseThrow();
        }

        @Override
        public void close() {
            try {
                prober.close();
                responder.close();
            } finally {
                netlink.close();
            }
        }
    }

    private static void buildWorld(Lab lab, String seg, String router, String[] nodes, String[] pods) {
        lab.ip(seg, "link", "add", "br0", "type", "bridge");
        lab.ip(seg, "link", "set", "br0", "up");
        lab.execIn(seg, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0");
        String[] onSegment = {nodes[0], nodes[1], router};
        String[] segAddr = {"10.0.0.1/24", "10.0.0.2/24", "10.0.0.254/24"};
        for (int i = 0; i < 3; i++) {
            lab.ip(seg, "link", "add", "p" + i, "type", "veth", "peer", "name", "ul", "netns", onSegment[i]);
            lab.ip(seg, "link", "set", "p" + i, "master", "br0", "up");
            lab.ip(onSegment[i], "addr", "add", segAddr[i], "dev", "ul");
            lab.ip(onSegment[i], "link", "set", "ul", "up");
        }
        lab.ip(router, "link", "add", "south", "type", "veth", "peer", "name", "ul", "netns", nodes[2]);
        lab.ip(router, "addr", "add", "10.0.1.254/24", "dev", "south");
        lab.ip(router, "link", "set", "south", "up");
        lab.ip(nodes[2], "addr", "add", "10.0.1.3/24", "dev", "ul");
        lab.ip(nodes[2], "link", "set", "ul", "up");
        lab.execIn(router, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        lab.ip(nodes[0], "route", "add", "default", "via", "10.0.0.254");
        lab.ip(nodes[1], "route", "add", "default", "via", "10.0.0.254");
        lab.ip(nodes[2], "route", "add", "default", "via", "10.0.1.254");
        for (int i = 0; i < 3; i++) {
            int n = i + 1;
            lab.execIn(nodes[i], "sysctl", "-qw", "net.ipv4.ip_forward=1");
            lab.ip(nodes[i], "link", "add", "vp", "type", "veth", "peer", "name", "eth0", "netns", pods[i]);
            lab.ip(nodes[i], "addr", "add", "10.244." + n + ".1/24", "dev", "vp");
            lab.ip(nodes[i], "link", "set", "vp", "up");
            lab.ip(pods[i], "addr", "add", "10.244." + n + ".2/24", "dev", "eth0");
            lab.ip(pods[i], "link", "set", "eth0", "up");
            lab.ip(pods[i], "route", "add", "default", "via", "10.244." + n + ".1");
        }
    }

    /** Runs every node's loop until every peer is ACTIVE (or gives up after {@code rounds}). */
    private static void converge(List<Node> nodes, int rounds) {
        for (int r = 0; r < rounds; r++) {
            nodes.forEach(n -> n.loop.runOnce());
            boolean done = nodes.stream().allMatch(n -> n.loop.selector().statuses().stream()
                    .allMatch(s -> s.state() == PeerPathMachine.State.ACTIVE));
            if (done) {
                return;
            }
        }
    }

    private static void peers(Node node, Node... peers) {
        List<PeerView> views = new ArrayList<>();
        for (Node p : peers) {
            views.add(p.asPeer);
        }
        node.loop.setPeers(views);
    }

    private static int ping(Lab lab, String fromNs, String to) {
        return lab.execIn(fromNs, "ping", "-c", "2", "-i", "0.2", "-W", "2", to);
    }

    private static JsonNode routeTo(Lab lab, Node n, String cidr) {
        return lab.ipJson(n.ns, "route", "show", cidr, "proto", "69");
    }

    private static boolean hasFdb(Lab lab, Node n, MacAddress mac) {
        for (JsonNode e : lab.bridgeJson(n.ns, "fdb", "show", "dev", "edgelink.vxlan")) {
            if (mac.toString().equals(e.path("mac").asText())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void nodesPickTheirPathsRepairDriftForgetDepartedPeersAndNoticeABlockedPath() {
        Lab lab = Lab.open("elb");
        try {
            String seg = lab.namespace("seg");
            String router = lab.namespace("router");
            String[] nodeNs = {lab.namespace("node1"), lab.namespace("node2"), lab.namespace("node3")};
            String[] podNs = {lab.namespace("pod1"), lab.namespace("pod2"), lab.namespace("pod3")};
            buildWorld(lab, seg, router, nodeNs, podNs);
            List<Node> nodes = new ArrayList<>();
            try {
                nodes.add(new Node(lab, nodeNs[0], podNs[0], 1, "10.0.0.1"));
                nodes.add(new Node(lab, nodeNs[1], podNs[1], 2, "10.0.0.2"));
                nodes.add(new Node(lab, nodeNs[2], podNs[2], 3, "10.0.1.3"));
                run(lab, nodes.get(0), nodes.get(1), nodes.get(2));
            } finally {
                nodes.forEach(Node::close);
            }
        } finally {
            lab.close();
        }
        assertEquals(List.of(), lab.existing(), "every namespace of the lab is gone");
    }

    private void run(Lab lab, Node n1, Node n2, Node n3) {
        List<Node> all = List.of(n1, n2, n3);
        peers(n1, n2, n3);
        peers(n2, n1, n3);
        peers(n3, n1, n2);
        converge(all, 10);

        assertPaths(n1, n2, n3);
        assertPodsPing(lab, n1, n2, n3);
        assertDriftIsRepaired(lab, n1, n3);
        assertBlockedVxlanIsNoticed(lab, n1, n2, n3);
        assertBrokenHostgwFallsToVxlan(lab, n1, n2);
        assertLeftObjectsAreHeldAfterARestart(lab, n1, n2);
        assertDepartedPeerIsForgotten(lab, n1, n2, n3);
    }

    private static void assertPaths(Node n1, Node n2, Node n3) {
        for (Node[] pair : new Node[][] {{n1, n2}, {n2, n1}}) {
            PathStatus s = pair[0].status(pair[1]);
            assertEquals(PathKind.HOSTGW, s.path(), s.toString());
            assertEquals(PeerPathMachine.State.ACTIVE, s.state(), s.toString());
            assertTrue(s.reason().contains("shares 10.0.0.0/24"), s.reason());
            assertTrue(s.rttNanos() > 0, s.toString());
        }
        for (Node[] pair : new Node[][] {{n1, n3}, {n2, n3}, {n3, n1}, {n3, n2}}) {
            PathStatus s = pair[0].status(pair[1]);
            assertEquals(PathKind.VXLAN, s.path(), s.toString());
            assertEquals(PeerPathMachine.State.ACTIVE, s.state(), s.toString());
            assertTrue(s.reason().startsWith("vxlan: ipip unavailable on this kernel (EOPNOTSUPP)"), s.reason());
        }
    }

    private static void assertPodsPing(Lab lab, Node n1, Node n2, Node n3) {
        assertEquals(0, ping(lab, n1.pod, "10.244.2.2"), "pod1 -> pod2 (hostgw)");
        assertEquals(0, ping(lab, n2.pod, "10.244.1.2"), "pod2 -> pod1 (hostgw)");
        assertEquals(0, ping(lab, n1.pod, "10.244.3.2"), "pod1 -> pod3 (vxlan)");
        assertEquals(0, ping(lab, n3.pod, "10.244.2.2"), "pod3 -> pod2 (vxlan)");
        assertEquals(1, routeTo(lab, n1, "10.244.2.0/24").size());
        assertEquals("10.0.0.2", routeTo(lab, n1, "10.244.2.0/24").get(0).path("gateway").asText());
        assertEquals("edgelink.vxlan", routeTo(lab, n1, "10.244.3.0/24").get(0).path("dev").asText());
    }

    private static void assertDriftIsRepaired(Lab lab, Node n1, Node n3) {
        lab.ip(n1.ns, "route", "add", "192.0.2.0/24", "via", "10.0.0.254", "proto", "static");
        lab.ip(n1.ns, "route", "del", "10.244.3.0/24");
        lab.ip(n1.ns, "neigh", "del", "10.244.3.0", "dev", "edgelink.vxlan");
        lab.run("bridge", "-n", n1.ns, "fdb", "del", "02:00:00:00:00:03", "dev", "edgelink.vxlan", "dst",
                "10.0.1.3");

        Reconciler.Report report = n1.loop.runOnce();

        assertEquals(3, report.repaired(), report.toString());
        assertEquals(1, routeTo(lab, n1, "10.244.3.0/24").size(), "route restored");
        assertEquals(1, lab.ipJson(n1.ns, "neigh", "show", "10.244.3.0", "dev", "edgelink.vxlan").size());
        assertTrue(hasFdb(lab, n1, MacAddress.parse("02:00:00:00:00:03")));
        assertEquals(0, ping(lab, n1.pod, "10.244.3.2"), "pod1 -> pod3 after the repair");
        assertEquals(1, lab.ipJson(n1.ns, "route", "show", "192.0.2.0/24").size(), "not ours, left alone");
    }

    private static void assertBlockedVxlanIsNoticed(Lab lab, Node n1, Node n2, Node n3) {
        lab.execIn(n3.ns, "nft", "add table ip elblock; add chain ip elblock in { type filter hook input"
                + " priority 0; policy accept; }; add rule ip elblock in udp dport 8472 drop");
        for (int i = 0; i < 3; i++) {
            n1.loop.runOnce();
        }
        PathStatus s = n1.status(n3);
        assertEquals(PeerPathMachine.State.FAILED, s.state(), s.toString());
        assertEquals(PathKind.VXLAN, s.path(), "the only path is kept: " + s);
        assertTrue(s.reason().startsWith("vxlan failed 3 probes in a row (no echo from 10.244.3.0:"), s.reason());
        assertEquals(PeerPathMachine.State.ACTIVE, n1.status(n2).state(), "node2 is not affected");

        lab.execIn(n3.ns, "nft", "delete table ip elblock");
        n1.loop.runOnce();
        assertEquals(PeerPathMachine.State.ACTIVE, n1.status(n3).state(), "back once the probe crosses again");
    }

    /**
     * Probes to node2's tunnel address that arrive on its underlay device (hostgw) are dropped; those decapsulated
     * from VXLAN arrive on edgelink.vxlan and pass. node1 must leave hostgw for vxlan, switching the pod route only
     * after vxlan answered.
     */
    private static void assertBrokenHostgwFallsToVxlan(Lab lab, Node n1, Node n2) {
        lab.execIn(n2.ns, "nft", "add table ip elblock; add chain ip elblock in { type filter hook input"
                + " priority 0; policy accept; }; add rule ip elblock in iifname \"ul\" ip daddr 10.244.2.0 udp"
                + " dport " + PROBE_PORT + " drop");
        // Three failed rounds; the third also probes the vxlan trial (the rung below is tried in the round the
        // path fell in), so three rounds are the whole failover.
        for (int i = 0; i < 3; i++) {
            n1.loop.runOnce();
        }
        PathStatus s = n1.status(n2);
        assertEquals(PathKind.VXLAN, s.path(), s.toString());
        assertEquals(PeerPathMachine.State.ACTIVE, s.state(), s.toString());
        assertTrue(s.reason().contains("hostgw failed 3 probes in a row"), s.reason());
        assertEquals("edgelink.vxlan", routeTo(lab, n1, "10.244.2.0/24").get(0).path("dev").asText());
        assertEquals(0, routeTo(lab, n1, "10.244.2.0/32").size(), "the trial route is gone");
        assertEquals(0, ping(lab, n1.pod, "10.244.2.2"), "pod1 -> pod2 now over vxlan");
        lab.execIn(n2.ns, "nft", "delete table ip elblock");
    }

    /**
     * A reconciler made afresh (as by a restarted agent) that knows node2 only: node3's route, neighbour and FDB
     * entry, left by the previous "run", stay while the hold lasts and go when it ends.
     */
    private static void assertLeftObjectsAreHeldAfterARestart(Lab lab, Node n1, Node n2) {
        long[] now = {0};
        Reconciler fresh = new Reconciler(n1.netlink, n1.local, n1.backends);
        fresh.holdLeftObjects(Duration.ofSeconds(10), () -> now[0]);
        List<PeerPlan> onlyNode2 = List.of(new PeerPlan(n2.asPeer, n1.status(n2).path(), null));
        MacAddress mac3 = MacAddress.parse("02:00:00:00:00:03");

        fresh.reconcile(onlyNode2);
        now[0] = Duration.ofSeconds(9).toNanos();
        fresh.reconcile(onlyNode2);
        assertEquals(1, routeTo(lab, n1, "10.244.3.0/24").size(), "node3's route is held");
        assertTrue(hasFdb(lab, n1, mac3), "node3's fdb entry is held");
        assertEquals(0, ping(lab, n1.pod, "10.244.3.2"), "node3's pod still answers during the hold");

        now[0] = Duration.ofSeconds(10).toNanos();
        fresh.reconcile(onlyNode2);
        assertEquals(0, routeTo(lab, n1, "10.244.3.0/24").size(), "the hold is over");
        assertTrue(!hasFdb(lab, n1, mac3), "node3's fdb entry went with it");
        assertEquals(1, routeTo(lab, n1, "10.244.2.0/24").size(), "node2's route stays");

        n1.loop.runOnce();
        assertEquals(1, routeTo(lab, n1, "10.244.3.0/24").size(), "the running loop puts node3 back");
    }

    private static void assertDepartedPeerIsForgotten(Lab lab, Node n1, Node n2, Node n3) {
        peers(n1, n2);
        n1.loop.runOnce();

        assertEquals(0, routeTo(lab, n1, "10.244.3.0/24").size());
        assertEquals(0, lab.ipJson(n1.ns, "neigh", "show", "10.244.3.0", "dev", "edgelink.vxlan").size());
        assertTrue(!hasFdb(lab, n1, MacAddress.parse("02:00:00:00:00:03")), "fdb entry of node3 removed");
        assertEquals(1, routeTo(lab, n1, "10.244.2.0/24").size(), "node2's route stays");
        assertEquals(0, ping(lab, n1.pod, "10.244.2.2"));
    }
}
