package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The issue 4 topology: two NAT'd sites and a public cloud node. */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(120)
class NatSitesLabTest {
    @Test
    void lanNodesGoOutMasqueradedAndNothingComesInUnsolicited(Lab lab) {
        long t0 = System.nanoTime();
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        System.out.printf("lab %s: issue 4 topology (10 namespaces) built in %d ms%n", lab.id(),
                (System.nanoTime() - t0) / 1_000_000);
        for (Node n : s.nodes()) {
            assertTrue(n == s.cloud() || n.ping(s.cloud().address()), n + " -> cloud");
        }
        assertTrue(s.a1().ping(s.a2().address()), "same-site LAN");
        assertFalse(s.b1().ping(s.a1().address()), "a private address across sites");
        assertFalse(s.cloud().ping(s.a1().address()), "a private address from the cloud");

        // busybox nc closes the connection at the end of its stdin: both ends read from a sleep
        LabProcess server = s.cloud().spawn("listener", "sh", "-c", "sleep 30 | busybox nc -l -p 7001");
        Wait.until("listener on 7001", Duration.ofSeconds(5),
                () -> s.cloud().exec("ss", "-Htln", "sport", "= :7001").stdout().contains("7001"));
        LabProcess client = s.a1().spawn("client", "sh", "-c", "sleep 30 | busybox nc 198.18.0.3 7001");
        String seen = Wait.forValue("the connection at the cloud; client" + client.tails() + "\nserver"
                + server.tails(), Duration.ofSeconds(5), () -> {
            String out = s.cloud().exec("ss", "-Htn", "state", "established", "sport", "= :7001").stdout();
            return out.isBlank() ? null : out;
        });
        // busybox nc listens dual-stack: the peer shows as [::ffff:198.18.0.1]:port
        assertTrue(seen.matches("(?s).*198\\.18\\.0\\.1\\]?:\\d+.*"), "the cloud sees site A's public address: "
                + seen);
        client.kill();
        server.kill();
    }

    @Test
    void natModeSwitchesAtomically(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        s.routerB().natMode(NatMode.FULLY_RANDOM);
        String rules = lab.exec(s.routerB().netns(), "nft", "list", "table", "ip", Router.NAT_TABLE).check()
                .stdout();
        assertTrue(rules.contains("masquerade fully-random"), rules);
        assertEquals(NatMode.FULLY_RANDOM, s.routerB().natMode());
        assertTrue(s.b1().ping(s.cloud().address()));
    }

    @Test
    void oneHostOfASiteGetsItsOwnNatMode(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        s.routerB().hostNatMode(s.b2().address(), NatMode.FULLY_RANDOM);
        assertEquals(NatMode.FULLY_RANDOM, s.routerB().natMode(s.b2().address()));
        assertEquals(NatMode.PRESERVE, s.routerB().natMode(s.b1().address()));
        assertEquals(NatMode.PRESERVE, s.routerB().natMode());

        // both connect to the cloud from local port 40001: b1's port is kept, b2's is replaced by a random one
        // (fully-random picks 40001 again about once in 64000 runs)
        String b1 = seenAtCloud(s, s.b1(), 7001);
        assertTrue(b1.contains("198.18.0.2]:40001"), "b1 keeps its port: " + b1);
        String b2 = seenAtCloud(s, s.b2(), 7002);
        assertTrue(b2.matches("(?s).*198\\.18\\.0\\.2\\]:\\d+.*") && !b2.contains("]:40001"),
                "b2 goes out on a random port: " + b2);

        s.routerB().hostNatMode(s.b2().address(), null);
        assertEquals(NatMode.PRESERVE, s.routerB().natMode(s.b2().address()));
        String rules = lab.exec(s.routerB().netns(), "nft", "list", "table", "ip", Router.NAT_TABLE).check()
                .stdout();
        assertFalse(rules.contains("fully-random"), rules);
        assertTrue(s.b2().ping(s.cloud().address()));
    }

    /** Connects from {@code node}:40001 to the cloud's {@code port}; the peer address the cloud's socket shows. */
    private static String seenAtCloud(Topologies.Sites s, Node node, int port) {
        String p = Integer.toString(port);
        LabProcess server = s.cloud().spawn("listener-" + p, "sh", "-c", "sleep 30 | busybox nc -l -p " + p);
        Wait.until("listener on " + p, Duration.ofSeconds(5),
                () -> s.cloud().exec("ss", "-Htln", "sport", "= :" + p).stdout().contains(p));
        // busybox nc ignores -p when it connects: python binds the local port
        LabProcess client = node.spawn("client-" + p, "python3", "-c", "import socket, time\n"
                + "s = socket.socket()\ns.bind(('', 40001))\ns.connect(('198.18.0.3', " + p + "))\ntime.sleep(30)\n");
        String seen = Wait.forValue("the connection at the cloud on " + p, Duration.ofSeconds(5), () -> {
            String out = s.cloud().exec("ss", "-Htn", "state", "established", "sport", "= :" + p).stdout();
            return out.isBlank() ? null : out;
        });
        client.kill();
        server.kill();
        return seen;
    }

    @Test
    void blockingTheOtherSitesPublicAddressOnARouterCutsOnlyThatAndHeals(Lab lab) {
        Topologies.SitesTwoRelays t = Topologies.sitesTwoRelays(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        Topologies.Sites s = t.sites();
        assertEquals(6, t.nodes().size());
        for (Node n : List.of(s.a1(), s.b1(), s.cloud())) {
            assertTrue(n.ping("198.18.0.4"), n + " -> relay2");
        }
        assertTrue(s.a1().ping("198.18.0.2"), "site A reaches site B's public address");
        Fault cut = s.routerA().blockAddress("198.18.0.2");
        assertFalse(s.a1().ping("198.18.0.2"), "cut from the LAN (forwarded)");
        assertFalse(s.routerA().ping("198.18.0.2"), "cut from the router itself");
        assertFalse(s.routerB().ping("198.18.0.1"), "cut towards the router");
        assertTrue(s.a1().ping("198.18.0.3") && s.a1().ping("198.18.0.4"), "the relays stay reachable");
        cut.remove();
        assertTrue(s.a1().ping("198.18.0.2"), "healed");
        assertFalse(cut.active());
    }

    @Test
    void aFleetsSiteNodesShareTheirLanAndReachTheCloudButNotTheOtherSite(Lab lab) {
        Topologies.Fleet f = Topologies.fleet(lab, 3, 2, NatMode.PRESERVE, NatMode.PRESERVE);
        assertEquals(List.of("cloud1", "cloud2", "a-n1", "a-n2", "a-n3", "b-n1", "b-n2", "b-n3"),
                f.nodes().stream().map(Node::name).toList());
        assertEquals("10.2.0.13", f.siteB().get(2).address());
        assertEquals("198.18.0.4", f.cloud().get(1).address());
        for (Node n : f.siteNodes()) {
            for (Node c : f.cloud()) {
                assertTrue(n.ping(c.address()), n + " -> " + c);
            }
        }
        assertTrue(f.siteA().get(0).ping(f.siteA().get(2).address()), "same-site LAN");
        assertFalse(f.siteB().get(0).ping(f.siteA().get(0).address()), "a private address across sites");
        assertFalse(f.cloud().get(0).ping(f.siteB().get(1).address()), "a private address from the cloud");
        assertTrue(f.cloud().get(0).ping(f.cloud().get(1).address()), "cloud to cloud");
    }
}
