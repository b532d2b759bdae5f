package dev.edgelink.discovery;

import static dev.edgelink.discovery.MeshHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MeshHarness.Node;
import dev.edgelink.discovery.internal.members.MembersCodec;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.encoding.Varint;
import dev.edgelink.libp2p.host.Host;
import dev.edgelink.libp2p.host.HostConfig;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import dev.edgelink.libp2p.peer.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Membership with a cluster CA between real hosts over loopback, gossip every 100 ms. */
class MembershipTrustMeshTest {

    private static final long HOUR = 3_600_000L;
    private static final Duration CONVERGE = MeshHarness.GOSSIP.multipliedBy(50);
    /** What a revocation list may take to reach every node of four; measured at 90 to 200 ms (1 to 2 intervals). */
    private static final Duration REVOCATION_BOUND = MeshHarness.GOSSIP.multipliedBy(20);

    private final MeshHarness mesh = new MeshHarness();
    private final long start = mesh.clock().millis();
    private final TestCa ca = TestCa.create("mesh-ca", start - HOUR, start + 24 * HOUR);
    private final List<Host> bareHosts = new ArrayList<>();

    @AfterEach
    void tearDown() {
        bareHosts.forEach(Host::close);
        mesh.close();
    }

    /** A node with a certificate for its name, pod CIDR and site "lab", trusting the CA only. */
    private Node certified(String name, String podCidr, MembershipConfig config) {
        return mesh.start(name, podCidr, config, ca.trust(), peer -> Optional.of(ca.certify(name, peer,
                List.of(podCidr), "lab", false, start - HOUR, start + 24 * HOUR)));
    }

    /** node-0, then nodes 1..n-1 that know only node-0; all certified. Waits until every view holds all n. */
    private List<Node> certifiedMesh(int n) throws InterruptedException {
        List<Node> nodes = new ArrayList<>();
        nodes.add(certified("node-0", "10.244.0.0/24", MeshHarness.fastConfig().build()));
        for (int i = 1; i < n; i++) {
            nodes.add(certified("node-" + i, "10.244." + i + ".0/24", joining(nodes.get(0))));
        }
        Set<PeerId> all = nodes.stream().map(Node::peer).collect(Collectors.toSet());
        assertTrue(await(() -> nodes.stream().allMatch(x -> x.memberPeers().equals(all)), CONVERGE),
                "the certified mesh did not converge: " + nodes.stream().map(x -> x.name + "=" + x.memberPeers()
                        .size()).toList());
        return nodes;
    }

    private static MembershipConfig joining(Node bootstrap) {
        return MeshHarness.fastConfig().bootstrapPeers(List.of(bootstrap.address())).build();
    }

    private static long rejected(Node n, RejectReason reason) {
        return n.service.rejections().get(reason);
    }

    @Test
    void fourCertifiedNodesConvergeAndEveryRecordCarriesItsCertificate() throws Exception {
        List<Node> nodes = certifiedMesh(4);
        for (Node n : nodes) {
            for (SignedRecord r : n.store.members()) {
                NodeCertificate c = r.record().certificate().orElseThrow();
                assertEquals(r.peerId(), c.peerId(), n.name);
                assertEquals(r.nodeName(), c.nodeName(), n.name);
                assertEquals(ca.certificate().fingerprint(), c.caFingerprint(), n.name);
            }
            assertEquals(0L, n.service.rejections().values().stream().mapToLong(Long::longValue).sum(),
                    n.name + " rejected records: " + n.service.rejections());
        }
    }

    @Test
    void nodesWithoutACertificateNeverBecomeMembers() throws Exception {
        List<Node> nodes = certifiedMesh(3);
        // A node that trusts the CA but has no certificate: its own store refuses its record.
        Node uncertified = mesh.start("intruder", "10.244.9.0/24", joining(nodes.get(0)), ca.trust(),
                peer -> Optional.empty());
        // A node in insecure mode: its store holds its uncertified record and gossips it to everyone it meets.
        Node rogue = mesh.start("rogue", "10.244.8.0/24", joining(nodes.get(0)),
                MembershipTrust.insecure(MembershipStore.DEFAULT_CLOCK_SKEW), peer -> Optional.empty());
        Set<PeerId> certifiedPeers = nodes.stream().map(Node::peer).collect(Collectors.toSet());
        // Wait for what would have let them in: the rogue's record offered to every certified node several times,
        // and both outsiders holding the whole certified view (so they did exchange with the members).
        assertTrue(await(() -> nodes.stream().allMatch(n -> rejected(n, RejectReason.NO_CERTIFICATE) >= 3)
                && uncertified.memberPeers().equals(certifiedPeers)
                && rogue.memberPeers().containsAll(certifiedPeers), CONVERGE),
                "no record of the rogue reached every member: " + nodes.stream().map(n -> n.name + "="
                        + n.service.rejections().get(RejectReason.NO_CERTIFICATE)).toList());
        for (Node n : nodes) {
            assertEquals(certifiedPeers, n.memberPeers(), n.name);
            assertTrue(n.store.record(rogue.peer()).isEmpty(), n.name);
            assertTrue(n.store.record(uncertified.peer()).isEmpty(), n.name);
            assertFalse(n.service.paused(rogue.peer()), "a record without a certificate is no forgery: " + n.name);
        }
        assertTrue(uncertified.store.record(uncertified.peer()).isEmpty());
    }

