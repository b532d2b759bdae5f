package dev.edgelink.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.agent.AgentStatus;
import dev.edgelink.agent.AgentView;
import dev.edgelink.agent.PingReport;
import dev.edgelink.agent.internal.http.OperatorJson;
import dev.edgelink.agent.internal.http.OperatorServer;
import dev.edgelink.libp2p.threads.TaskGuard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator HTTP server and the status/ping commands, against a fake agent on loopback. */
class OperatorCommandsTest {
    private static final Instant T = Instant.parse("2025-01-02T03:04:05Z");

    private final TaskGuard tasks = new TaskGuard();
    private OperatorServer server;
    private String address;

    /** Two peers (one on hostgw, one still searching) and a ping that answers twice out of three for node2. */
    private static final class FakeAgent implements AgentView {
        @Override
        public AgentStatus status() {
            AgentStatus.Node node = new AgentStatus.Node("node1", "12D3KooWFake", "10.244.1.0/24", "10.244.1.0",
                    "ul", "10.0.0.1", "auto", 1450,
                    List.of(new AgentStatus.Backend("hostgw", true, "hostgw needs only routes"),
                            new AgentStatus.Backend("ipip", false, "ipip unavailable on this kernel (EOPNOTSUPP)"),
                            new AgentStatus.Backend("vxlan", true, "vxlan available on this kernel")),
                    List.of("/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWFake"), T, "site-a", "NAT_PORT_PRESERVING",
                    List.of("/ip4/198.18.0.3/tcp/4001/p2p/12D3KooWRelay/p2p-circuit"), false,
                    Map.of("dataplane", 2L, "nat", 0L));
            return new AgentStatus(node, List.of(
                    new AgentStatus.Peer("node2", "12D3KooWPeer2", List.of("10.244.2.0/24"), List.of("10.0.0.2"),
                            "ACTIVE", "hostgw", null, "hostgw: peer 10.0.0.2 shares 10.0.0.0/24", 0.125, -1, -1, T,
                            "site-a", new AgentStatus.Links(true, false)),
                    new AgentStatus.Peer("node3", null, List.of("10.244.3.0/24"), List.of("10.0.1.3"),
                            "SEARCHING", null, "vxlan", "trying vxlan", -1, -1, -1, T, "", null),
                    new AgentStatus.Peer("node4", "12D3KooWPeer4", List.of("10.244.4.0/24"), List.of("10.1.0.4"),
                            "ACTIVE", "relayed", null, "relayed: hole punch failed 3/3, site-b NAT is symmetric",
                            9.5, 10, 20, T, "site-b", new AgentStatus.Links(false, true)),
                    new AgentStatus.Peer("node5", "12D3KooWPeer5", List.of("10.244.5.0/24"), List.of("10.1.0.5"),
                            "ACTIVE", "hostgw", null, "hostgw: peer 10.1.0.5 shares 10.1.0.0/24", 0.5, -1, -1, T,
                            "site-a", new AgentStatus.Links(true, false),
                            List.of("10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel")),
                    new AgentStatus.Peer("evil", "12D3KooWEvil", List.of(), List.of(), AgentStatus.Peer.REFUSED,
                            null, null, "every pod CIDR refused: no route, no probe", -1, -1, -1, T, "", null,
                            List.of("128.0.0.0/1: outside clusterCidr 10.244.0.0/16"))));
        }

        @Override
        public Optional<PingReport> ping(String nodeName, int count) {
            if (nodeName.equals("bug")) {
                throw new IllegalStateException("a bug in ping");
            }
            if (!nodeName.equals("node2")) {
                return Optional.empty();
            }
            return Optional.of(new PingReport("node2", "10.244.2.0", "hostgw", List.of(
                    new PingReport.Probe(true, 0.2, "echo in 0.20 ms"),
                    new PingReport.Probe(false, -1, "no echo from 10.244.2.0:8473 within 500 ms"),
                    new PingReport.Probe(true, 0.3, "echo in 0.30 ms")).subList(0, count)));
        }

        @Override
        public String metrics() {
            return "# HELP edgelink_members m\n# TYPE edgelink_members gauge\nedgelink_members 3\n";
        }
    }

