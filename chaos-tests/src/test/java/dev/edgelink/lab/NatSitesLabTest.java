package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    void oneLanHostCanGetItsOwnFullyRandomMappingWhileTheOthersKeepTheirPorts(Lab lab) {
        Topologies.Sites s = Topologies.sites(lab, NatMode.PRESERVE, NatMode.PRESERVE);
        s.routerA().natModeFor(s.a1().address(), NatMode.FULLY_RANDOM);
        String rules = lab.exec(s.routerA().netns(), "nft", "list", "table", "ip", Router.NAT_TABLE).check()
                .stdout();
        assertTrue(rules.contains("ip saddr 10.1.0.11 masquerade fully-random"), rules);
        assertEquals(NatMode.FULLY_RANDOM, s.routerA().natModeOf("10.1.0.11"));
        assertEquals(NatMode.PRESERVE, s.routerA().natModeOf("10.1.0.12"));

        LabProcess server = s.cloud().spawn("listener", "sh", "-c", "sleep 30 | busybox nc -ll -p 7001 -e cat");
        Wait.until("listener on 7001", Duration.ofSeconds(5),
                () -> s.cloud().exec("ss", "-Htln", "sport", "= :7001").stdout().contains("7001"));
        // a2 (port-preserving) keeps its source port; a1 (fully random) almost surely gets another one
        int[] a2 = mapping(s, s.a2());
        assertEquals(a2[0], a2[1], "a2 keeps its source port");
        int[] a1 = mapping(s, s.a1());
        assertTrue(a1[0] != a1[1], "a1's source port is replaced by a random one: " + a1[0] + " -> " + a1[1]);

        s.routerA().natModeFor(s.a1().address(), null);
        int[] back = mapping(s, s.a1());
        assertEquals(back[0], back[1], "a1 back on the router's mode keeps its port");
        server.kill();
    }

    /** {source port, mapped port} of a TCP connection from {@code host} to the cloud, read from a-rtr's conntrack. */
    private static int[] mapping(Topologies.Sites s, Node host) {
        LabProcess client = host.spawn("client", "sh", "-c", "sleep 20 | busybox nc 198.18.0.3 7001");
        Pattern entry = Pattern.compile("src=" + Pattern.quote(host.address()) + " dst=198\\.18\\.0\\.3 sport=(\\d+) "
                + "dport=7001 .*src=198\\.18\\.0\\.3 dst=198\\.18\\.0\\.1 sport=7001 dport=(\\d+)");
        try {
            return Wait.forValue("the conntrack entry of " + host.name() + " -> cloud:7001", Duration.ofSeconds(5),
                    () -> {
                    String out = s.routerA().exec("conntrack", "-L", "-p", "tcp", "--dport", "7001").stdout();
                    Matcher m = entry.matcher(out);
                    return m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))}
                            : null;
                });
        } finally {
            client.kill();
            client.awaitExit(Duration.ofSeconds(5));
            s.routerA().exec("conntrack", "-F");
        }
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
}