    @Test
    void aRevocationListOfferedToOneNodeReachesEveryNodeAndTheRevokedMemberDisappears() throws Exception {
        List<Node> nodes = certifiedMesh(4);
        Node revoked = nodes.get(3);
        NodeCertificate cert = revoked.service.localRecord().record().certificate().orElseThrow();
        byte[] list = ca.revocation(1, mesh.clock().millis(), List.of(cert.fingerprint()), Map.of());
        long t0 = System.nanoTime();
        OfferResult offered = nodes.get(1).store.offerRevocation(list, mesh.clock().millis());
        assertTrue(offered.isAccepted(), offered.detail());
        boolean gone = await(() -> nodes.stream().allMatch(n -> n.store.record(revoked.peer()).isEmpty()
                && n.store.trust().isRevoked(revoked.peer())), MeshHarness.GOSSIP.multipliedBy(100));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("revocation list reached all 4 nodes and the member was gone everywhere in %d ms "
                + "(%.1f gossip intervals)%n", millis, millis / (double) MeshHarness.GOSSIP.toMillis());
        assertTrue(gone, "the revoked member is still held: " + nodes.stream().map(n -> n.name + "="
                + n.store.record(revoked.peer()).isPresent()).toList());
        assertTrue(millis < REVOCATION_BOUND.toMillis(), "took " + millis + " ms, bound " + REVOCATION_BOUND);
        for (Node n : nodes) {
            assertEquals(1L, n.store.trust().revocationDigest().get(ca.certificate().fingerprint()), n.name);
            if (n != revoked) {
                assertTrue(n.events.stream().anyMatch(e -> e.startsWith("left node-3 REVOKED")), n.name + ": "
                        + n.events);
                assertEquals(3, n.store.members().size(), n.name);
            }
        }
    }

    @Test
    void aSmallViewAcceptsSmallMessagesAndRefusesOneByteMore() throws Exception {
        List<Node> nodes = certifiedMesh(4);
        Node victim = nodes.get(0);
        int limit = victim.service.acceptBytes();
        System.out.printf("acceptBytes with 4 members: %d (%.0f KiB); maxMessageBytes %d%n", limit, limit / 1024.0,
                MembershipConfig.DEFAULT_MAX_MESSAGE_BYTES);
        assertTrue(limit < 512 * 1024, "acceptBytes " + limit);
        assertTrue(limit < MembershipConfig.DEFAULT_MAX_MESSAGE_BYTES);
        for (Node n : nodes) {
            assertEquals(limit, n.service.acceptBytes(), n.name);
        }
        // A peer that is no member (so none of its own exchanges with the victim can be running).
        Host outsider = Host.start(HostConfig.builder(Keys.generateEd25519()).listen(List.of(MeshHarness.LOOPBACK))
                .eventLoopThreads(1).build());
        bareHosts.add(outsider);
        assertEquals("reply", firstDigest(outsider, victim, limit).get(5, TimeUnit.SECONDS));
        assertEquals("reset", firstDigest(outsider, victim, limit + 1).get(5, TimeUnit.SECONDS));
        assertEquals(limit, victim.service.acceptBytes());
    }

    /**
     * Sends an initiator's first message (an empty view's summary) padded with an unknown field to exactly
     * {@code bodyBytes}: completes with "reply" when the victim answers, "reset" when it resets the stream.
     */
    private static CompletableFuture<String> firstDigest(Host from, Node victim, int bodyBytes) throws Exception {
        Stream s = from.newStream(victim.address(), MembershipService.PROTOCOL).get(5, TimeUnit.SECONDS);
        CompletableFuture<String> outcome = new CompletableFuture<>();
        CompositeByteBuf received = ByteBufAllocator.DEFAULT.compositeBuffer();
        s.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                if (outcome.isDone()) {
                    data.release();
                    return;
                }
                received.addComponent(true, data);
                if (MembersCodec.decode(received, new MembersCodec.Limits(1 << 22, 4096, 4096)) != null) {
                    outcome.complete("reply");
                    received.release();
                    stream.reset();
                }
            }

            @Override
            public void onReset(MuxedStream stream, Libp2pException cause) {
                if (received.refCnt() > 0) {
                    received.release();
                }
                outcome.complete("reset");
            }
        });
        s.write(Unpooled.wrappedBuffer(paddedDigest(bodyBytes)));
        return outcome;
    }

    /**
     * An initiator's first members frame whose Exchange body is {@code bodyBytes} long: the summary of an empty root
     * (0x0a 0x00), then field 15 (unknown, ignored) of zeros.
     */
    static byte[] paddedDigest(int bodyBytes) {
        int room = bodyBytes - 2;
        int padding = room - 1 - 1;
        while (1 + Varint.encodedLength(padding) + padding > room) {
            padding--;
        }
        if (1 + Varint.encodedLength(padding) + padding != room) {
            throw new IllegalArgumentException("no padding gives a body of " + bodyBytes + " bytes");
        }
        byte[] frame = new byte[Varint.encodedLength(bodyBytes) + bodyBytes];
        int at = Varint.write(bodyBytes, frame, 0);
        frame[at++] = (1 << 3) | 2;
        frame[at++] = 0;
        frame[at++] = (15 << 3) | 2;
        Varint.write(padding, frame, at);
        return frame;
    }
}
