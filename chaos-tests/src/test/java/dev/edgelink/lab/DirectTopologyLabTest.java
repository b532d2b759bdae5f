package dev.edgelink.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The issue 3 topology: two nodes on a segment and a third behind a router, all directly reachable. */
@Tag("lab")
@ExtendWith(LabExtension.class)
@Timeout(120)
class DirectTopologyLabTest {
    @Test
    void everyNodeReachesEveryOtherNode(Lab lab) {
        long t0 = System.nanoTime();
        Topologies.Direct t = Topologies.direct(lab);
        System.out.printf("lab %s: issue 3 topology (6 namespaces) built in %d ms%n", lab.id(),
                (System.nanoTime() - t0) / 1_000_000);
        List<String> failed = new ArrayList<>();
        for (Node from : t.nodes()) {
            for (Node to : t.nodes()) {
                if (from != to && !from.ping(to.address())) {
                    failed.add(from.name() + " -> " + to.name() + " (" + to.address() + ")");
                }
            }
        }
        assertEquals(List.of(), failed, "pairs that could not ping");
    }

    @Test
    void namesCarryTheRunPrefixAndBridgesBypassTheFirewall(Lab lab) {
        Topologies.Direct t = Topologies.direct(lab);
        for (String ns : lab.namespaces()) {
            assertTrue(ns.matches("el-[0-9a-f]{6}-[a-z0-9-]+") && ns.startsWith(lab.prefix()), ns);
        }
        for (Segment s : List.of(t.lan(), t.far())) {
            String v = lab.exec(s.netns(), "sysctl", "-n", "net.bridge.bridge-nf-call-iptables").check().stdout();
            assertEquals("0", v.trim(), "bridge-nf-call-iptables in " + s);
        }
        assertEquals("1", lab.exec(t.router().netns(), "sysctl", "-n", "net.ipv4.ip_forward").check().stdout()
                .trim());
        // the host's interfaces are not the lab's: nothing of ours shows up there
        String hostLinks = Commands.run(List.of("ip", "-br", "link")).check().stdout();
        assertTrue(!hostLinks.contains(lab.prefix()) && !hostLinks.matches("(?s).*\\bp[0-9]+@.*"), hostLinks);
    }

    @Test
    void execReportsExitCodeOutputAndTimeout(Lab lab) {
        Node n = lab.node("n");
        ExecResult r = n.exec("sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, r.exitCode());
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        ExecResult slow = n.exec(java.time.Duration.ofMillis(300), "sleep", "30");
        assertTrue(slow.timedOut() && !slow.ok(), slow.describe());
        LabProcess p = n.spawn("talker", "sh", "-c", "echo ready; exec sleep 300");
        p.awaitOutput("^ready$", java.time.Duration.ofSeconds(5));
        assertTrue(p.alive());
    }
}
