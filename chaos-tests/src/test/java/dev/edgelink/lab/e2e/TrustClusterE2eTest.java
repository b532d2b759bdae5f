package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgelink.lab.Lab;
import dev.edgelink.lab.LabProcess;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Topologies;
import dev.edgelink.lab.Wait;
import dev.edgelink.libp2p.peer.PeerId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Issue 9 end to end: the cluster CA decides who is a node and what it owns. Real agents on {@link Topologies#direct}
 * (n1 with the relay role, n2, n3), each with a certificate from the lab's CA; a fourth agent, nc, holds no
 * certificate (it runs in the insecure mode); attackers on the LAN ({@link RogueMember}) hold valid certificates
 * and lie in their records. Every attack must fail: no route, no membership, no relay service. The last test
 * revokes n3 at n1 only and measures how long until n3 is gone from every other node's view and kernel.
 */
@Tag("lab")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class TrustClusterE2eTest {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    /** Long enough for a record to reach everyone many times over (gossip every 500 ms). */
    private static final Duration SPREAD = Duration.ofSeconds(6);

    private Lab lab;
    private EdgelinkCluster cluster;
    private Topologies.Direct t;
    private Node rogueHost;
    private Node plain;
    private final List<LabProcess> rogues = new ArrayList<>();

    @BeforeAll
    void startCluster() {
        lab = Lab.open();
        try {
            t = Topologies.direct(lab);
            rogueHost = lab.node("rg");
            rogueHost.attach(t.lan(), "10.1.0.19");
            rogueHost.defaultRoute("10.1.0.1");
            plain = lab.node("nc");
            plain.attach(t.lan(), "10.1.0.14");
            plain.defaultRoute("10.1.0.1");
            List<Node> nodes = new ArrayList<>(t.nodes());
            nodes.add(plain);
            cluster = EdgelinkCluster.create(lab, nodes, EdgelinkCluster.runningClasspath());
            cluster.member(t.n1()).config("relay", "{server: true}");
            // A node with the swarm key and no certificate: its agent runs (it trusts everyone), nobody trusts it.
            cluster.member(plain).config("trust", "{insecure: true}");
            cluster.startAll();
            cluster.awaitPath(cluster.member(t.n1()), "n2", "hostgw", CONVERGE);
            cluster.awaitPath(cluster.member(t.n2()), "n3", "vxlan", CONVERGE);
            cluster.awaitPath(cluster.member(t.n3()), "n1", "vxlan", CONVERGE);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    void tearDown() {
        ClusterLifecycle.tearDown(lab, cluster);
    }

    private List<EdgelinkCluster.Member> certified() {
        return List.of(cluster.member(t.n1()), cluster.member(t.n2()), cluster.member(t.n3()));
    }

    /**
     * Starts an attacker on the rogue host; its key is made here so that the CA can sign for it.
     *
     * @param certifiedCidr what its certificate grants; null for no certificate
     */
    private LabProcess rogue(String name, String certifiedCidr, List<String> announced, long clockOffsetMs) {
        Path dir = lab.dir().resolve("rogue-" + name);
        PeerId peer = LabCa.peerOf(dir.resolve("node.key"));
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", cluster.classpath(),
                RogueMember.class.getName(), "--key", dir.resolve("node.key").toString(), "--name", name,
                "--underlay", "10.1.0.19", "--listen", "/ip4/10.1.0.19/tcp/" + (4100 + rogues.size()),
                "--bootstrap", cluster.member(t.n1()).multiaddr(), "--clock-offset-ms", Long.toString(clockOffsetMs)));
        if (certifiedCidr != null) {
            Path cert = dir.resolve("node.crt");
            cluster.ca().signTo(cert, name, peer, List.of(certifiedCidr), "", false);
            cmd.addAll(List.of("--cert", cert.toString()));
        }
        for (String c : announced) {
            cmd.add("--pod-cidr");
            cmd.add(c);
        }
        LabProcess p = rogueHost.spawn("rogue-" + name, cmd.toArray(String[]::new));
        p.awaitOutput("rogue started peer=", Duration.ofSeconds(30));
        rogues.add(p);
        return p;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static long rejected(JsonNode status, String reason) {
        return status.at("/trust/rejectedRecords/" + reason).asLong(0);
    }

    @Test
    @Order(1)
    void everyCertifiedNodeRunsWithTheCaAndTheUncertifiedOneIsNobodysMember() {
        for (EdgelinkCluster.Member m : certified()) {
            JsonNode s = cluster.status(m);
            assertEquals("ca", s.at("/trust/mode").asText(), m.name() + ": " + s.at("/trust"));
            assertFalse(s.at("/trust/certificate").asText().isEmpty());
            Wait.until(m.name() + " counts nc's records as uncertified", SPREAD,
                    () -> rejected(cluster.status(m), "NO_CERTIFICATE") > 0);
            assertTrue(EdgelinkCluster.peer(cluster.status(m), "nc").isEmpty(), m.name() + " lists nc as a peer");
            assertTrue(m.node().exec("ip", "route", "show", "10.244.4.0/24").check().stdout().isBlank(),
                    m.name() + " routes nc's pod CIDR");
        }
        JsonNode nc = cluster.status(cluster.member(plain));
        assertEquals("insecure", nc.at("/trust/mode").asText());
        assertEquals(0, nc.at("/node/relayAddrs").size(), "nc got a relay reservation: " + nc.at("/node"));
        assertFalse(cluster.logLines(cluster.member(t.n1()), "hop request refused status=RESERVATION_REFUSED peer="
                + cluster.member(plain).peerId() + " reason=not a member").isEmpty(),
                "n1's relay refused nc's reservation as a non-member");
    }

    @Test
    @Order(2)
    void aValidCertificateForOneCidrGetsNoRouteForAnother() {
        rogue("rogue-steal", "10.244.9.0/24", List.of("10.244.1.0/24"), 0);
        rogue("rogue-wide", "10.244.8.0/24", List.of("10.0.0.0/8"), 0);
        Wait.until("every certified node refused both liars", SPREAD, () -> certified().stream()
                .allMatch(m -> rejected(cluster.status(m), "CERTIFICATE_MISMATCH") >= 2
                        || rejected(cluster.status(m), "CERTIFICATE_MISMATCH") >= 1 && m != cluster.member(t.n1())));
        sleep(SPREAD);
        for (EdgelinkCluster.Member m : certified()) {
            JsonNode s = cluster.status(m);
            assertTrue(EdgelinkCluster.peer(s, "rogue-steal").isEmpty() && EdgelinkCluster.peer(s, "rogue-wide")
                    .isEmpty(), m.name() + " took a liar as a peer");
            assertTrue(m.node().exec("ip", "route", "show", "10.0.0.0/8").check().stdout().isBlank(),
                    m.name() + " routes 10.0.0.0/8");
            assertTrue(m.node().exec("ip", "route", "show", "10.244.9.0/24").check().stdout().isBlank(),
                    m.name() + " routes the liar's granted CIDR although it announced another");
        }
        for (Node n : List.of(t.n2(), t.n3())) {
            String route = n.exec("ip", "route", "show", "10.244.1.0/24").check().stdout();
            assertTrue(route.contains(t.n1().address()) || route.contains("edgelink.vxlan"),
                    n.name() + "'s route to n1's pods moved: " + route);
        }
        assertTrue(cluster.logLines(cluster.member(t.n1()), "CERTIFICATE_MISMATCH").stream()
                .anyMatch(l -> l.contains("are not the certificate's")), "the refusal says what was not granted");
    }

    @Test
    @Order(3)
    void aRecordFromTheFutureIsRefused() {
        // No certificate outlives its CA by ten years, so this one has none: the time is judged first, in every mode.
        long tenYears = Duration.ofDays(3650).toMillis();
        rogue("rogue-future", null, List.of("10.244.7.0/24"), tenYears);
        // The attacker sees every honest record as long expired (its clock is ten years on), so it only ever talks
        // to its bootstrap node, n1; nobody passes a refused record on.
        Wait.until("n1 refused the record from the future", SPREAD,
                () -> rejected(cluster.status(cluster.member(t.n1())), "FROM_THE_FUTURE") >= 1);
        sleep(SPREAD);
        for (EdgelinkCluster.Member m : certified()) {
            assertTrue(EdgelinkCluster.peer(cluster.status(m), "rogue-future").isEmpty(), m.name());
            assertTrue(m.node().exec("ip", "route", "show", "10.244.7.0/24").check().stdout().isBlank(), m.name());
        }
    }

    @Test
    @Order(9)
    void aRevokedNodeDisappearsFromEveryViewAndKernel() {
        rogues.forEach(LabProcess::kill);
        EdgelinkCluster.Member n3 = cluster.member(t.n3());
        List<EdgelinkCluster.Member> others = List.of(cluster.member(t.n1()), cluster.member(t.n2()));
        for (EdgelinkCluster.Member m : others) {
            assertFalse(gone(m), m.name() + " knows n3 before the revocation");
        }
        long t0 = System.nanoTime();
        // Only n1 is given the list; gossip must take it to n2.
        cluster.ca().revoke(dev.edgelink.discovery.trust.NodeCertificate.parse(readAll(n3.certificateFile())),
                cluster.member(t.n1()).revocationFile());
        Duration bound = Duration.ofSeconds(15);
        for (EdgelinkCluster.Member m : others) {
            Wait.until(m.name() + " drops the revoked n3 (status and route)", bound, () -> gone(m));
        }
        long goneMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("revoked n3 left n1's and n2's view and kernels %d ms after the list was written at n1"
                + " (bound %d s)%n", goneMs, bound.toSeconds());
        for (EdgelinkCluster.Member m : others) {
            JsonNode s = cluster.status(m);
            assertTrue(s.at("/trust/revocations").toString().contains("sequence 1"), m.name() + ": " + s.at("/trust"));
        }
        Wait.until("n3 is disconnected from every certified node", bound, () -> {
            JsonNode s = cluster.status(n3);
            return EdgelinkCluster.peer(s, "n1").map(p -> p.at("/links/direct").asText("").isEmpty()).orElse(true)
                    && EdgelinkCluster.peer(s, "n2").map(p -> p.at("/links/direct").asText("").isEmpty())
                    .orElse(true);
        });
    }

    private boolean gone(EdgelinkCluster.Member m) {
        return EdgelinkCluster.peer(cluster.status(m), "n3").isEmpty()
                && m.node().exec("ip", "route", "show", "10.244.3.0/24").check().stdout().isBlank();
    }

    private static byte[] readAll(Path p) {
        try {
            return java.nio.file.Files.readAllBytes(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
