package dev.edgelink.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 100 nodes on loopback, about 8 connections each, nobody dialing members: a changed record reaches every node
 * well within 10 s, and an idle fleet stays far below 10 KB/s of members traffic per node.
 */
class MembershipScaleSimTest {

    static {
        // Thousands of "member joined" lines while the views are seeded say nothing here.
        System.setProperty("org.slf4j.simpleLogger.log.dev.edgelink.discovery.internal.store.InMemoryMembershipStore",
                "warn");
    }

    private static final int NODES = 100;

    @Test
    void aChangeReachesAHundredNodesInSecondsAndIdleCostsLittle() throws Exception {
        try (MembershipScaleSim sim = MembershipScaleSim.start(MembershipScaleSim.Settings.defaults(NODES))) {
            sim.seedViews();
            sim.connect();
            double[] c = sim.connectionsPerNode();
            assertTrue(c[0] >= 2, "a node with " + c[0] + " connections");
            assertTrue(sim.inStep(), "seeded views differ");
            MembershipScaleSim.IdleCost idle = sim.idle(Duration.ofSeconds(10));
            System.out.printf("%d nodes (connections per node %.0f..%.0f, avg %.1f) idle %.1f s with %d refreshes: "
                    + "members frames %.0f B/s per node, TCP payload %.0f B/s per node, %.2f exchanges/s per node%n",
                    NODES, c[0], c[2], c[1], idle.seconds(), idle.refreshes(), idle.membersBytesPerNodePerSecond(),
                    idle.tcpBytesPerNodePerSecond(), idle.exchangesPerNodePerSecond());
            assertTrue(idle.exchangesPerNodePerSecond() > 0.5, "the fleet did not gossip: " + idle);
            assertTrue(idle.membersBytesPerNodePerSecond() < 2_000, "idle: " + idle);
            if (idle.tcpBytesPerNodePerSecond() >= 0) {
                assertTrue(idle.tcpBytesPerNodePerSecond() < 10_000, "idle on the wire: " + idle);
            }
            List<Long> millis = new ArrayList<>();
            Random random = new Random(5);
            for (int i = 0; i < 5; i++) {
                sim.settle(Duration.ofSeconds(30));
                long pushes = pushesStarted(sim);
                Duration d = sim.propagate(random.nextInt(NODES), Duration.ofSeconds(30));
                assertNotNull(d, "change " + i + " did not reach every node within 30 s");
                millis.add(d.toMillis());
                // Each node spreads a change once, to the fanout at most (refreshes are not pushed).
                long spread = settledPushes(sim) - pushes;
                assertTrue(spread <= (long) MembershipConfig.DEFAULT_PUSH_FANOUT * NODES, spread + " pushes");
                assertTrue(spread >= NODES / 2, "the change was hardly pushed: " + spread + " pushes");
            }
            System.out.printf("a changed record known to all %d nodes after (ms): %s%n", NODES, millis);
            millis.forEach(ms -> assertTrue(ms < 10_000, "took " + ms + " ms: " + millis));
            assertEquals(NODES, sim.nodes().get(0).store().members().size());
        }
    }

    /** {@link #pushesStarted} once the pushes still running have ended (two readings 300 ms apart agree). */
    private static long settledPushes(MembershipScaleSim sim) throws InterruptedException {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            long now = pushesStarted(sim);
            if (now == last) {
                return now;
            }
            last = now;
            Thread.sleep(300);
        }
        return last;
    }

    /** Pushes the fleet started (each is counted at both ends). */
    private static long pushesStarted(MembershipScaleSim sim) {
        return sim.nodes().stream().mapToLong(n -> n.service().stats().pushes()).sum() / 2;
    }
}
