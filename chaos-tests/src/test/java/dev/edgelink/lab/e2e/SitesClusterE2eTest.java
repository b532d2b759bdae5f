package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Fault;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabException;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Issue 4 end to end: real agents on {@link Topologies#sitesTwoRelays} (a-n1, a-n2 behind the NAT router a-rtr;
 * b-n1, b-n2 behind b-rtr; the cloud node, bootstrap and relay server, and relay2, a second relay server, both with
 * public addresses), a podman pod on every node through the edgelink CNI plugin.
 *
 * <p>Same-site peers use a kernel path (hostgw), cross-site peers go relayed first and direct after a hole punch.
 * The tests run in order on one cluster: the direct path cut mid-transfer (relayed within 2 s, direct again within
 * 30 s of the heal), 5 % loss on the WAN, site B's NAT made symmetric (relayed for good, punch attempts bounded by
 * the policy), then each relay killed in turn while the cross-site traffic goes relayed. A failing test prints every
 * agent's status and log tail; the lab (agents, pods, namespaces, nft tables, launcher) is removed at the end and
 * checked for leftovers.
 */
@Tag("lab")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class SitesClusterE2eTest {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    /** A dead direct path is left within 2 s; the margin covers the status poll and a loaded machine. */
    private static final double FAILOVER_BOUND_S = 2.0 + 1.0;
    /** Direct again within 30 s after the fault is gone; the margin as above. */
    private static final double UPGRADE_BOUND_S = 30.0 + 3.0;
    /** Pod pings every 0.1 s across the upgrade back to direct: no stretch without answers longer than this. */
    private static final double UPGRADE_GAP_BOUND_S = 1.0;
    private static final double PING_INTERVAL_S = 0.1;
    /** Hole punch attempts one agent may make towards one peer in {@link #SYMMETRIC_WINDOW} (backoff 30 s..). */
    private static final int PUNCHES_PER_PEER_BOUND = 2;
    private static final Duration SYMMETRIC_WINDOW = Duration.ofSeconds(60);
    /** The relay module's line at the end of each punch attempt, on both ends (not the agent's own summary). */
    private static final String PUNCH_LOG = "hole punch (succeeded peer=|failed peer=|aborted: )";
    private static final String SITE_B_PUBLIC = "198.18.0.2";

    private Lab lab;
    private EdgelinkCluster cluster;
    private Topologies.SitesTwoRelays t;
    private Topologies.Sites s;
    private final Map<String, Pod> pods = new LinkedHashMap<>();

    @RegisterExtension
    final TestWatcher dumpOnFailure = ClusterLifecycle.dumpOnFailure(() -> cluster);

    @BeforeAll
    void startCluster() {
        lab = Lab.open();
        try {
            t = Topologies.sitesTwoRelays(lab, NatMode.PRESERVE, NatMode.PRESERVE);
            s = t.sites();
            cluster = EdgelinkCluster.create(lab, List.of(s.cloud(), t.relay2(), s.a1(), s.a2(), s.b1(), s.b2()),
                    EdgelinkCluster.runningClasspath());
            startAgents();
            Podman podman = lab.podman();
            for (EdgelinkCluster.Member m : cluster.members()) {
                podman.network(m.node(), cluster.conflist(m.node()));
                pods.put(m.name(), podman.run(m.node(), "p-" + m.name()));
            }
            long t0 = System.nanoTime();
            awaitConverged();
            System.out.printf("sites e2e %s: pods up, all paths converged %d ms later%n", lab.id(),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException | Error e) {
            if (cluster != null) {
                System.out.println("=== the cluster did not come up:" + cluster.describe());
            }
            tearDown();
            throw e;
        }
    }

    /** The relays first (their peer ids go into the site nodes' configs), then the four site nodes. */
    private void startAgents() {
        EdgelinkCluster.Member cloud = cluster.member(s.cloud());
        EdgelinkCluster.Member relay2 = cluster.member(t.relay2());
        for (EdgelinkCluster.Member r : List.of(cloud, relay2)) {
            // the public nodes have no default route to find their underlay device by
            r.config("relay", "{server: true}").config("underlay", "{interface: "
                    + r.node().links().get(0).iface() + "}");
            cluster.start(r);
            cluster.awaitRunning(r);
        }
        String relays = "{server: false, peers: [" + cloud.multiaddr() + ", " + relay2.multiaddr() + "]}";
        for (Node n : siteNodes()) {
            cluster.member(n).config("site", n.name().substring(0, 1)).config("relay", relays);
        }
        // the second node of each site listens on a port of its own: with both on 4001, a-n1 <-> b-n1 and
        // a-n2 <-> b-n2 would both need the public pair site-A:4001 <-> site-B:4001 and one punch would lose
        cluster.member(s.a2()).listenPort(4002);
        cluster.member(s.b2()).listenPort(4002);
        long t0 = System.nanoTime();
        for (Node n : siteNodes()) {
            cluster.start(cluster.member(n));
        }
        for (Node n : siteNodes()) {
            cluster.awaitRunning(cluster.member(n));
        }
        // the nodes' own tunnel addresses answer over the pod network: the first answer is the first packet
        String b1Tunnel = cluster.member(s.b1()).tunnelAddress();
        try {
            Wait.until("a-n1 pings b-n1's tunnel address " + b1Tunnel, CONVERGE,
                    () -> s.a1().exec(Duration.ofSeconds(3), "ping", "-c", "1", "-W", "1", b1Tunnel).ok());
            System.out.printf("site agents started -> first cross-site packet answered (a-n1 -> b-n1): %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (LabException e) {
            // a figure, not a check: the tests below say what does not work
            System.out.println("no cross-site packet answered within " + CONVERGE.toSeconds() + " s: " + e);
        }
    }

    private List<Node> siteNodes() {
        return List.of(s.a1(), s.a2(), s.b1(), s.b2());
    }

    private static boolean sameSite(Node a, Node b) {
        return a.name().charAt(0) == b.name().charAt(0);
    }

    /** Same-site peers on hostgw, every pair ACTIVE on some path (test 1 waits for the cross-site direct ones). */
    private void awaitConverged() {
        for (Node a : siteNodes()) {
            for (Node b : siteNodes()) {
                if (a != b && sameSite(a, b)) {
                    cluster.awaitPath(cluster.member(a), b.name(), "hostgw", CONVERGE);
                }
            }
        }
        for (EdgelinkCluster.Member m : cluster.members()) {
            for (EdgelinkCluster.Member o : cluster.members()) {
                if (m != o) {
                    awaitStatus(m, o.name(), "ACTIVE on any path", p -> "ACTIVE".equals(p.path("state").asText()),
                            CONVERGE);
                }
            }
        }
    }

    @AfterAll
    void tearDown() {
        ClusterLifecycle.tearDown(lab, cluster);
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Polls {@code m}'s GET /status until its entry for {@code peer} satisfies {@code test}; returns the entry. */
    private JsonNode awaitStatus(EdgelinkCluster.Member m, String peer, String what, Predicate<JsonNode> test,
            Duration timeout) {
        return Wait.forValue(m.name() + " sees " + peer + " " + what, timeout, () -> EdgelinkCluster.peer(
                cluster.statusHttp(m), peer).filter(test).orElse(null));
    }

    private static Predicate<JsonNode> on(String path) {
        return p -> path.equals(p.path("path").asText()) && "ACTIVE".equals(p.path("state").asText());
    }

    private String pathOf(Node from, Node to) {
        return EdgelinkCluster.peer(cluster.statusHttp(cluster.member(from)), to.name())
                .map(p -> p.path("path").asText()).orElse("none");
    }

    private Pod pod(Node n) {
        return pods.get(n.name());
    }

    /** {@code mib} MiB from {@code from}'s pod to {@code to}'s, byte-exact; returns the seconds it took. */
    private double transfer(Node from, Node to, int mib) {
        long t0 = System.nanoTime();
        String[] sums = PodTransfer.send(lab, pod(from), pod(to), mib);
        assertEquals(sums[0], sums[1], from.name() + " -> " + to.name() + ": md5 of " + mib + " MiB sent vs received");
        return (System.nanoTime() - t0) / 1e9;
    }

    // ------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void sitesAreLabelledAndCrossSitePeersAreDirectAfterAHolePunch() {
        long t0 = System.nanoTime();
        awaitCrossSiteDirect();
        System.out.printf("every cross-site pair direct %d ms after the cluster converged%n",
                (System.nanoTime() - t0) / 1_000_000);
        JsonNode cloud = cluster.status(cluster.member(s.cloud()));
        assertTrue(cloud.at("/node/relayServer").asBoolean(), "the cloud serves relay: " + cloud.at("/node"));
        assertEquals("PUBLIC", cloud.at("/node/reachability").asText(), cloud.at("/node").toString());
        for (Node n : siteNodes()) {
            JsonNode st = cluster.status(cluster.member(n));
            JsonNode node = st.path("node");
            assertEquals(n.name().substring(0, 1), node.path("site").asText(), node.toString());
            assertEquals("NAT_PORT_PRESERVING", node.path("reachability").asText(), node.toString());
            assertFalse(node.path("relayServer").asBoolean(), node.toString());
            assertTrue(node.path("relayAddrs").size() >= 1 && node.path("relayAddrs").toString()
                    .contains("/p2p-circuit"), "holds relay circuit addresses: " + node);
            for (Node o : siteNodes()) {
                if (o == n) {
                    continue;
                }
                JsonNode p = EdgelinkCluster.peer(st, o.name()).orElseThrow();
                assertEquals(o.name().substring(0, 1), p.path("site").asText(), p.toString());
                if (sameSite(n, o)) {
                    assertEquals("hostgw", p.path("path").asText(), p.toString());
                } else {
                    assertEquals("direct", p.path("path").asText(), p.toString());
                    assertTrue(p.at("/connection/direct").asBoolean(), p.toString());
                    assertTrue(p.path("why").asText().startsWith("direct"), p.toString());
                }
            }
        }
        assertTrue(s.a1().exec("ip", "route", "show", cluster.member(s.a2()).podCidr()).check().stdout()
                .contains("via " + s.a2().address()), "hostgw route to a-n2's pods via its LAN address");
        siteNodesReachTheCloudOverAnEncryptedPathOnly();
    }

    /**
     * The cloud nodes have no site label: another site than a and b. Pod traffic between a site and the cloud
     * crosses the internet, so no kernel path (clear text) may carry it, both ends say why, and it flows.
     */
    private void siteNodesReachTheCloudOverAnEncryptedPathOnly() {
        for (Node n : siteNodes()) {
            for (Node c : List.of(s.cloud(), t.relay2())) {
                for (var pair : List.of(List.of(n, c), List.of(c, n))) {
                    String path = cluster.awaitActive(cluster.member(pair.get(0)), pair.get(1).name(), CONVERGE);
                    assertTrue(path.equals("direct") || path.equals("relayed"), pair.get(0).name() + " -> "
                            + pair.get(1).name() + " on " + path + ": a kernel path across the internet");
                }
            }
        }
        JsonNode toCloud = EdgelinkCluster.peer(cluster.status(cluster.member(s.a1())), "cloud").orElseThrow();
        assertTrue(toCloud.path("why").asText().contains("not in trust.kernelUnderlays"),
                "a-n1 says why no kernel path to the cloud: " + toCloud);
        assertTrue(pod(s.a1()).ping(pod(s.cloud()).ip()), "a-n1's pod reaches the cloud's pod");
    }

    private void awaitCrossSiteDirect() {
        for (Node a : List.of(s.a1(), s.a2())) {
            for (Node b : List.of(s.b1(), s.b2())) {
                cluster.awaitPath(cluster.member(a), b.name(), "direct", CONVERGE);
                cluster.awaitPath(cluster.member(b), a.name(), "direct", CONVERGE);
            }
        }
    }

    @Test
    @Order(2)
    void everyPodPingsEveryOtherPod() {
        List<String> failed = new ArrayList<>();
        for (Pod from : pods.values()) {
            for (Pod to : pods.values()) {
                if (from != to && !from.ping(to.ip())) {
                    failed.add(from.node().name() + " -> " + to.node().name() + " (" + to.ip() + ")");
                }
            }
        }
        assertEquals(List.of(), failed, "pod pairs that did not answer ping");
    }

    @Test
    @Order(3)
    void hundredMebibytesCrossEveryPodPairByteExact() {
        List<Node> ends = new ArrayList<>(siteNodes());
        ends.add(s.cloud());
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < ends.size(); i++) {
            for (int j = i + 1; j < ends.size(); j++) {
                Node a = ends.get(i);
                Node b = ends.get(j);
                String path = pathOf(a, b);
                lines.add(String.format("%s -> %s (%s) %.1f s", a.name(), b.name(), path, transfer(a, b, 100)));
            }
        }
        System.out.println("100 MiB transfers: " + lines);
    }

    @Test
    @Order(4)
    void directPathCutMidTransferFallsToRelayedWithin2sAndComesBackWithin30s() throws Exception {
        EdgelinkCluster.Member a1 = cluster.member(s.a1());
        cluster.awaitPath(a1, "b-n1", "direct", CONVERGE);
        // 100 Mbit/s on a-n1's LAN side makes the 100 MiB take ~9 s on either path, so the cut lands mid-transfer
        Fault slow = s.a1().shape(s.a1().links().get(0).iface(), "100mbit");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Double> sending = pool.submit(() -> transfer(s.a1(), s.b1(), 100));
            Wait.until("the transfer a-n1 -> b-n1 is under way", Duration.ofSeconds(30), () -> pod(s.a1()).exec(
                    "sh", "-c", "netstat -tn | grep ESTABLISHED | grep -q ' " + pod(s.b1()).ip() + ":'").ok());
            Thread.sleep(1000);
            Fault cut = s.routerA().blockAddress(SITE_B_PUBLIC);
            long t0 = System.nanoTime();
            awaitStatus(a1, "b-n1", "relayed", on("relayed"), Duration.ofSeconds(10));
            double failover = (System.nanoTime() - t0) / 1e9;
            double secs = sending.get(120, TimeUnit.SECONDS);
            System.out.printf("direct path cut mid-transfer: a-n1 -> b-n1 relayed after %.2f s; 100 MiB done in "
                    + "%.1f s, byte-exact%n", failover, secs);
            assertTrue(failover <= FAILOVER_BOUND_S, "relayed within 2 s (+margin) of the cut: " + failover + " s");
            assertEquals("relayed", pathOf(s.a1(), s.b1()), "still relayed while the cut lasts");

            // pods keep talking while the path goes back up: the tunnel stream moves to the punched connection
            // before the relayed one is left, so the pings see no gap beyond a packet or two
            PingLoop pings = PingLoop.start(lab, pod(s.a1()), pod(s.b1()).ip(), PING_INTERVAL_S, 1000);
            Wait.until("the ping loop runs", Duration.ofSeconds(10), () -> pings.sent() >= 5);
            cut.remove();
            long t1 = System.nanoTime();
            JsonNode back = awaitStatus(a1, "b-n1", "direct again", on("direct"), Duration.ofSeconds(60));
            double upgrade = (System.nanoTime() - t1) / 1e9;
            long answered = pings.sent();
            Wait.until("pings answered after the upgrade", Duration.ofSeconds(10), () -> pings.sent() >= answered + 10);
            double gap = pings.longestGap(PING_INTERVAL_S);
            pings.stop();
            System.out.printf("cut removed: a-n1 -> b-n1 direct again after %.1f s (why: %s); pod pings across the "
                    + "upgrade: %d answered, longest gap %.1f s%n", upgrade, back.path("why").asText(), pings.sent(),
                    gap);
            assertTrue(upgrade <= UPGRADE_BOUND_S, "direct within 30 s (+margin) of the heal: " + upgrade + " s");
            assertTrue(gap <= UPGRADE_GAP_BOUND_S, "pod pings across the upgrade to direct: longest gap " + gap
                    + " s");
        } finally {
            pool.shutdownNow();
            slow.remove();
        }
        awaitCrossSiteDirect();
    }

    @Test
    @Order(5)
    void fivePercentLossOnTheWanLetsTransfersComplete() {
        List<Fault> loss = new ArrayList<>();
        for (var r : List.of(s.routerA(), s.routerB())) {
            loss.add(r.loss(r.link(s.inet()).iface(), 5));
        }
        try {
            double direct = transfer(s.a2(), s.b2(), 20);
            double viaCloud = transfer(s.b1(), s.cloud(), 20);
            System.out.printf("5%% loss on both routers' WAN side: 20 MiB a-n2 -> b-n2 (%s) in %.1f s, b-n1 -> cloud "
                    + "in %.1f s, byte-exact%n", pathOf(s.a2(), s.b2()), direct, viaCloud);
        } finally {
            loss.forEach(Fault::remove);
        }
    }

    @Test
    @Order(6)
    void aSymmetricNatAtSiteBKeepsItsCrossSitePairsRelayedWithoutAPunchStorm() throws Exception {
        s.routerB().natMode(NatMode.FULLY_RANDOM);
        long t0 = System.nanoTime();
        for (Node a : List.of(s.a1(), s.a2())) {
            for (Node b : List.of(s.b1(), s.b2())) {
                awaitStatus(cluster.member(a), b.name(), "relayed", on("relayed"), CONVERGE);
                awaitStatus(cluster.member(b), a.name(), "relayed", on("relayed"), CONVERGE);
            }
        }
        System.out.printf("site B's NAT fully random: every cross-site pair relayed %.1f s later%n",
                (System.nanoTime() - t0) / 1e9);
        Wait.until("site B's agents report NAT_SYMMETRIC", CONVERGE, () -> List.of(s.b1(), s.b2()).stream()
                .allMatch(n -> "NAT_SYMMETRIC".equals(cluster.statusHttp(cluster.member(n)).at("/node/reachability")
                        .asText())));
        System.out.printf("site B's agents report NAT_SYMMETRIC %.1f s after the switch%n",
                (System.nanoTime() - t0) / 1e9);

        Map<String, Integer> before = punchCounts();
        long end = System.nanoTime() + SYMMETRIC_WINDOW.toNanos();
        List<String> direct = new ArrayList<>();
        while (System.nanoTime() < end) {
            for (Node a : List.of(s.a1(), s.a2())) {
                for (Node b : List.of(s.b1(), s.b2())) {
                    if (!"relayed".equals(pathOf(a, b))) {
                        direct.add(a.name() + " -> " + b.name() + ": " + pathOf(a, b));
                    }
                }
            }
            Thread.sleep(2000);
        }
        Map<String, Integer> after = punchCounts();
        Map<String, Integer> made = new LinkedHashMap<>();
        after.forEach((k, v) -> made.put(k, v - before.getOrDefault(k, 0)));
        System.out.printf("symmetric NAT at site B, %d s: punch attempts per agent %s%n",
                SYMMETRIC_WINDOW.toSeconds(), made);
        assertEquals(List.of(), direct, "cross-site pairs left relayed during the window");
        // two cross-site peers per agent; an attempt shows in the logs of both ends, and either may start one
        int bound = PUNCHES_PER_PEER_BOUND * 2 * 2;
        made.forEach((k, v) -> assertTrue(v <= bound, k + " made " + v + " punch attempts in "
                + SYMMETRIC_WINDOW.toSeconds() + " s (bound " + bound + ")"));
        JsonNode p = EdgelinkCluster.peer(cluster.statusHttp(cluster.member(s.a1())), "b-n1").orElseThrow();
        assertTrue(p.path("why").asText().contains("symmetric"), "why names the symmetric NAT: " + p);
        System.out.printf("20 MiB a-n1 -> b-n1 relayed in %.1f s, byte-exact%n", transfer(s.a1(), s.b1(), 20));
    }

    /** Punch attempts ended so far per site agent, as initiator or responder (see {@link #PUNCH_LOG}). */
    private Map<String, Integer> punchCounts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Node n : siteNodes()) {
            out.put(n.name(), cluster.logLines(cluster.member(n), PUNCH_LOG).size());
        }
        return out;
    }

    @Test
    @Order(7)
    void eachRelayKilledInTurnLeavesCrossSiteTrafficFlowingThroughTheOther() {
        EdgelinkCluster.Member cloud = cluster.member(s.cloud());
        EdgelinkCluster.Member relay2 = cluster.member(t.relay2());
        double gapCloud = killRelayUnderTraffic(cloud);
        cluster.start(cloud);
        cluster.awaitRunning(cloud);
        Wait.until("b-n1 holds circuits on both relays again", CONVERGE, () -> cluster.statusHttp(cluster.member(
                s.b1())).at("/node/relayAddrs").size() >= 2);
        double gapRelay2 = killRelayUnderTraffic(relay2);
        System.out.printf("relay killed under relayed traffic a-n1 -> b-n1: longest ping gap %.1f s (cloud), "
                + "%.1f s (relay2)%n", gapCloud, gapRelay2);
        cluster.start(relay2);   // its pod's CNI DEL at teardown needs the agent
        cluster.awaitRunning(relay2);
    }

    /** kill -9 of {@code relay}'s agent during a ping loop a-n1 -> b-n1 (relayed); returns the longest gap. */
    private double killRelayUnderTraffic(EdgelinkCluster.Member relay) {
        for (Node a : List.of(s.a1(), s.a2())) {
            for (Node b : List.of(s.b1(), s.b2())) {
                cluster.awaitPath(cluster.member(a), b.name(), "relayed", CONVERGE);
            }
        }
        double interval = 0.2;
        PingLoop loop = PingLoop.start(lab, pod(s.a1()), pod(s.b1()).ip(), interval, 100);
        Wait.until("the ping loop runs", Duration.ofSeconds(10), () -> loop.sent() >= 5);
        cluster.kill9(relay);
        PingLoop.Result r = loop.finish();
        double gap = loop.longestGap(interval);
        System.out.printf("%s's relay killed: ping loop %s, longest gap %.1f s%n", relay.name(), r, gap);
        assertTrue(r.received() >= r.transmitted() / 2, "traffic continues through the other relay: " + r);
        assertTrue(gap <= 10, "no gap over 10 s: " + gap + " s");
        double secs = transfer(s.a2(), s.b2(), 20);
        System.out.printf("20 MiB a-n2 -> b-n2 (%s) after %s's relay died: %.1f s, byte-exact%n",
                pathOf(s.a2(), s.b2()), relay.name(), secs);
        assertEquals("relayed", pathOf(s.a2(), s.b2()));
        return gap;
    }
}
