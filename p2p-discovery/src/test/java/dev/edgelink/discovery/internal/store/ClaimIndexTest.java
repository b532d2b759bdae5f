package dev.edgelink.discovery.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.NodeRecord;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClaimIndexTest {

    private static final List<PeerId> PEERS = List.of(peer(), peer(), peer(), peer());

    private final ClaimIndex index = new ClaimIndex();

    private static PeerId peer() {
        return PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
    }

    private static NodeRecord record(PeerId peer, String name, String... cidrs) {
        NodeRecord.Builder b = NodeRecord.builder(name, peer);
        for (String c : cidrs) {
            b.podCidr(c);
        }
        return b.build();
    }

    @ParameterizedTest
    @CsvSource({
        "10.244.1.0/24, 10.244.1.0/24, true",
        "10.244.1.0/24, 10.244.1.128/25, true",
        "10.244.1.0/24, 10.244.0.0/16, true",
        "10.244.1.0/24, 10.0.0.0/8, true",
        "10.244.1.0/24, 0.0.0.0/0, true",
        "10.244.1.0/24, 10.244.2.0/23, false",
        "10.244.1.0/24, 10.244.0.0/23, true",
        "10.244.0.0/24, 10.244.0.0/23, true",
        "10.244.1.0/24, 10.244.2.0/24, false",
        "10.244.1.0/24, 10.244.0.0/24, false",
        "10.244.1.0/24, 10.244.0.255/32, false",
        "10.244.1.0/24, 10.244.1.255/32, true",
        "10.244.1.0/24, 10.244.2.0/32, false",
        "10.244.1.0/24, ::/0, false",
        "fd00:10:244:1::/64, fd00:10:244::/48, true",
        "fd00:10:244:1::/64, fd00:10:244:1:8000::/65, true",
        "fd00:10:244:1::/64, fd00:10:244:2::/64, false",
        "fd00:10:244:1::/64, 0.0.0.0/0, false",
    })
    void aPrefixIsFoundExactlyWhenItOverlaps(String held, String offered, boolean overlaps) {
        assertEquals(IpPrefix.parse(held).overlaps(IpPrefix.parse(offered)), overlaps, "the test's own expectation");
        index.add(record(PEERS.get(0), "node-a", held));
        Set<PeerId> expected = overlaps ? Set.of(PEERS.get(0)) : Set.of();
        assertEquals(expected, index.candidates(record(PEERS.get(1), "node-b", offered)));
    }

    @Test
    void nameHoldersComeFirstThenPrefixHolders() {
        index.add(record(PEERS.get(0), "node-a", "10.244.1.0/24"));
        index.add(record(PEERS.get(1), "node-b", "10.244.2.0/24"));
        index.add(record(PEERS.get(2), "node-c", "10.244.3.0/24"));
        assertEquals(List.of(PEERS.get(1), PEERS.get(0)), List.copyOf(index.candidates(record(PEERS.get(3), "node-b",
                "10.244.1.0/24"))));
    }

    @Test
    void removedClaimsAreForgottenAndSharedOnesStay() {
        NodeRecord a = record(PEERS.get(0), "node-a", "10.244.1.0/24", "fd00::/64");
        NodeRecord b = record(PEERS.get(1), "node-a", "10.244.1.0/24");
        index.add(a);
        index.add(b);
        index.remove(a);
        assertEquals(Set.of(PEERS.get(1)), index.candidates(record(PEERS.get(2), "node-a", "fd00::/48")));
        assertEquals(Set.of(PEERS.get(1)), index.candidates(record(PEERS.get(2), "node-x", "10.0.0.0/8")));
        index.remove(b);
        assertTrue(index.isEmpty());
        assertEquals(Set.of(), index.candidates(record(PEERS.get(2), "node-a", "0.0.0.0/0", "::/0")));
    }

    /** Random prefixes of a few lengths, some of them nested: the index finds what a scan of every record finds. */
    @Test
    void candidatesAreWhatAScanFinds() {
        Random random = new Random(9);
        List<NodeRecord> held = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            NodeRecord r = record(peer(), "node-" + random.nextInt(200), randomPrefix(random));
            held.add(r);
            index.add(r);
        }
        for (int i = 0; i < 100; i++) {
            index.remove(held.remove(random.nextInt(held.size())));
        }
        for (int i = 0; i < 500; i++) {
            NodeRecord offered = record(PEERS.get(0), "node-" + random.nextInt(200), randomPrefix(random));
            Set<PeerId> scan = new HashSet<>();
            for (NodeRecord h : held) {
                if (h.nodeName().equals(offered.nodeName())
                        || h.podCidrs().get(0).overlaps(offered.podCidrs().get(0))) {
                    scan.add(h.peerId());
                }
            }
            assertEquals(scan, index.candidates(offered), offered.toString());
        }
    }

    private static String randomPrefix(Random random) {
        int[] lengths = {8, 16, 20, 24, 24, 24, 28};
        int len = lengths[random.nextInt(lengths.length)];
        int address = (10 << 24) | (random.nextInt(4) << 16) | (random.nextInt(16) << 8) | random.nextInt(256);
        int network = address & (int) (0xffffffffL << (32 - len));
        return ((network >>> 24) & 0xff) + "." + ((network >>> 16) & 0xff) + "." + ((network >>> 8) & 0xff) + "."
                + (network & 0xff) + "/" + len;
    }
}
