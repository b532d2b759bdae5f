package dev.edgelink.lab.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.agent.config.AgentConfig;
import dev.edgelink.agent.config.ConfigLoader;
import dev.edgelink.agent.config.TunnelMode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scale run's address plan, and that the agent's own loader takes the config it writes for N peers. */
class ScaleFleetTest {

    @Test
    void theAgentLoadsTheConfigWithEveryPeerAsWritten() {
        ScaleFleet fleet = new ScaleFleet(1000, 10);
        AgentConfig c = new ConfigLoader(() -> "host").parse(fleet.agentConfig(Path.of("/tmp/s"),
                Path.of("/tmp/c.sock")));
        assertEquals(ScaleFleet.AGENT_NAME, c.nodeName());
        assertEquals(TunnelMode.AUTO, c.tunnelMode());
        assertTrue(c.trust().insecure());
        assertEquals(1000, c.staticPeers().size());
        AgentConfig.StaticPeerConfig last = c.staticPeers().get(999);
        assertEquals("p01000", last.nodeName());
        assertEquals("10.131.232.0/24", last.podCidr().toString());
        assertEquals("172.20.7.232", last.underlay().getHostAddress());
        assertEquals("02:ed:00:00:03:e8", last.vtepMac().orElseThrow().toString());
    }

    @Test
    void theAnsweredShareIsSpreadOverTheListAndLivesOnTheAgentsSegment() {
        ScaleFleet fleet = new ScaleFleet(1000, 10);
        List<ScaleFleet.Peer> answered = fleet.answered();
        assertEquals(100, answered.size());
        assertEquals(List.of(10, 20, 30), answered.subList(0, 3).stream().map(ScaleFleet.Peer::index).toList());
        assertTrue(answered.stream().allMatch(p -> p.underlay().startsWith("172.20.")));
        assertTrue(fleet.all().stream().filter(p -> !p.answered()).allMatch(p -> p.underlay().startsWith("172.22.")));
        assertEquals(15, new ScaleFleet(100, 15).answered().size());
        assertEquals(0, new ScaleFleet(100, 0).answered().size());
        assertEquals(7, new ScaleFleet(7, 100).answered().size());
    }

    @Test
    void addressesAreUniqueAndClearOfTheLabsOwnUpToTheLargestFleet() {
        ScaleFleet fleet = new ScaleFleet(ScaleFleet.MAX_PEERS, 50);
        Set<String> seen = new HashSet<>(Set.of(ScaleFleet.AGENT_UNDERLAY, ScaleFleet.RESPONDER_UNDERLAY,
                ScaleFleet.ROUTER_LAN, "10.128.0.0"));
        for (ScaleFleet.Peer p : fleet.all()) {
            assertTrue(seen.add(p.underlay()), p.underlay());
            assertTrue(seen.add(p.tunnelAddress()), p.tunnelAddress());
            assertTrue(seen.add(p.vtepMac()), p.vtepMac());
        }
        ScaleFleet.Peer last = fleet.peer(ScaleFleet.MAX_PEERS);
        assertEquals("10.245.48.0/24", last.podCidr());
        assertFalse(last.underlay().endsWith(".255"));
        assertThrows(IllegalArgumentException.class, () -> new ScaleFleet(ScaleFleet.MAX_PEERS + 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new ScaleFleet(10, 101));
    }

    @Test
    void theResponderHoldsEachAnsweredPeersUnderlayAndTunnelAddress() {
        assertEquals(List.of("address add 172.20.4.10/16 dev eth0", "address add 10.128.10.0/32 dev eth0",
                "address add 172.20.4.20/16 dev eth0", "address add 10.128.20.0/32 dev eth0"),
                new ScaleFleet(20, 10).responderAddresses("eth0"));
    }
}
