package dev.edgelink.discovery;

import static dev.edgelink.discovery.MeshHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.MeshHarness.Node;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.MacAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A new node joins a view of 5000 certified members (records with certificates) through one bootstrap peer on
 * loopback: the view is paged over in turns sized by what the new node accepts, never more than
 * {@link MembershipConfig#maxMessageBytes()} per message, and no message limit stops it.
 */
class FirstSyncTest {

    private static final int FLEET = 5000;
    private static final long HOUR = 3_600_000L;

    private final MeshHarness mesh = new MeshHarness();

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void aNewNodeLearnsAViewOf5000CertifiedMembersFromOnePeer() throws Exception {
        long now = mesh.clock().millis();
        TestCa ca = TestCa.create("fleet-ca", now - HOUR, now + 24 * HOUR);
        // Nobody dials the members: their records' addresses are made up (loopback, a port nobody listens on).
        MembershipConfig config = MeshHarness.fastConfig().recordTtl(Duration.ofMinutes(10)).dialMembers(false)
                .build();
        Node old = mesh.start("old", "10.200.0.0/24", config, ca.trust(), peer -> Optional.of(ca.certify("old", peer,
                List.of("10.200.0.0/24"), "lab", false, now - HOUR, now + 24 * HOUR)));
        PeerId relay = PeerId.fromPublicKey(Keys.generateEd25519().publicKey());
        long bytes = 0;
        for (int i = 0; i < FLEET; i++) {
            PrivKey key = Keys.generateEd25519();
            PeerId peer = PeerId.fromPublicKey(key.publicKey());
            String cidr = "10." + (i >> 8) + "." + (i & 0xff) + ".0/24";
            // As large as what a node behind a NAT announces: two interface addresses, its observed one, a listen
            // address and two circuit addresses through relays.
            String ip = "127.1." + (i >> 8) + "." + (i & 0xff);
            NodeRecord r = NodeRecord.builder("fleet-" + i, peer).podCidr(cidr).site("lab")
                    .underlayAddress(UnderlayAddress.of(ip, 0, UnderlayAddress.Kind.INTERFACE))
                    .underlayAddress(UnderlayAddress.of("fd00::" + Integer.toHexString(i), 0,
                            UnderlayAddress.Kind.INTERFACE))
                    .underlayAddress(UnderlayAddress.of("127.2.0.9", 40000 + i, UnderlayAddress.Kind.OBSERVED))
                    .listenAddress(Multiaddr.fromString("/ip4/" + ip + "/tcp/9"))
                    .listenAddress(Multiaddr.fromString("/ip4/127.3.0.1/tcp/9/p2p/" + relay + "/p2p-circuit"))
                    .listenAddress(Multiaddr.fromString("/ip4/127.3.0.2/tcp/9/p2p/" + relay + "/p2p-circuit"))
                    .vtepMac(MacAddress.parse("02:00:00:00:" + String.format("%02x:%02x", i >> 8, i & 0xff)))
                    .tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.USERSPACE).sequence(1).issuedAtMillis(now)
                    .expiresAtMillis(now + Duration.ofMinutes(10).toMillis())
                    .certificate(ca.certify("fleet-" + i, peer, List.of(cidr), "lab", false, now - HOUR,
                            now + 24 * HOUR)).build();
            SignedRecord signed = NodeRecords.sign(key, r);
            bytes += signed.envelopeSize();
            OfferResult offered = old.store.offer(signed, now);
            assertTrue(offered.isAccepted(), offered.detail());
        }
        System.out.printf("%d records with certificates, %d bytes on average%n", FLEET, bytes / FLEET);

        long t0 = System.nanoTime();
        Node fresh = mesh.start("fresh", "10.201.0.0/24", MeshHarness.fastConfig().recordTtl(Duration.ofMinutes(10))
                .dialMembers(false).bootstrapPeers(List.of(old.address())).build(), ca.trust(),
                peer -> Optional.of(ca.certify("fresh", peer, List.of("10.201.0.0/24"), "lab", false, now - HOUR,
                        now + 24 * HOUR)));
        assertTrue(await(() -> fresh.store.members().size() == FLEET + 2, Duration.ofSeconds(60)),
                "the new node holds " + fresh.store.members().size() + " of " + (FLEET + 2));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // The exchange that carried them is over once its last page is verified.
        assertTrue(await(() -> fresh.service.stats().recordsIn() >= FLEET, Duration.ofSeconds(20)),
                "records in finished exchanges: " + fresh.service.stats());
        MembershipService.Stats s = fresh.service.stats();
        System.out.printf("first sync of %d members in %d ms: %d bytes in, %d out, %d exchanges, %d records%n",
                FLEET + 1, millis, s.bytesIn(), s.bytesOut(), s.syncs() + s.pushes(), s.recordsIn());
        assertEquals(fresh.store.digest(), old.store.digest());
        assertEquals(0L, fresh.service.rejections().values().stream().mapToLong(Long::longValue).sum(),
                "rejected: " + fresh.service.rejections());
        assertTrue(s.bytesIn() < bytes * 3 / 2, "the view came over once: " + s.bytesIn() + " bytes for " + bytes);
    }
}
