package dev.edgelink.agent.lab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two agents as separate processes ({@code ip netns exec NS java ... Main agent --config FILE}) in two namespaces on
 * one veth segment, each bootstrapping from the other through membership. Each must see the other (with its peer
 * id, learnt from its signed record) in {@code edgelink status} on
 * hostgw, and {@code edgelink ping} must be answered over the pod network on hostgw; after {@code kill -9} the
 * pod route stays, and the restarted agent adopts it and finds hostgw again.
 *
 * <pre>
 *   a (node1) ul 10.0.0.1/24  ---- veth ----  ul 10.0.0.2/24 b (node2)
 *   pod CIDR 10.244.1.0/24                      pod CIDR 10.244.2.0/24
 * </pre>
 */
@Tag("lab")
class TwoAgentsLabTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CONVERGE_MILLIS = 60_000;

    @TempDir
    Path dir;

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.logFile=System.err",
                "-cp", System.getProperty("java.class.path"), "dev.edgelink.agent.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * node{n}'s config: each bootstraps from the other, whose node key is made here first (as an operator would with
     * {@code edgelink p2p id --key}) so that its peer id is known.
     */
    private Path config(int n) throws IOException {
        return config(n, "");
    }

    /** As {@link #config(int)}, with more {@code timeouts} keys ({@code ", idleTimeout: 3s"}). */
    private Path config(int n, String moreTimeouts) throws IOException {
        int other = 3 - n;
        PeerId otherId = PeerId.fromPublicKey(Keys.loadOrCreate(dir.resolve("state" + other + "/node.key"))
                .publicKey());
        Path file = dir.resolve("node" + n + ".yaml");
        Files.writeString(file, String.join("\n",
                "nodeName: node" + n,
                "podCidr: 10.244." + n + ".0/24",
                "listen: [/ip4/10.0.0." + n + "/tcp/4001]",
                "underlay: {interface: ul}",
                "stateDir: " + dir.resolve("state" + n),
                "cniSocket: " + dir.resolve("cni" + n + ".sock"),
                "bootstrapPeers: [/ip4/10.0.0." + other + "/tcp/4001/p2p/" + otherId + "]",
                "timeouts: {probeInterval: 300ms, probeTimeout: 300ms, gossipInterval: 500ms, recordTtl: 10s"
                        + moreTimeouts + "}",
                "trust: {insecure: true}",
                ""), StandardCharsets.UTF_8);
        return file;
    }

    private static String[] segment(AgentLab lab) {
        String a = lab.namespace("a");
        String b = lab.namespace("b");
        lab.ip(a, "link", "add", "ul", "type", "veth", "peer", "name", "ul", "netns", b);
        lab.ip(a, "addr", "add", "10.0.0.1/24", "dev", "ul");
        lab.ip(b, "addr", "add", "10.0.0.2/24", "dev", "ul");
        lab.ip(a, "link", "set", "ul", "up");
        lab.ip(b, "link", "set", "ul", "up");
        return new String[] {a, b};
    }

    /** Polls {@code edgelink status --json} in {@code ns} until {@code peer} is ACTIVE on {@code path}. */
    private static JsonNode awaitPath(AgentLab lab, String ns, String peer, String path, Path log) throws Exception {
        long deadline = System.currentTimeMillis() + CONVERGE_MILLIS;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            AgentLab.Result r = lab.execIn(ns, java("status", "--json"));
            last = r.output();
            if (r.exit() == 0) {
                JsonNode status = JSON.readTree(r.output());
                for (JsonNode p : status.path("peers")) {
                    if (peer.equals(p.path("node").asText()) && path.equals(p.path("path").asText())
                            && "ACTIVE".equals(p.path("state").asText())) {
                        return status;
                    }
                }
            }
            Thread.sleep(300);
        }
        fail("no " + peer + " on " + path + " in " + ns + " within " + CONVERGE_MILLIS + " ms; last status: " + last
                + "\nagent log:\n" + Files.readString(log));
        return null;
    }

    /**
     * Polls {@code edgelink status --json} in {@code ns} until {@code peer} shows at least {@code bytes} both ways
     * (the counters are read every 2 s, so a count may show part of what was sent); returns it.
     */
    private static JsonNode awaitCounted(AgentLab lab, String ns, String peer, long bytes, Path log)
            throws Exception {
        long deadline = System.currentTimeMillis() + CONVERGE_MILLIS;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            AgentLab.Result r = lab.execIn(ns, java("status", "--json"));
            last = r.output();
            if (r.exit() == 0) {
                for (JsonNode p : JSON.readTree(r.output()).path("peers")) {
                    if (peer.equals(p.path("node").asText()) && p.path("txBytes").asLong() >= bytes
                            && p.path("rxBytes").asLong() >= bytes) {
                        return p;
                    }
                }
            }
            Thread.sleep(300);
        }
        fail("no bytes counted for " + peer + " in " + ns + "; last status: " + last + "\nagent log:\n"
                + Files.readString(log));
        return null;
    }

    @Test
    void twoAgentsOnOneSegmentSeeEachOtherOnHostgwAndPingOverThePodNetwork() throws Exception {
        try (AgentLab lab = AgentLab.open()) {
            String[] ns = segment(lab);
            Path logA = dir.resolve("a.log");
            Path logB = dir.resolve("b.log");
            lab.spawnIn(ns[0], java("agent", "--config", config(1).toString()), logA);
            lab.spawnIn(ns[1], java("agent", "--config", config(2).toString()), logB);

            JsonNode statusA = awaitPath(lab, ns[0], "node2", "hostgw", logA);
            awaitPath(lab, ns[1], "node1", "hostgw", logB);
            assertEquals("node1", statusA.at("/node/name").asText());
            assertEquals("10.244.1.0/24", statusA.at("/node/podCidr").asText());
            assertEquals(1500 - 86, statusA.at("/node/podMtu").asInt(),
                    "the userspace paths' 86 bytes (the largest overhead offered) off a 1500 underlay");
            // UNKNOWN until the first AutoNAT round (5 s after the start) has an answer, PUBLIC after: two nodes on one
            // segment, no NAT between; which one shows depends on how long the paths took to verify
            assertTrue(java.util.Set.of("UNKNOWN", "PUBLIC").contains(statusA.at("/node/reachability").asText()),
                    "no NAT between the nodes: " + statusA.at("/node/reachability").asText());
            assertTrue(statusA.at("/peers/0/connection/direct").asBoolean(), statusA.toString());
            JsonNode peer = statusA.at("/peers/0");
            assertTrue(peer.path("why").asText().contains("shares 10.0.0.0/24"), peer.toString());
            assertTrue(peer.path("rttMillis").asDouble() > 0, peer.toString());
            PeerId node2 = PeerId.fromPublicKey(Keys.loadOrCreate(dir.resolve("state2/node.key")).publicKey());
            assertEquals(node2.toString(), peer.path("peerId").asText(), "learnt from node2's signed record");
            JsonNode failures = statusA.at("/node/taskFailures");
            for (String task : List.of("dataplane", "membership", "nat", "reservations", "cni-request",
                    "http-request", "connection-handler")) {
                assertEquals(0, failures.path(task).asLong(-1), task + " in " + failures);
            }

            AgentLab.Result ping = lab.execIn(ns[0], java("ping", "node2", "--count", "3"));
            assertEquals(0, ping.exit(), ping.output());
            assertTrue(ping.output().contains("PING node2 (10.244.2.0) over the pod network, path hostgw"),
                    ping.output());
            assertTrue(ping.output().contains("3/3 answered via hostgw"), ping.output());
            AgentLab.Result back = lab.execIn(ns[1], java("ping", "node1", "--json"));
            assertEquals(0, back.exit(), back.output());
            assertEquals("hostgw", JSON.readTree(back.output()).path("path").asText());

            // the path probes above are not pod traffic and are not counted; an ICMP ping to node2's tunnel address is
            assertEquals(0, lab.execIn(ns[0], "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.244.2.0"));
            JsonNode counted = awaitCounted(lab, ns[0], "node2", 3 * 84, logA);
            assertTrue(counted.path("txBytes").asLong() >= 3 * 84 && counted.path("rxBytes").asLong() >= 3 * 84,
                    "the three pings and their answers (84 bytes each), on hostgw: " + counted);
            AgentLab.Result human = lab.execIn(ns[0], java("status"));
            assertTrue(human.output().lines().anyMatch(l -> l.matches("node2 +hostgw +ACTIVE .*")), human.output());
            assertTrue(lab.execIn(ns[0], List.of("nft", "list", "table", "ip", "edgelink_peers")).output()
                    .contains("10.244.2.0/24"), "node2's pod CIDR in the counter maps");
            assertTrue(lab.ip(ns[0], "route", "show", "10.244.2.0/24").contains("via 10.0.0.2 dev ul proto 69"));
        }
    }

    /** Probes of node1's that arrived at node2 so far, as node2's own nftables counter (made here) saw them. */
    private static long probesFromNode1(AgentLab lab, String nodeB) throws Exception {
        AgentLab.Result r = lab.execIn(nodeB, List.of("nft", "-j", "list", "counter", "ip", "probes", "from1"));
        assertEquals(0, r.exit(), r.output());
        return JSON.readTree(r.output()).at("/nftables/1/counter/packets").asLong(-1);
    }

    /**
     * Probing follows traffic, end to end: with {@code idleTimeout: 3s} and {@code idleProbeInterval: 2s}, node1
     * probes idle node2 about every 2 s (its own probes do not count as traffic), and every 300 ms while a ping
     * runs between the two. The probes are counted at node2 with nftables, not by the agent.
     */
    @Test
    void probesFollowTrafficBetweenTwoAgents() throws Exception {
        try (AgentLab lab = AgentLab.open()) {
            String[] ns = segment(lab);
            assertEquals(0, lab.execIn(ns[1], "nft", "add table ip probes; add counter ip probes from1;"
                    + " add chain ip probes in { type filter hook input priority filter; };"
                    + " add rule ip probes in ip saddr 10.0.0.1 udp dport 8473 counter name from1"));
            Path logA = dir.resolve("a.log");
            String idle = ", idleTimeout: 3s, idleProbeInterval: 2s";
            lab.spawnIn(ns[0], java("agent", "--config", config(1, idle).toString()), logA);
            lab.spawnIn(ns[1], java("agent", "--config", config(2, idle).toString()), dir.resolve("b.log"));
            awaitPath(lab, ns[0], "node2", "hostgw", logA);

            Thread.sleep(4_000); // a new peer is active for idleTimeout after it appeared
            long before = probesFromNode1(lab, ns[1]);
            Thread.sleep(6_000);
            long idleProbes = probesFromNode1(lab, ns[1]) - before;
            assertEquals(0, lab.execIn(ns[0], "ping", "-c", "30", "-i", "0.2", "-W", "2", "10.244.2.0"));
            long activeProbes = probesFromNode1(lab, ns[1]) - before - idleProbes;

            System.out.printf("node1's probes of node2 in 6 s: %d idle, %d while pinging%n", idleProbes,
                    activeProbes);
            assertTrue(idleProbes >= 1 && idleProbes <= 6, "every 2 s while idle (20 at 300 ms): " + idleProbes);
            assertTrue(activeProbes >= 8, "every 300 ms while there is traffic (20 in 6 s): " + activeProbes);
            awaitPath(lab, ns[0], "node2", "hostgw", logA);
        }
    }

    @Test
    void anAgentKilledWithSigkillLeavesThePodRouteAndTheRestartAdoptsIt() throws Exception {
        try (AgentLab lab = AgentLab.open()) {
            String[] ns = segment(lab);
            Path logA = dir.resolve("a.log");
            Path configA = config(1);
            Process a = lab.spawnIn(ns[0], java("agent", "--config", configA.toString()), logA);
            lab.spawnIn(ns[1], java("agent", "--config", config(2).toString()), dir.resolve("b.log"));
            JsonNode before = awaitPath(lab, ns[0], "node2", "hostgw", logA);
            byte[] key = Files.readAllBytes(dir.resolve("state1/node.key"));
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("state1/node.key"))));

            lab.kill9(a);
            assertTrue(lab.ip(ns[0], "route", "show", "10.244.2.0/24").contains("via 10.0.0.2"),
                    "the pod route outlives the agent");
            lab.spawnIn(ns[0], java("agent", "--config", configA.toString()), logA);
            JsonNode after = awaitPath(lab, ns[0], "node2", "hostgw", logA);

            assertEquals(before.at("/node/peerId").asText(), after.at("/node/peerId").asText(), "same node key");
            assertArrayEquals(key, Files.readAllBytes(dir.resolve("state1/node.key")));
            assertTrue(Files.readString(logA).contains("kept the pod routes a previous run left"),
                    Files.readString(logA));
            AgentLab.Result ping = lab.execIn(ns[0], java("ping", "node2", "--count", "1"));
            assertEquals(0, ping.exit(), ping.output());
        }
    }
}
