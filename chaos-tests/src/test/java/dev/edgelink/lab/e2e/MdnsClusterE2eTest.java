package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.lab.Lab;
import dev.edgelink.lab.Node;
import dev.edgelink.lab.Segment;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two agents on one segment with {@code mdnsInterfaces: [eth0]} and no bootstrap peer: they find each other by
 * mDNS alone, join each other's membership, and install hostgw routes to each other's pod CIDR.
 */
@Timeout(180)
class MdnsClusterE2eTest {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    @Test
    void agentsWithMdnsAndNoBootstrapFindEachOtherAndRouteTheirPods() throws IOException {
        Lab lab = Lab.open();
        EdgelinkCluster cluster = null;
        try {
            Segment lan = lab.segment("lan", "10.1.0.0/24");
            Node n1 = lab.node("n1");
            n1.attach(lan, "10.1.0.11");
            Node n2 = lab.node("n2");
            n2.attach(lan, "10.1.0.12");
            cluster = EdgelinkCluster.create(lab, List.of(n1, n2), EdgelinkCluster.runningClasspath())
                    .withoutBootstrap().config("mdnsInterfaces", "[eth0]").config("underlay", "{interface: eth0}");
            cluster.startAll();
            cluster.awaitPath(cluster.member(n1), "n2", "hostgw", CONVERGE);
            cluster.awaitPath(cluster.member(n2), "n1", "hostgw", CONVERGE);
            String toN2 = n1.exec("ip", "route", "show", cluster.member(n2).podCidr()).check().stdout();
            assertTrue(toN2.contains("via 10.1.0.12"), "n1's route to n2's pods: " + toN2);
            String toN1 = n2.exec("ip", "route", "show", cluster.member(n1).podCidr()).check().stdout();
            assertTrue(toN1.contains("via 10.1.0.11"), "n2's route to n1's pods: " + toN1);
            String config = Files.readString(cluster.member(n2).configFile());
            assertTrue(!config.contains("bootstrapPeers") && config.contains("mdnsInterfaces"),
                    "n2 had no bootstrap peer: " + config);
            for (Node n : List.of(n1, n2)) {
                String log = cluster.member(n).agent().orElseThrow().stderr();
                assertTrue(log.contains("peer discovered"), n.name() + " found its peer by mDNS: " + log);
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            } else {
                lab.close();
            }
        }
    }
}
