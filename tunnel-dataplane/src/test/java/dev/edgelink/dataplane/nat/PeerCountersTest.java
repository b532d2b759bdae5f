package dev.edgelink.dataplane.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.net.IpPrefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pure parts of {@link PeerCounters} (names, the transaction, parsing nft's JSON), and how it runs nft, with a
 * shell script standing in for nft.
 */
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

    @TempDir
    Path dir;

    @Test
    void aListingLargerThanAPipeBufferIsReadWhileNftRuns() {
        // 5000 counters, 1.1 MB: nft blocks on a full pipe until someone reads it
        String script = "printf '{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}'; i=0; "
                + "while [ $i -lt 5000 ]; do i=$((i+1)); printf ', {\"counter\": {\"family\": \"ip\", "
                + "\"name\": \"tx_peer%d_0000abcd\", \"table\": \"edgelink_peers\", \"handle\": %d, "
                + "\"packets\": %d, \"bytes\": %d}}' $i $i $i $((i * 100)); done; printf ']}'";
        PeerCounters c = new PeerCounters(List.of("sh", "-c", script, "nft"), Duration.ofSeconds(30));

        Map<String, long[]> counters = c.readCounters();

        assertEquals(5000, counters.size());
        long[] last = counters.get("tx_peer5000_0000abcd");
        assertEquals(500_000, last[0]);
        assertEquals(5000, last[1]);
    }

    @Test
    void anNftThatDoesNotFinishIsKilledAtTheTimeout() throws Exception {
        Path pid = dir.resolve("pid");
        PeerCounters c = new PeerCounters(List.of("sh", "-c", "echo $$ > " + pid + "; exec sleep 60", "nft"),
                Duration.ofMillis(500));

        long start = System.nanoTime();
        NftException e = assertThrows(NftException.class, c::readCounters);

        assertTrue(e.getMessage().contains("did not finish in 500 ms"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "failed at the timeout, not later");
        long sleeper = Long.parseLong(Files.readString(pid).trim());
        ProcessHandle.of(sleeper).ifPresent(h -> h.onExit().join());
        assertFalse(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false), "killed");
    }

    @Test
    void aFailingNftSaysWhatItPrinted() {
        PeerCounters c = new PeerCounters(List.of("sh", "-c", "echo 'Error: syntax error' >&2; exit 1", "nft"));
        NftException e = assertThrows(NftException.class, () -> c.ensure(Map.of()));
        assertTrue(e.getMessage().contains("exited 1: Error: syntax error"), e.getMessage());
    }
}
