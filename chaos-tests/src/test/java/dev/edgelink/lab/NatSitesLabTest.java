package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
}
