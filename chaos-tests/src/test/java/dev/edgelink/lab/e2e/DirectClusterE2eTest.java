package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Conflist;
import dev.edgelink.lab.ExecResult;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 3 end to end: three real agents on {@link Topologies#direct} (n1 and n2 on one segment, n3 behind a
 * router), pods started by podman through the installed edgelink CNI launcher (n1: two pods, n2 and n3: one each;
 * n3's conflist chains Debian's {@code portmap} and {@code bandwidth} after edgelink), and a containerd pod.
 *
 * <p>One cluster for the whole class (agents and pods take seconds to start); the tests run in order, the
 * destructive ones (restart, leave) last. The lab, agents, pods, conflists, state directories and the launcher
 * are removed in {@link #tearDown()}, also when a test failed.
 */
@Tag("lab")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(240)
class DirectClusterE2eTest {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private Lab lab;
    private EdgelinkCluster cluster;
    private Topologies.Direct t;
    private final List<Pod> pods = new ArrayList<>();
    private Pod p1a;
    private Pod p2;
    private Pod p3;

    @BeforeAll
    void startCluster() {
        lab = Lab.open();
        long t0 = System.nanoTime();
        try {
            t = Topologies.direct(lab);
            cluster = EdgelinkCluster.create(lab, t.nodes(), EdgelinkCluster.runningClasspath());
            cluster.startAll();
            long t1 = System.nanoTime();
            Podman podman = lab.podman();
            podman.network(t.n1(), cluster.conflist(t.n1()));
            podman.network(t.n2(), cluster.conflist(t.n2()));
            podman.network(t.n3(), Conflist.template(cluster.conflistJson(t.n3(), CHAIN)));
            p1a = podman.run(t.n1(), "p1a");
            Pod p1b = podman.run(t.n1(), "p1b");
            p2 = podman.run(t.n2(), "p2");
            p3 = podman.run(t.n3(), "p3", "-p", "18080:8080");
            pods.addAll(List.of(p1a, p1b, p2, p3));
            long t2 = System.nanoTime();
            awaitAllPaths();
            System.out.printf("e2e %s: agents up %d ms, 4 podman pods %d ms, paths converged %d ms%n", lab.id(),
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    /** portmap and bandwidth after edgelink; the rates are far above what the pods move, so nothing slows. */
    static final String CHAIN = ",{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}"
            + ",{\"type\":\"bandwidth\",\"ingressRate\":40000000000,\"ingressBurst\":400000000,"
            + "\"egressRate\":40000000000,\"egressBurst\":400000000}";

    private void awaitAllPaths() {
        cluster.awaitPath(cluster.member(t.n1()), "n2", "hostgw", CONVERGE);
        cluster.awaitPath(cluster.member(t.n2()), "n1", "hostgw", CONVERGE);
        for (Node n : List.of(t.n1(), t.n2())) {
            cluster.awaitPath(cluster.member(n), "n3", "vxlan", CONVERGE);
            cluster.awaitPath(cluster.member(t.n3()), n.name(), "vxlan", CONVERGE);
        }
    }

    @AfterAll
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        } else if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void pathsAreHostgwOnTheSegmentAndVxlanAcrossTheRouterWithIpipReportedMissing() {
        JsonNode s1 = cluster.status(cluster.member(t.n1()));
        assertEquals("hostgw", EdgelinkCluster.peer(s1, "n2").orElseThrow().path("path").asText(), s1.toString());
        assertEquals("vxlan", EdgelinkCluster.peer(s1, "n3").orElseThrow().path("path").asText(), s1.toString());
        JsonNode s3 = cluster.status(cluster.member(t.n3()));
        for (String peer : List.of("n1", "n2")) {
            assertEquals("vxlan", EdgelinkCluster.peer(s3, peer).orElseThrow().path("path").asText(), s3.toString());
        }
        for (JsonNode s : List.of(s1, s3)) {
            JsonNode ipip = null;
            for (JsonNode b : s.at("/node/backends")) {
                if (b.toString().toLowerCase().contains("ipip")) {
                    ipip = b;
                }
            }
            assertTrue(ipip != null && ipip.toString().contains("false"), "ipip reported missing: " + s.at("/node"));
        }
        assertTrue(t.n1().exec("ip", "route", "show", "10.244.2.0/24").check().stdout().contains("via 10.1.0.12"),
                "hostgw route to n2's pods via n2's underlay address");
        assertTrue(t.n1().exec("ip", "route", "show", "10.244.3.0/24").check().stdout()
                .contains("dev edgelink.vxlan"), "vxlan route to n3's pods");
    }

    @Test
    @Order(2)
    void everyPodPingsEveryOtherPod() {
        List<String> failed = new ArrayList<>();
        for (Pod from : pods) {
            for (Pod to : pods) {
                if (from != to && !from.ping(to.ip())) {
                    failed.add(from.name() + " -> " + to.name() + " (" + to.ip() + ")");
                }
            }
        }
        assertEquals(List.of(), failed, "pod pairs that did not answer ping");
    }

    @Test
    @Order(3)
    void hundredMebibytesCrossEveryPodPairByteExact() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < pods.size(); i++) {
            for (int j = i + 1; j < pods.size(); j++) {
                Pod from = pods.get(i);
                Pod to = pods.get(j);
                long t0 = System.nanoTime();
                String[] sums = PodTransfer.send(cluster.lab(), from, to, 100);
                double secs = (System.nanoTime() - t0) / 1e9;
                assertEquals(sums[0], sums[1], from.name() + " -> " + to.name() + ": md5 of 100 MiB sent vs received");
                lines.add(String.format("%s -> %s %.1f s", from.name(), to.name(), secs));
            }
        }
        System.out.println("100 MiB transfers: " + lines);
    }

    @Test
    @Order(4)
    void containerdPodWithTheEdgelinkPluginReachesPodsOnOtherNodes() {
        Pod c = cluster.lab().containerd().run(t.n2(), "c2", cluster.conflist(t.n2()));
        assertTrue(c.ip().startsWith("10.244.2."), c.ip());
        assertTrue(c.ping(p1a.ip()), "ctr pod on n2 -> pod on n1 (hostgw)");
        assertTrue(c.ping(p3.ip()), "ctr pod on n2 -> pod on n3 (vxlan)");
        assertTrue(p3.ping(c.ip()), "pod on n3 -> ctr pod");
        String ipamEntry = c.ip();
        assertTrue(java.nio.file.Files.exists(cluster.member(t.n2()).ipamDir().resolve(ipamEntry)));
        c.remove();
        Wait.until("ctr's DEL released " + ipamEntry, Duration.ofSeconds(20),
                () -> !java.nio.file.Files.exists(cluster.member(t.n2()).ipamDir().resolve(ipamEntry)));
    }

    @Test
    @Order(5)
    void chainedPortmapForwardsANodePortAndBandwidthShapesThePodsVeth() {
        ExecResult qdisc = t.n3().exec("tc", "qdisc", "show").check();
        assertTrue(qdisc.stdout().lines().anyMatch(l -> l.contains("tbf") && l.contains("dev elk")),
                "bandwidth put a tbf on the host end of p3's veth: " + qdisc.stdout());
        cluster.lab().podman().podman(t.n3(), Duration.ofSeconds(20), "exec", "-d", p3.name(), "sh", "-c",
                "echo hello-from-p3 | nc -l -p 8080").check();
        String got = Wait.forValue("an answer on n3's port 18080 (portmap -> p3:8080)", Duration.ofSeconds(20),
                () -> {
                    ExecResult r = p1a.exec(Duration.ofSeconds(5), "sh", "-c", "nc -w 2 10.2.0.13 18080 </dev/null");
                    return r.stdout().contains("hello-from-p3") ? r.stdout() : null;
                });
        assertTrue(got.contains("hello-from-p3"));
    }

    @Test
    @Order(6)
    void aConflistWithABrokenFieldIsRefusedWithACniErrorNamingIt() {
        EdgelinkCluster.Member m = cluster.member(t.n2());
        var config = CniCalls.pluginConfig(cluster.lab().prefix() + "broken", cluster.pluginType(), m.socket());
        config.put("mtu", "big");
        ExecResult r = CniCalls.launcher(t.n2().netns(), cluster.launcher(),
                CniCalls.env("ADD", "broken1", "/run/netns/" + t.n2().netns(), "eth0"), config);
        assertEquals(1, r.exitCode(), r.describe());
        JsonNode err = PodTransfer.json(r.stdout());
        assertEquals(7, err.path("code").asInt(), r.stdout());
        assertTrue(err.path("msg").asText().contains("mtu"), "the error names the field: " + r.stdout());

        ExecResult podman = BrokenConflist.podmanRun(cluster, t.n2(), "{\"type\":\"" + cluster.pluginType()
                + "\",\"agentSocket\":\"" + m.socket() + "\",\"mtu\":\"big\"}");
        assertFalse(podman.ok(), podman.describe());
        assertTrue((podman.stdout() + podman.stderr()).contains("mtu"), "podman shows the plugin's error: "
                + podman.describe());
    }

    @Test
    @Order(7)
    void twoHundredCniCyclesAndTwentyPodmanCyclesLeaveNothingBehind() {
        EdgelinkCluster.Member m = cluster.member(t.n1());
        Set<String> ipamBefore = PodTransfer.list(m.ipamDir());
        String linksBefore = links(t.n1());
        String routesBefore = t.n1().exec("ip", "route", "show").check().stdout();
        String addrsBefore = t.n1().exec("ip", "-4", "-o", "addr", "show").check().stdout();
        long t0 = System.nanoTime();
        CniCycles.agentSocket(cluster, t.n1(), 200);
        long t1 = System.nanoTime();
        CniCycles.launcher(cluster, t.n1(), 5);
        long t2 = System.nanoTime();
        CniCycles.podman(cluster, t.n1(), 20);
        long t3 = System.nanoTime();
        System.out.printf("CNI cycles: 200 on the agent socket %d ms, 5 through the launcher %d ms, "
                + "20 podman run/rm %d ms%n", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);

        assertEquals(ipamBefore, PodTransfer.list(m.ipamDir()), "IPAM entries");
        assertEquals(linksBefore, links(t.n1()), "links in n1");
        assertEquals(routesBefore, t.n1().exec("ip", "route", "show").check().stdout(), "routes in n1");
        assertEquals(addrsBefore, t.n1().exec("ip", "-4", "-o", "addr", "show").check().stdout(), "addresses");
        assertTrue(p2.ping(p1a.ip()), "the pods that were there still answer");
    }

    private static String links(Node n) {
        return n.exec("sh", "-c", "ip -o link show | cut -d: -f2 | sort").check().stdout();
    }

    @Test
    @Order(8)
    void agentKilledWithSigkillAndRestartedKeepsPodsReachableAndAdoptsItsState() {
        EdgelinkCluster.Member m = cluster.member(t.n2());
        Set<String> ipamBefore = PodTransfer.list(m.ipamDir());
        String peerId = m.peerId();
        PingLoop loop = PingLoop.start(cluster.lab(), p1a, p2.ip(), 0.2, 100);
        Wait.until("the ping loop runs", Duration.ofSeconds(10), () -> loop.sent() >= 5);
        long t0 = System.nanoTime();
        cluster.kill9(m);
        cluster.start(m);
        cluster.awaitRunning(m);
        cluster.awaitPath(m, "n1", "hostgw", CONVERGE);
        cluster.awaitPath(m, "n3", "vxlan", CONVERGE);
        double restartSecs = (System.nanoTime() - t0) / 1e9;
        PingLoop.Result r = loop.finish();
        System.out.printf("kill -9 + restart of n2's agent: %.1f s; ping loop %s%n", restartSecs, r);

        assertEquals(peerId, m.peerId(), "same node key after the restart");
        assertTrue(r.lost() <= Math.ceil(restartSecs / 0.2), "the ping loop loses at most the restart window: " + r);
        assertEquals(ipamBefore, PodTransfer.list(m.ipamDir()), "IPAM re-adopted, nothing added or lost");
        Pod again = cluster.lab().podman().run(t.n2(), "p2b");
        assertFalse(ipamBefore.contains(again.ip()), "a new pod gets a fresh address, not a taken one: "
                + again.ip() + " vs " + ipamBefore);
        assertTrue(again.ping(p3.ip()) && p3.ping(p2.ip()), "old and new pods on n2 reachable");
        again.remove();
    }

    @Test
    @Order(9)
    void aNodeThatDiesSilentlyIsRemovedWithinTheRecordExpiryAndReAddedWhenItComesBack() {
        EdgelinkCluster.Member n3 = cluster.member(t.n3());
        String underlay = t.n3().address();
        // Its record may have been re-issued just before the freeze: it expires at most recordTtl later, the next
        // membership sweep (1 s) removes it, the next data plane round (300 ms) the kernel objects.
        Duration bound = EdgelinkCluster.RECORD_TTL.plusSeconds(2);
        for (Node n : List.of(t.n1(), t.n2())) {
            assertFalse(forgot(cluster.member(n), underlay), n.name() + " holds n3's status entry, route, "
                    + "neighbour and FDB entry before the freeze");
        }
        long t0 = System.nanoTime();
        cluster.freeze(n3);
        try {
            for (Node n : List.of(t.n1(), t.n2())) {
                EdgelinkCluster.Member m = cluster.member(n);
                Wait.until(n.name() + " forgets the silent n3 (status, route, neighbour, FDB)", bound.minus(
                        Duration.ofNanos(System.nanoTime() - t0)), () -> forgot(m, underlay));
            }
            long goneMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("silent n3 (SIGSTOP) left n1's and n2's view and kernels in %d ms (bound %d s)%n",
                    goneMs, bound.toSeconds());
            assertTrue(EdgelinkCluster.peer(cluster.status(cluster.member(t.n1())), "n3").isEmpty(),
                    "edgelink status on n1 no longer lists n3");
            assertTrue(p2.ping(p1a.ip()), "the remaining nodes' pods still talk");
        } finally {
            cluster.thaw(n3);
        }
        long t1 = System.nanoTime();
        for (Node n : List.of(t.n1(), t.n2())) {
            cluster.awaitPath(cluster.member(n), "n3", "vxlan", CONVERGE);
            cluster.awaitPath(n3, n.name(), "vxlan", CONVERGE);
        }
        System.out.printf("n3 back (SIGCONT): vxlan ACTIVE both ways in %d ms%n", (System.nanoTime() - t1) / 1_000_000);
        assertTrue(t.n1().exec("ip", "route", "show", "10.244.3.0/24").check().stdout().contains("edgelink.vxlan"),
                "n1's route to n3's pods is back");
        assertTrue(p1a.ping(p3.ip()) && p3.ping(p2.ip()), "n3's pod reachable again both ways");
    }

    /** True when {@code m}'s status and kernel hold nothing of the node at {@code underlay} (n3). */
    private boolean forgot(EdgelinkCluster.Member m, String underlay) {
        Node n = m.node();
        return EdgelinkCluster.peer(cluster.statusHttp(m), "n3").isEmpty()
                && n.exec("ip", "route", "show", "10.244.3.0/24").check().stdout().isBlank()
                && n.exec("ip", "neigh", "show", "10.244.3.0", "dev", "edgelink.vxlan").check().stdout().isBlank()
                && !n.exec("bridge", "fdb", "show", "dev", "edgelink.vxlan").check().stdout()
                        .contains("dst " + underlay + " ");
    }

    @Test
    @Order(10)
    void aNodeThatLeavesDisappearsFromTheOthersStatusAndRoutesWithinTheBound() {
        EdgelinkCluster.Member n3 = cluster.member(t.n3());
        long t0 = System.nanoTime();
        int exit = cluster.stop(n3);
        assertTrue(exit == 0 || exit == 143, "graceful stop on SIGTERM exits 0 or 143 (the JVM's), not " + exit);
        Duration bound = EdgelinkCluster.RECORD_TTL;
        for (Node n : List.of(t.n1(), t.n2())) {
            EdgelinkCluster.Member m = cluster.member(n);
            Wait.until(n.name() + " forgets n3 (status and the route to 10.244.3.0/24)", bound.minus(
                    Duration.ofNanos(System.nanoTime() - t0)).plusSeconds(1), () ->
                    EdgelinkCluster.peer(cluster.statusHttp(m), "n3").isEmpty()
                            && n.exec("ip", "route", "show", "10.244.3.0/24").stdout().isBlank());
        }
        System.out.printf("n3 left n1's and n2's view and kernels in %d ms (bound %d s)%n",
                (System.nanoTime() - t0) / 1_000_000, bound.toSeconds());
        assertTrue(p2.ping(p1a.ip()), "the remaining nodes' pods still talk");
        Set<String> remaining = new TreeSet<>();
        for (JsonNode p : cluster.status(cluster.member(t.n1())).path("peers")) {
            remaining.add(p.path("node").asText());
        }
        assertEquals(Set.of("n2"), remaining);
    }
}
