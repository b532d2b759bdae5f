package dev.edgelink.discovery;

import static dev.edgelink.discovery.MeshHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MeshHarness.Node;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Membership between real hosts over loopback, with gossip every 100 ms. */
class MembershipServiceTest {

    private final MeshHarness mesh = new MeshHarness();

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    /** Node 0 first, then nodes 1..n-1 that know only node 0. */
    private List<Node> startMesh(int n, MembershipConfig.Builder config) {
        List<Node> nodes = new ArrayList<>();
        Node first = mesh.start("node-0", "10.244.0.0/24", config.build());
        nodes.add(first);
        List<Multiaddr> bootstrap = List.of(first.address());
        for (int i = 1; i < n; i++) {
            nodes.add(mesh.start("node-" + i, "10.244." + i + ".0/24", config.bootstrapPeers(bootstrap).build()));
        }
        return nodes;
    }

    private static boolean sameView(List<Node> nodes) {
        Set<PeerId> all = nodes.stream().map(Node::peer).collect(Collectors.toSet());
        Map<PeerId, Long> first = nodes.get(0).store.digest();
        for (Node n : nodes) {
            if (!n.memberPeers().equals(all) || !n.store.digest().equals(first)) {
                return false;
            }
        }
        return true;
    }

    private static boolean fullyConnected(List<Node> nodes) {
        return nodes.stream().allMatch(n -> n.host.connections().size() == nodes.size() - 1);
    }

    @Test
    void peersReportedByLocalDiscoveryAreDialedAndJoinWithoutBootstrap() throws Exception {
        Node a = mesh.start("node-a", "10.244.1.0/24", MeshHarness.fastConfig().build());
        Node b = mesh.start("node-b", "10.244.2.0/24", MeshHarness.fastConfig().build());
        Node c = mesh.start("node-c", "10.244.3.0/24", MeshHarness.fastConfig().build());
        // as mDNS on one link would: a hears b (address with /p2p), b hears c (address without)
        a.service.discovered(b.peer(), List.of(b.address()));
        b.service.discovered(c.peer(), List.of(c.address().withoutPeerId()));
        List<Node> all = List.of(a, b, c);
        assertTrue(await(() -> sameView(all), MeshHarness.GOSSIP.multipliedBy(30)),
                "nodes found only by discovery did not converge");
    }

    @Test
    void discoveryThatNamesAnotherPeerOrOurselvesIsIgnored() throws Exception {
        Node a = mesh.start("node-a", "10.244.1.0/24", MeshHarness.fastConfig().build());
        Node b = mesh.start("node-b", "10.244.2.0/24", MeshHarness.fastConfig().build());
        Node c = mesh.start("node-c", "10.244.3.0/24", MeshHarness.fastConfig().build());
        // b's peer id with c's address: the dial would reach c and fail the peer-id check, so it is not even made
        a.service.discovered(b.peer(), List.of(c.address()));
        a.service.discovered(a.peer(), List.of(a.address()));
        TimeUnit.MILLISECONDS.sleep(MeshHarness.GOSSIP.multipliedBy(10).toMillis());
        assertEquals(Set.of(a.peer()), a.memberPeers());
        assertTrue(a.host.connections().isEmpty(), "nothing was dialed");
    }

    @Test
    void fiveNodesThatKnowOneBootstrapPeerConvergeToTheSameViewWithinAFewGossipIntervals() throws Exception {
        List<Node> nodes = startMesh(5, MeshHarness.fastConfig());
        long started = System.nanoTime();
        assertTrue(await(() -> sameView(nodes), MeshHarness.GOSSIP.multipliedBy(10)),
                "views did not converge within 10 gossip intervals");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.println("five nodes converged in " + tookMillis + " ms");
        assertTrue(await(() -> fullyConnected(nodes), MeshHarness.GOSSIP.multipliedBy(20)),
                "members did not dial each other into a full mesh");
        for (Node n : nodes) {
            assertEquals(5, n.store.members().size());
            assertEquals("10.244.3.0/24", n.store.memberByName("node-3").orElseThrow().record().podCidrs().get(0)
                    .toString());
        }
    }

    @Test
    void aNodeThatLeavesDisappearsEverywhereAndStaysGone() throws Exception {
        List<Node> nodes = startMesh(5, MeshHarness.fastConfig());
        assertTrue(await(() -> sameView(nodes), Duration.ofSeconds(5)));
        Node leaver = nodes.get(3);
        leaver.service.leave().get(5, TimeUnit.SECONDS);
        List<Node> rest = new ArrayList<>(nodes);
        rest.remove(leaver);
        assertTrue(await(() -> rest.stream().allMatch(n -> n.store.member(leaver.peer()).isEmpty()),
                MeshHarness.GOSSIP.multipliedBy(10)), "the leaver is still a member somewhere");
        leaver.stop();
        TimeUnit.MILLISECONDS.sleep(MeshHarness.GOSSIP.multipliedBy(5).toMillis());
        for (Node n : rest) {
            assertTrue(n.store.member(leaver.peer()).isEmpty());
            assertTrue(n.store.record(leaver.peer()).orElseThrow().record().leaving(), "tombstone kept");
            assertEquals(4, n.store.members().size());
            assertTrue(n.events.stream().anyMatch(e -> e.startsWith("left node-3 LEFT")), n.events.toString());
        }
    }