    @BeforeEach
    void start() {
        server = OperatorServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new FakeAgent(),
                tasks);
        address = server.address();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private record Run(int exit, String stdout) {
        List<String> lines() {
            return List.of(stdout.split("\n"));
        }
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = Main.run(argv, new JsonOut(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path, String method) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + address + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusJsonHasTheNodeAndEveryPeerWithPathWhyRttBytesAndLastChange() throws Exception {
        HttpResponse<String> r = get("/status", "GET");
        assertEquals(200, r.statusCode());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
        JsonNode json = OperatorJson.MAPPER.readTree(r.body());
        assertEquals("node1", json.at("/node/name").asText());
        assertEquals("10.244.1.0/24", json.at("/node/podCidr").asText());
        assertEquals(1450, json.at("/node/podMtu").asInt());
        assertEquals("ipip unavailable on this kernel (EOPNOTSUPP)", json.at("/node/backends/1/reason").asText());
        JsonNode peer = json.at("/peers/0");
        assertEquals("node2", peer.path("node").asText());
        assertEquals("hostgw", peer.path("path").asText());
        assertEquals("hostgw: peer 10.0.0.2 shares 10.0.0.0/24", peer.path("why").asText());
        assertEquals(0.125, peer.path("rttMillis").asDouble());
        assertEquals(-1, peer.path("txBytes").asLong());
        assertEquals("2025-01-02T03:04:05Z", peer.path("lastChange").asText());
        assertTrue(json.at("/peers/1/path").isNull());
        assertEquals("vxlan", json.at("/peers/1/trial").asText());
        assertEquals("site-a", json.at("/node/site").asText());
        assertEquals("NAT_PORT_PRESERVING", json.at("/node/reachability").asText());
        assertEquals("/ip4/198.18.0.3/tcp/4001/p2p/12D3KooWRelay/p2p-circuit", json.at("/node/relayAddrs/0").asText());
        assertTrue(json.at("/node/relayServer").isBoolean());
        assertEquals(2, json.at("/node/taskFailures/dataplane").asLong());
        assertEquals(0, json.at("/node/taskFailures/nat").asLong());
        assertEquals("relayed", json.at("/peers/2/path").asText());
        assertEquals("site-b", json.at("/peers/2/site").asText());
        assertTrue(json.at("/peers/2/connection/relayed").asBoolean());
        assertTrue(!json.at("/peers/2/connection/direct").asBoolean() && json.at("/peers/2/connection").isObject());
        assertTrue(json.at("/peers/0/connection/direct").asBoolean());
        assertEquals(0, json.at("/peers/0/refusedCidrs").size());
        assertEquals("10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel",
                json.at("/peers/3/refusedCidrs/0").asText());
        assertEquals("REFUSED", json.at("/peers/4/state").asText());
        assertEquals("128.0.0.0/1: outside clusterCidr 10.244.0.0/16", json.at("/peers/4/refusedCidrs/0").asText());
        AgentStatus back = OperatorJson.MAPPER.readValue(r.body(), AgentStatus.class);
        assertEquals(new FakeAgent().status(), back);
    }

    @Test
    void metricsArePrometheusTextAndOtherPathsAndMethodsAreRefused() throws Exception {
        HttpResponse<String> m = get("/metrics", "GET");
        assertEquals(200, m.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", m.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(m.body().contains("edgelink_members 3"));
        assertEquals(404, get("/nope", "GET").statusCode());
        assertEquals(405, get("/status", "POST").statusCode());
        assertEquals(400, get("/ping", "GET").statusCode());
        assertEquals(400, get("/ping?node=node2&count=0", "GET").statusCode());
        assertEquals(400, get("/ping?node=node2&count=21", "GET").statusCode());
        HttpResponse<String> unknown = get("/ping?node=ghost", "GET");
        assertEquals(404, unknown.statusCode());
        assertEquals("no peer named ghost", OperatorJson.MAPPER.readTree(unknown.body()).path("error").asText());
    }

    @Test
    void aRequestThatFailsIsAnswered500AndCountedAndTheServerGoesOn() throws Exception {
        assertEquals(0, tasks.failures(OperatorServer.REQUEST_TASK));
        HttpResponse<String> failed = get("/ping?node=bug", "GET");
        assertEquals(500, failed.statusCode());
        assertTrue(failed.body().contains("a bug in ping"), failed.body());
        assertEquals(1, tasks.failures(OperatorServer.REQUEST_TASK));
        assertEquals(200, get("/status", "GET").statusCode());
    }

    @Test
    void theServerRefusesANonLoopbackAddress() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0);
        assertThrows(IllegalArgumentException.class, () -> OperatorServer.start(any, new FakeAgent(), tasks));
    }

    @Test
    void statusPrintsAHumanTableWithOneLinePerPeer() {
        Run r = run("status", "--agent", address);
        assertEquals(0, r.exit(), r.stdout());
        assertTrue(r.lines().get(0).startsWith("node node1  peer 12D3KooWFake"), r.stdout());
        assertTrue(r.stdout().contains("ipip: unavailable (ipip unavailable on this kernel (EOPNOTSUPP))"));
        String header = r.lines().stream().filter(l -> l.startsWith("PEER")).findFirst().orElseThrow();
        assertTrue(header.matches("PEER +PATH +STATE +RTT +BYTES TX/RX +LAST CHANGE +CONN +WHY"), header);
        String node4 = r.lines().stream().filter(l -> l.startsWith("node4")).findFirst().orElseThrow();
        assertTrue(node4.matches("node4 +relayed +ACTIVE +9\\.50 ms +10/20 +2025-01-02T03:04:05Z +r "
                + "+relayed: hole punch failed 3/3, site-b NAT is symmetric"), node4);
        assertTrue(r.stdout().contains("site site-a  reachability NAT_PORT_PRESERVING"), r.stdout());
        assertTrue(r.lines().contains("  task failures (went on; see the agent's log): dataplane 2"), r.stdout());
        String node2 = r.lines().stream().filter(l -> l.startsWith("node2")).findFirst().orElseThrow();
        assertTrue(node2.matches("node2 +hostgw +ACTIVE +0\\.13 ms +- +2025-01-02T03:04:05Z "
                + "+d +hostgw: peer 10\\.0\\.0\\.2 shares 10\\.0\\.0\\.0/24"), node2);
        String node3 = r.lines().stream().filter(l -> l.startsWith("node3")).findFirst().orElseThrow();
        assertTrue(node3.matches("node3 +\\(vxlan\\) +SEARCHING +- .*trying vxlan"), node3);
        int node5 = r.lines().indexOf(r.lines().stream().filter(l -> l.startsWith("node5")).findFirst().orElseThrow());
        assertEquals("  refused 10.1.0.0/24: would replace route 10.1.0.0/24 dev eth0 proto kernel",
                r.lines().get(node5 + 1));
        int evil = r.lines().indexOf(r.lines().stream().filter(l -> l.startsWith("evil")).findFirst().orElseThrow());
        assertTrue(r.lines().get(evil).matches("evil +- +REFUSED +- .*every pod CIDR refused: no route, no probe"),
                r.lines().get(evil));
        assertEquals("  refused 128.0.0.0/1: outside clusterCidr 10.244.0.0/16", r.lines().get(evil + 1));
    }

    @Test
    void statusOfAnAgentWithoutRefusedCidrsReadsAsEmpty() throws Exception {
        String older = "{\"node\":" + OperatorJson.MAPPER.writeValueAsString(new FakeAgent().status().node())
                + ",\"peers\":[{\"node\":\"node2\",\"podCidrs\":[],\"underlay\":[],\"state\":\"NEW\","
                + "\"lastChange\":\"2025-01-02T03:04:05Z\"}]}";
        AgentStatus read = OperatorJson.MAPPER.readValue(older, AgentStatus.class);
        assertEquals(List.of(), read.peers().get(0).refusedCidrs());
    }

    @Test
    void statusJsonPrintsWhatTheAgentAnswered() throws Exception {
        Run r = run("status", "--json", "--agent", address);
        assertEquals(0, r.exit());
        assertEquals("node2", OperatorJson.MAPPER.readTree(r.stdout()).at("/peers/0/node").asText());
    }

    @Test
    void pingSaysWhichPathAndExitsZeroWhenAnyProbeWasAnswered() throws Exception {
        Run r = run("ping", "node2", "--agent", address);
        assertEquals(0, r.exit(), r.stdout());
        assertEquals("PING node2 (10.244.2.0) over the pod network, path hostgw", r.lines().get(0));
        assertEquals("  seq=1 rtt=0.200 ms", r.lines().get(1));
        assertTrue(r.lines().get(2).startsWith("  seq=2 lost: no echo"), r.stdout());
        assertEquals("2/3 answered via hostgw", r.lines().get(4));
        Run json = run("ping", "node2", "--count", "1", "--json", "--agent", address);
        JsonNode report = OperatorJson.MAPPER.readTree(json.stdout());
        assertEquals("hostgw", report.path("path").asText());
        assertTrue(report.path("ok").asBoolean());
        assertEquals(1, report.path("received").asInt());
    }

    @Test
    void pingOfAnUnknownNodeOrAnAbsentAgentFailsWithTheReason() {
        Run unknown = run("ping", "ghost", "--agent", address);
        assertEquals(1, unknown.exit());
        assertTrue(unknown.stdout().contains("no peer named ghost"), unknown.stdout());
        server.close();
        Run absent = run("status", "--agent", address);
        assertEquals(1, absent.exit());
        assertTrue(absent.stdout().contains("cannot reach the agent at " + address), absent.stdout());
    }

    @Test
    void badUsageExitsTwo() {
        assertEquals(2, run("status", "--agent", "10.1.2.3:9473").exit());
        assertEquals(2, run("status", "--bogus").exit());
        assertEquals(2, run("ping").exit());
        assertEquals(2, run("frobnicate").exit());
        assertEquals(2, run().exit());
        assertEquals(2, run("agent").exit());
        assertEquals(2, run("agent", "--config", "/nonexistent/edgelink.yaml").exit());
    }
}
