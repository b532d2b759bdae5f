package dev.edgelink.agent.internal.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.dataplane.backend.PeerView;
import dev.edgelink.dataplane.backend.StaticPeer;
import dev.edgelink.dataplane.nat.PeerCounters;
import dev.edgelink.labsupport.NetnsLab;
import dev.edgelink.labsupport.Stderr;
import dev.edgelink.net.IpPrefix;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the per-peer counter table is written: once per change of the peers or their pod CIDRs, and again when it was
 * changed by hand, found by the next read (a counter) or by the next full check (a map). Against nft in a namespace;
 * every nft run goes through a wrapper that logs its arguments, so the test counts the writes.
 */
@Tag("lab")
class PeerTrafficLabTest {
    private static final Duration VERIFY = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** The namespace lab: namespaces named {@code elpt-<random>-<suffix>}. */
    private static final class Lab extends NetnsLab {
        Lab() {
            super("elpt", DEFAULT_COMMAND_TIMEOUT);
        }
    }

    private static Lab open() {
        NetnsLab.requireRoot("lab tests need root (network namespaces, nftables)");
        return new Lab();
    }

    private static Map<String, PeerView> peers(int... nodes) {
        Map<String, PeerView> out = new LinkedHashMap<>();
        for (int n : nodes) {
            IpPrefix cidr = IpPrefix.parse("10.244." + n + ".0/24");
            out.put("node" + n, StaticPeer.of("node" + n, cidr, IpPrefix.literal("10.0.0." + n), null));
        }
        return out;
    }

    /** nft in {@code ns}, each run's arguments appended to {@code log}. */
    private static PeerCounters nft(String ns, Path log) {
        return new PeerCounters(List.of("sh", "-c", "echo \"$*\" >> " + log + "; exec ip netns exec " + ns
                + " nft \"$@\"", "nft"));
    }

    private static long writes(Path log) throws Exception {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> l.equals("-f -")).count();
    }

    @Test
    void theTableIsWrittenOnlyWhenThePeersOrTheirCidrsChange() throws Exception {
        try (Lab lab = open()) {
            String ns = lab.namespace("n");
            Path log = dir.resolve("nft.log");
            AtomicReference<Map<String, PeerView>> now = new AtomicReference<>(peers(2, 3));
            PeerTraffic t = new PeerTraffic(nft(ns, log), now::get, "node1", () -> 0L, VERIFY);

            t.sync();
            t.sync();
            t.sync();
            assertEquals(1, writes(log));
            assertEquals(Map.of("node2", new PeerCounters.Traffic(0, 0, 0, 0)), t.traffic(Set.of("node2")));

            now.set(peers(2, 3, 4));
            t.sync();
            t.sync();
            assertEquals(2, writes(log), "a peer came");
            Map<String, PeerView> moved = peers(2, 3);
            moved.put("node4", StaticPeer.of("node4", IpPrefix.parse("10.244.40.0/24"), IpPrefix.literal("10.0.0.4"),
                    null));
            now.set(moved);
            t.sync();
            assertEquals(3, writes(log), "a pod CIDR changed");
            assertTrue(lab.execIn(ns, List.of("nft", "list", "map", "ip", PeerCounters.TABLE, "tx")).output()
                    .contains("10.244.40.0/24"));
        }
    }

    @Test
    void aCounterDeletedByHandIsRestoredAtTheNextRead() throws Exception {
        try (Lab lab = open()) {
            String ns = lab.namespace("n");
            Path log = dir.resolve("nft.log");
            PeerTraffic t = new PeerTraffic(nft(ns, log), () -> peers(2, 3), "node1", () -> 0L, VERIFY);
            t.sync();
            String tx = PeerCounters.counterName("tx", "node3");
            assertEquals(0, lab.execIn(ns, "nft", "flush map ip " + PeerCounters.TABLE + " tx; delete counter ip "
                    + PeerCounters.TABLE + " " + tx));

            String warned = Stderr.capture(t::sync);

            assertTrue(warned.contains("changed outside the agent, restored"), warned);
            assertEquals(2, writes(log));
            assertTrue(PeerCounters.matches(nft(ns, dir.resolve("check.log")).read(), counted(2, 3)));
        }
    }

    @Test
    void aMapFlushedByHandIsRestoredAtTheNextFullCheck() throws Exception {
        try (Lab lab = open()) {
            String ns = lab.namespace("n");
            Path log = dir.resolve("nft.log");
            AtomicLong clock = new AtomicLong();
            PeerTraffic t = new PeerTraffic(nft(ns, log), () -> peers(2, 3), "node1", clock::get, VERIFY);
            t.sync();
            assertEquals(0, lab.execIn(ns, "nft", "flush map ip " + PeerCounters.TABLE + " rx"));

            clock.set(VERIFY.toNanos() - 1);
            t.sync();
            assertEquals(1, writes(log), "the counters are all there: the maps are not listed before the check");
            assertFalse(PeerCounters.matches(nft(ns, dir.resolve("check.log")).read(), counted(2, 3)));

            clock.set(VERIFY.toNanos());
            String warned = Stderr.capture(t::sync);
            assertTrue(warned.contains("changed outside the agent, restored"), warned);
            assertEquals(2, writes(log));
            assertTrue(PeerCounters.matches(nft(ns, dir.resolve("check.log")).read(), counted(2, 3)));
        }
    }

    private static Map<String, List<IpPrefix>> counted(int... nodes) {
        Map<String, List<IpPrefix>> out = new LinkedHashMap<>();
        peers(nodes).forEach((name, p) -> out.put(name, p.podCidrs()));
        return out;
    }
}
