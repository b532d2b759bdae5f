package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Counting the agent's kernel objects from iproute2's output. */
class KernelCountsTest {
    private static final String ROUTES = """
            default via 172.20.0.254 dev eth0
            10.128.1.0 via 172.22.4.1 dev edgelink.ipip proto 69 onlink
            10.128.2.0 via 10.128.2.0 dev edgelink.vxlan proto 69 onlink
            10.128.10.0/24 via 172.20.4.10 dev eth0 proto 69
            172.20.0.0/16 dev eth0 proto kernel scope link src 172.20.0.1
            """;
    private static final String NEIGH = """
            172.20.4.10 dev eth0 lladdr 3a:8e:29:0d:1c:55 REACHABLE
            10.128.2.0 dev edgelink.vxlan lladdr 02:ed:00:00:00:02 PERMANENT
            172.20.0.254 dev eth0 lladdr 6e:11:4a:90:aa:01 STALE
            172.20.9.9 dev eth0 FAILED
            """;
    private static final String FDB = "02:ed:00:00:00:02 dst 172.22.4.2 self permanent\n";

    @Test
    void ourRoutesAreSplitIntoPodAndTrialRoutes() {
        KernelCounts k = KernelCounts.of(ROUTES, NEIGH, FDB);
        assertEquals(5, k.routes());
        assertEquals(3, k.ourRoutes());
        assertEquals(1, k.podRoutes());
        assertEquals(2, k.trialRoutes());
        assertEquals(4, k.neighbours());
        assertEquals(Map.of("REACHABLE", 1, "PERMANENT", 1, "STALE", 1, "FAILED", 1), k.neighbourStates());
        assertEquals(1, k.fdb());
    }

    @Test
    void thePeakTakesEachCountOnItsOwn() {
        KernelCounts a = KernelCounts.of(ROUTES, NEIGH, FDB);
        KernelCounts b = KernelCounts.of("10.128.10.0/24 via 172.20.4.10 dev eth0 proto 69\n",
                "10.1.0.1 dev eth0 lladdr 02:00:00:00:00:01 STALE\n10.1.0.2 dev eth0 lladdr 02:00:00:00:00:02 STALE\n",
                "");
        KernelCounts peak = b.max(a);
        assertEquals(5, peak.routes());
        assertEquals(2, peak.trialRoutes());
        assertEquals(Map.of("REACHABLE", 1, "PERMANENT", 1, "STALE", 2, "FAILED", 1), peak.neighbourStates());
        assertEquals(1, peak.fdb());
        assertEquals(a, a.max(null));
    }
}