    @Test
    void aNodeThatStopsWithoutLeavingDisappearsAfterItsRecordExpires() throws Exception {
        Duration ttl = Duration.ofMillis(1500);
        List<Node> nodes = startMesh(4, MeshHarness.fastConfig().recordTtl(ttl));
        assertTrue(await(() -> sameView(nodes), Duration.ofSeconds(5)));
        // Records are refreshed and spread before they expire: after two lifetimes everyone is still there.
        TimeUnit.MILLISECONDS.sleep(2 * ttl.toMillis());
        assertTrue(nodes.stream().allMatch(n -> n.store.members().size() == 4), "a live member expired");
        Node stopped = nodes.get(2);
        stopped.stop();
        List<Node> rest = new ArrayList<>(nodes);
        rest.remove(stopped);
        Duration bound = ttl.plus(MeshHarness.SWEEP).plusMillis(500);
        assertTrue(await(() -> rest.stream().allMatch(n -> n.store.member(stopped.peer()).isEmpty()), bound),
                "the stopped node is still a member somewhere");
        for (Node n : rest) {
            String left = n.events.stream().filter(e -> e.startsWith("left node-2 EXPIRED")).findFirst()
                    .orElseThrow(() -> new AssertionError(n.events.toString()));
            String[] words = left.split(" ");
            long at = Long.parseLong(words[4]);
            long expiry = Long.parseLong(words[6]);
            assertTrue(at >= expiry, "removed before its expiry: " + left);
            assertTrue(at <= expiry + MeshHarness.SWEEP.toMillis() + 200, "removed late: " + left);
            assertEquals(3, n.store.members().size());
        }
    }

    @Test
    void aNodeRestartedWithTheSameKeySupersedesItsOldRecord() throws Exception {
        List<Node> nodes = startMesh(3, MeshHarness.fastConfig());
        assertTrue(await(() -> sameView(nodes), Duration.ofSeconds(5)));
        long first = nodes.get(1).service.localRecord().sequence();
        SignedRecord updated = nodes.get(1).service.update(nodes.get(1).service.localRecord().record().toBuilder()
                .site("moved").build());
        assertEquals(first + 1, updated.sequence());
        assertTrue(await(() -> nodes.stream().allMatch(n -> n.store.member(nodes.get(1).peer())
                .map(r -> r.record().site().equals("moved")).orElse(false)), Duration.ofSeconds(3)));
        assertFalse(nodes.get(0).events.stream().anyMatch(e -> e.startsWith("left")));
    }

    @Test
    void withoutMemberDialsExchangesRunOverTheConnectionsThereAreAndAChangeCrossesThem() throws Exception {
        MembershipConfig.Builder config = MeshHarness.fastConfig().dialMembers(false);
        // A chain a - b - c: b knows a as its bootstrap peer, c knows b; nobody dials the members it learns of.
        Node a = mesh.start("node-a", "10.244.1.0/24", config.build());
        Node b = mesh.start("node-b", "10.244.2.0/24", config.bootstrapPeers(List.of(a.address())).build());
        Node c = mesh.start("node-c", "10.244.3.0/24", config.bootstrapPeers(List.of(b.address())).build());
        List<Node> all = List.of(a, b, c);
        assertTrue(await(() -> sameView(all), MeshHarness.GOSSIP.multipliedBy(30)), "the chain did not converge");
        SignedRecord moved = c.service.update(c.service.localRecord().record().toBuilder().site("moved").build());
        assertTrue(await(() -> a.store.member(c.peer()).map(r -> r.sequence() == moved.sequence()).orElse(false),
                MeshHarness.GOSSIP.multipliedBy(30)), "c's change did not reach a through b");
        assertTrue(a.host.connection(c.peer()).isEmpty() && c.host.connection(a.peer()).isEmpty(),
                "a and c never connected: membership dialed no member");
        assertFalse(a.service.needsPartners() || b.service.needsPartners() || c.service.needsPartners());
        assertTrue(c.service.stats().pushes() > 0, "the change was pushed: " + c.service.stats());
    }

    @Test
    void aNodeThatKnowsMembersButIsConnectedToNoneAsksForPartners() throws Exception {
        MembershipConfig.Builder config = MeshHarness.fastConfig().dialMembers(false);
        Node a = mesh.start("node-a", "10.244.1.0/24", config.build());
        Node lonely = mesh.start("node-b", "10.244.2.0/24", config.build());
        AtomicInteger asked = new AtomicInteger();
        lonely.service.addPartnerListener(asked::incrementAndGet);
        // It knows a (a kept record, say) but nobody connects them: it asks every round.
        assertTrue(lonely.store.offer(a.service.localRecord(), mesh.clock().millis()).isAccepted());
        assertTrue(await(() -> asked.get() >= 3, MeshHarness.GOSSIP.multipliedBy(30)), "asked " + asked.get());
        assertTrue(lonely.service.needsPartners());
        assertTrue(lonely.host.connections().isEmpty(), "membership did not dial the member itself");
        // A connection manager connects it: the new connection brings an exchange, and the asking stops.
        lonely.host.connect(a.address()).get(5, TimeUnit.SECONDS);
        assertTrue(await(() -> a.store.member(lonely.peer()).isPresent() && !lonely.service.needsPartners(),
                MeshHarness.GOSSIP.multipliedBy(30)), "no exchange over the new connection");
        // Rounds go on (each runs an exchange with a); none of them asks.
        int before = asked.get();
        long syncs = lonely.service.stats().syncs();
        assertTrue(await(() -> lonely.service.stats().syncs() >= syncs + 3, MeshHarness.GOSSIP.multipliedBy(30)));
        assertEquals(before, asked.get(), "still asking while connected to a member");
    }
}
