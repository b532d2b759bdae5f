package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Fault;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.NatMode;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Pod;
import dev.edgelink.lab.Podman;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import dev.edgelink.lab.Wan;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The userspace paths over a bad WAN: issue 4's two NAT'd sites and the cloud relay, with the "internet" segment
 * holding every packet 20 ms (40 ms round trip between the sites) and dropping 1 % of them, MTU-sized (no
 * offloads on the WAN). The agents run with the JVM options {@code bin/edgelink agent} ships (32 MiB of direct
 * memory), as deployed: four TCP flows between pods on a-n1 and b-n1 for 30 s used to exhaust it and kill the TUN
 * reader for good. Now each run must leave both agents forwarding: alive, their packet memory within its budget,
 * pings and a byte-exact transfer between the same pods, and the drops counted in {@code /metrics}.
 */
@Tag("lab")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class WanSitesE2eTest {
    private static final Duration CONVERGE = Duration.ofSeconds(90);
    private static final Duration ONE_WAY = Duration.ofMillis(20);
    private static final double LOSS_PERCENT = 1.0;
    private static final int FLOWS = 4;
    private static final int SECONDS = 30;
    /** A data path started again on a new device answers pod pings within this (a round, a new stream). */
    private static final Duration RESTART_BOUND = Duration.ofSeconds(15);
    /** Probe frames may go over the budget by a few bytes each: at most 16 queued per peer. */
    private static final long PROBE_SLACK = 16 * 1024;
    /** The relay may pass its budget by the read in hand of each circuit direction (64 KiB reads, a few circuits). */
    private static final long RELAY_READ_SLACK = 4 * 64 * 1024;

    private Lab lab;
    private Topologies.Sites s;
    private EdgelinkCluster cluster;
    private Wan wan;
    private final Map<String, Pod> pods = new LinkedHashMap<>();

    @RegisterExtension
    final TestWatcher dumpOnFailure = ClusterLifecycle.dumpOnFailure(() -> cluster);

    @BeforeAll
    void startCluster() throws Exception {
        lab = Lab.open();
        try {
            s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
            wan = s.inet().wan(ONE_WAY, LOSS_PERCENT, 8);
            cluster = EdgelinkCluster.create(lab, List.of(s.cloud(), s.a1(), s.b1()),
                    EdgelinkCluster.runningClasspath());
            List<String> shipped = Bench.shippedAgentOptions();
            EdgelinkCluster.Member cloud = cluster.member(s.cloud());
            cloud.config("relay", "{server: true}").config("underlay", "{interface: "
                    + s.cloud().link(s.inet()).iface() + "}");
            cloud.jvmOptions(shipped);
            cluster.start(cloud);
            cluster.awaitRunning(cloud);
            for (Node n : List.of(s.a1(), s.b1())) {
                EdgelinkCluster.Member m = cluster.member(n);
                m.config("site", n.name().substring(0, 1));
                m.jvmOptions(shipped);
                cluster.start(m);
            }
            Podman podman = lab.podman();
            for (Node n : List.of(s.a1(), s.b1())) {
                cluster.awaitRunning(cluster.member(n));
                podman.network(n, cluster.conflist(n));
                pods.put(n.name(), podman.run(n, "p-" + n.name()));
            }
        } catch (RuntimeException | Error e) {
            if (cluster != null) {
                System.out.println("=== the cluster did not come up:" + cluster.describe());
            }
            tearDown();
            throw e;
        }
    }

    @AfterAll
    void tearDown() {
        ClusterLifecycle.tearDown(lab, cluster);
    }

    // ------------------------------------------------------------------------------------------- helpers

    private EdgelinkCluster.Member a1() {
        return cluster.member(s.a1());
    }

    private EdgelinkCluster.Member b1() {
        return cluster.member(s.b1());
    }

    private Pod pod(Node n) {
        return pods.get(n.name());
    }

    /** Four TCP flows a-n1 pod -> b-n1 pod for 30 s; returns the iperf3 report after checking it carried traffic. */
    private JsonNode fourFlows(String path) {
        Bench.End from = new Bench.End(s.a1(), pod(s.a1()).netnsPath().toString(), pod(s.a1()).ip());
        Bench.End to = new Bench.End(s.b1(), pod(s.b1()).netnsPath().toString(), pod(s.b1()).ip());
        Wan.Counters before = wan.counters();
        double changesBefore = pathChanges();
        JsonNode peerBefore = EdgelinkCluster.peer(cluster.statusHttp(a1()), "b-n1").orElseThrow();
        Bench.IperfRun run = Bench.iperfRun(lab, from, to, SECONDS, "-P", Integer.toString(FLOWS),
                "--get-server-output");
        Wan.Counters after = wan.counters();
        double changes = pathChanges() - changesBefore;
        JsonNode peerAfter = EdgelinkCluster.peer(cluster.statusHttp(a1()), "b-n1").orElseThrow();
        assertEquals(null, run.failure(), "iperf3 ran to its end");
        JsonNode r = run.json();
        List<Long> intervals = new java.util.ArrayList<>();
        r.path("server_output_json").path("intervals").forEach(i -> intervals.add(i.path("sum").path("bytes")
                .asLong()));
        double mbit = r.at("/end/sum_received/bits_per_second").asDouble() / 1e6;
        long lost = after.lost() - before.lost();
        long seen = after.seen() - before.seen();
        System.out.printf("%s over the WAN (%d ms RTT, %.0f %% loss): %d flows a-n1 -> b-n1 for %d s: %.0f Mbit/s, "
                + "%d retransmits, per second (MB) %s; the WAN lost %d of %d packets; a-n1's path changes during the "
                + "run: %.0f%n", path, ONE_WAY.toMillis() * 2, LOSS_PERCENT, FLOWS, SECONDS, mbit,
                r.at("/end/sum_sent/retransmits").asLong(),
                intervals.stream().map(b -> String.valueOf(b / 1_000_000)).toList(), lost, seen, changes);
        assertTrue(lost > 0, "the WAN dropped packets during the run: " + lost + " of " + seen);
        // carried to its end: the receiver got bytes in every second of the second half (the old agent stopped
        // after about 3 s and never came back)
        WanBench.Continuity c = WanBench.Continuity.of(r);
        assertTrue(c.late() > 0 && c.emptyLate() == 0, "traffic until the end, received per second: " + intervals);
        // a loaded path is not a dead one: its probes pass (late PONGs with traffic both ways count) and it stays
        // (lastChange is derived from a monotonic clock at each status: compare to the second, not the nanosecond)
        Duration moved = Duration.between(Instant.parse(peerBefore.path("lastChange").asText()),
                Instant.parse(peerAfter.path("lastChange").asText())).abs();
        assertTrue(path.equals(peerAfter.path("path").asText()) && moved.compareTo(Duration.ofSeconds(1)) < 0,
                "a-n1 kept b-n1 on the " + path + " path through the run: before " + peerBefore + ", after "
                        + peerAfter);
        return r;
    }

    /** a-n1's path changes so far, all peers and paths ({@code edgelink_path_changes_total}). */
    private double pathChanges() {
        return EdgelinkCluster.metricSum(cluster.metricsHttp(a1()), "edgelink_path_changes_total", "");
    }

    /** After a run: both agents alive and forwarding, memory within its budget, pings and a byte-exact transfer. */
    private void stillForwarding(String path) {
        for (EdgelinkCluster.Member m : List.of(a1(), b1())) {
            assertTrue(m.agent().orElseThrow().alive(), m.name() + "'s agent is alive");
            JsonNode u = cluster.statusHttp(m).path("userspace");
            assertTrue(u.path("readerRunning").asBoolean(), m.name() + ": the TUN reader runs: " + u);
            long peak = u.path("memoryPeak").asLong();
            long limit = u.path("memoryLimit").asLong();
            System.out.printf("%s after the %s run: packet memory peak %d of %d bytes, direct memory %d of %d, "
                    + "allocation failures %d, peers %s%n", m.name(), path, peak, limit,
                    u.path("directMemoryUsed").asLong(), u.path("directMemoryLimit").asLong(),
                    u.path("allocFailures").asLong(), u.path("peers"));
            assertTrue(limit > 0 && peak <= limit + PROBE_SLACK, m.name() + ": packet memory within its budget: "
                    + peak + " of " + limit);
            assertTrue(u.path("directMemoryUsed").asLong() <= u.path("directMemoryLimit").asLong());
            assertTrue(cluster.logLines(m, "OutOfMemoryError|fatal: thread").isEmpty(), m.name()
                    + " logged no memory error and no thread death");
        }
        Wait.until("a-n1's pod pings b-n1's pod after the " + path + " run", Duration.ofSeconds(20),
                () -> pod(s.a1()).exec(Duration.ofSeconds(10), "ping", "-c", "3", "-W", "2", pod(s.b1()).ip()).ok());
        String[] sums = PodTransfer.send(lab, pod(s.a1()), pod(s.b1()), 8);
        assertEquals(sums[0], sums[1], "8 MiB a-n1 -> b-n1 byte-exact after the " + path + " run");
        String metrics = cluster.metricsHttp(a1());
        double drops = EdgelinkCluster.metricSum(metrics, "edgelink_tunnel_drops_total", "peer=\"b-n1\"");
        System.out.printf("a-n1's /metrics after the %s run: %.0f packets to b-n1 dropped on the way out "
                + "(queue_full %.0f, memory %.0f)%n", path, drops,
                EdgelinkCluster.metricSum(metrics, "edgelink_tunnel_drops_total", "reason=\"queue_full\""),
                EdgelinkCluster.metricSum(metrics, "edgelink_tunnel_drops_total", "reason=\"memory\""));
        assertTrue(metrics.contains("edgelink_tunnel_drops_total{peer=\"b-n1\""), "drops are in /metrics per peer");
        assertTrue(drops > 0, "four flows into a lossy 40 ms path overflow a-n1's queue to b-n1: the overflow is "
                + "dropped and counted, not held");
    }

    // ------------------------------------------------------------------------------------------- tests

    @Test
    @Order(1)
    void fourFlowsOverTheDirectPathFor30sLeaveTheAgentsForwarding() {
        cluster.awaitPath(a1(), "b-n1", "direct", CONVERGE);
        fourFlows("direct");
        stillForwarding("direct");
    }

    @Test
    @Order(2)
    void fourFlowsOverTheRelayedPathFor30sLeaveTheAgentsAndTheRelayForwarding() {
        String publicA = s.routerA().address(s.inet());
        String publicB = s.routerB().address(s.inet());
        // the sites cannot reach each other directly any more; the cloud relay still can
        List<Fault> cut = List.of(s.routerA().block(publicA, publicB), s.routerA().block(s.a1().address(), publicB));
        try {
            cluster.awaitPath(a1(), "b-n1", "relayed", CONVERGE);
            fourFlows("relayed");
            stillForwarding("relayed");
            String relay = cluster.metricsHttp(cluster.member(s.cloud()));
            double used = EdgelinkCluster.metricSum(relay, "edgelink_memory_bytes", "pool=\"relay\",kind=\"peak\"");
            double limit = EdgelinkCluster.metricSum(relay, "edgelink_memory_bytes", "pool=\"relay\",kind=\"limit\"");
            System.out.printf("the cloud relay: circuits held at most %.0f of %.0f bytes%n", used, limit);
            assertTrue(limit > 0, "the relay reports its budget");
            assertTrue(used <= limit + RELAY_READ_SLACK, "the relay's circuits stay within their budget (plus a read "
                    + "per circuit direction): " + used + " of " + limit);
            assertTrue(cluster.member(s.cloud()).agent().orElseThrow().alive(), "the relay's agent is alive");
        } finally {
            cut.forEach(Fault::remove);
        }
    }

    @Test
    @Order(3)
    void aTunReaderWhoseDeviceFailsIsStartedAgainAndPodTrafficComesBack() {
        cluster.awaitActive(a1(), "b-n1", CONVERGE);
        long before = cluster.statusHttp(a1()).path("userspace").path("restarts").asLong();
        long t0 = System.nanoTime();
        // the kernel takes the device away under the reader: its next read fails and the thread ends
        s.a1().exec("ip", "link", "del", "edgelink0").check();
        Wait.until("a-n1's pod pings b-n1's pod again", RESTART_BOUND,
                () -> pod(s.a1()).exec(Duration.ofSeconds(3), "ping", "-c", "1", "-W", "1", pod(s.b1()).ip()).ok());
        double back = (System.nanoTime() - t0) / 1e9;
        JsonNode u = cluster.statusHttp(a1()).path("userspace");
        String metrics = cluster.metricsHttp(a1());
        System.out.printf("TUN device deleted under a-n1's reader: pod traffic back after %.1f s, restarts %d%n",
                back, u.path("restarts").asLong());
        assertEquals(before + 1, u.path("restarts").asLong(), "status counts the restart: " + u);
        assertTrue(u.path("readerRunning").asBoolean(), "a new reader runs");
        assertEquals(before + 1, EdgelinkCluster.metricSum(metrics, "edgelink_tunnel_restarts_total", ""),
                "so does /metrics");
        assertTrue(a1().agent().orElseThrow().alive(), "the agent process lived on");
    }
}
