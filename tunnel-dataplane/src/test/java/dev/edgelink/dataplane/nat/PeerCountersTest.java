package dev.edgelink.dataplane.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.netlink.IpPrefix;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure parts of {@link PeerCounters}: names, the transaction, parsing nft's JSON. */
class PeerCountersTest {

    @Test
    void counterNamesAreNftIdentifiersAndDistinctForNamesThatLookAlike() {
        String a = PeerCounters.counterName("tx", "edge-1.site");
        String b = PeerCounters.counterName("tx", "edge_1_site");
        assertTrue(a.matches("tx_edge_1_site_[0-9a-f]{8}"), a);
        assertNotEquals(a, b);
        String longName = "n".repeat(253);
        assertTrue(PeerCounters.counterName("rx", longName).length() <= 3 + 40 + 9, "bounded length");
    }

    @Test
    void theTransactionKeepsCountersDeletesDepartedOnesAndRefillsMapsAndChains() {
        Map<String, List<IpPrefix>> peers = new LinkedHashMap<>();
        peers.put("node2", List.of(IpPrefix.parse("10.244.2.0/24")));
        String tx2 = PeerCounters.counterName("tx", "node2");
        String gone = PeerCounters.counterName("tx", "node9");
        String r = PeerCounters.ruleset(peers, Set.of(tx2, gone));
        assertTrue(r.startsWith("table ip edgelink_peers {\n    counter " + tx2 + " { }\n"), r);
        assertTrue(r.contains("flush map ip edgelink_peers tx\nflush map ip edgelink_peers rx\n"), r);
        assertTrue(r.contains("delete counter ip edgelink_peers " + gone + "\n"), r);
        assertFalse(r.contains("delete counter ip edgelink_peers " + tx2), r);
        assertTrue(r.contains("add element ip edgelink_peers tx { 10.244.2.0/24 : \"" + tx2 + "\" }\n"), r);
        assertTrue(r.indexOf("flush map") < r.indexOf("delete counter"), "unreference before deleting");
        assertEquals(PeerCounters.RULES, r.lines().filter(l -> l.startsWith("add rule")).count());
        for (String chain : List.of("count_output", "count_input")) {
            int skip = r.indexOf("add rule ip edgelink_peers " + chain + " udp sport 8473 return\n");
            assertTrue(skip >= 0 && r.contains("add rule ip edgelink_peers " + chain + " udp dport 8473 return\n"), r);
            assertTrue(skip < r.indexOf("add rule ip edgelink_peers " + chain + " counter"),
                    "probes are passed over before " + chain + " counts");
        }
        assertFalse(PeerCounters.ruleset(Map.of(), Set.of()).contains("add element"), "no empty element list");
    }

    @Test
    void parsesCountersMapElementsAndRulesOfOurTableOnly() {
        String tx = PeerCounters.counterName("tx", "node2");
        String rx = PeerCounters.counterName("rx", "node2");
        String json = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}},"
                + "{\"table\": {\"family\": \"ip\", \"name\": \"edgelink_peers\", \"handle\": 1}},"
                + "{\"counter\": {\"family\": \"ip\", \"name\": \"" + tx + "\", \"table\": \"edgelink_peers\","
                + " \"handle\": 2, \"packets\": 3, \"bytes\": 384}},"
                + "{\"counter\": {\"family\": \"ip\", \"name\": \"" + rx + "\", \"table\": \"edgelink_peers\","
                + " \"handle\": 3, \"packets\": 4, \"bytes\": 512}},"
                + "{\"counter\": {\"family\": \"ip\", \"name\": \"x\", \"table\": \"other\", \"packets\": 1,"
                + " \"bytes\": 1}},"
                + "{\"map\": {\"family\": \"ip\", \"name\": \"tx\", \"table\": \"edgelink_peers\", \"elem\": [[{"
                + "\"prefix\": {\"addr\": \"10.244.2.0\", \"len\": 24}}, \"" + tx + "\"]]}},"
                + "{\"map\": {\"family\": \"ip\", \"name\": \"rx\", \"table\": \"edgelink_peers\", \"elem\": [[{"
                + "\"prefix\": {\"addr\": \"10.244.2.0\", \"len\": 24}}, \"" + rx + "\"]]}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_forward\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_forward\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_output\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_output\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_output\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_input\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_input\"}},"
                + "{\"rule\": {\"table\": \"edgelink_peers\", \"chain\": \"count_input\"}}]}";
        PeerCounters.Snapshot s = PeerCounters.parse(json);
        assertEquals(Set.of(tx, rx), s.counters().keySet());
        assertEquals(new PeerCounters.Traffic(384, 3, 512, 4), PeerCounters.traffic(s, Set.of("node2")).get("node2"));
        assertTrue(PeerCounters.matches(s, Map.of("node2", List.of(IpPrefix.parse("10.244.2.0/24")))));
        assertFalse(PeerCounters.matches(s, Map.of("node2", List.of(IpPrefix.parse("10.244.2.0/24"),
                IpPrefix.parse("10.245.2.0/24")))), "a missing element");
        assertFalse(PeerCounters.matches(s, Map.of()), "a departed peer");
        assertThrows(NftException.class, () -> PeerCounters.parse("not json"));
    }
}
