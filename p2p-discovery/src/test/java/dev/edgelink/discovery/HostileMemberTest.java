package dev.edgelink.discovery;

import static dev.edgelink.discovery.MeshHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgelink.discovery.MeshHarness.Node;
import dev.edgelink.discovery.internal.members.Exchange;
import dev.edgelink.discovery.internal.members.KeyRange;
import dev.edgelink.discovery.internal.members.MembersCodec;
import dev.edgelink.libp2p.Libp2pException;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.host.Stream;
import dev.edgelink.libp2p.mux.MuxedStream;
import dev.edgelink.libp2p.mux.StreamListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A member that follows the protocol's framing but offers records it should not: they are rejected by the node it
 * talks to, never spread, and every honest view stays as it was.
 */
class HostileMemberTest {

    private static final MembersCodec.Limits LIMITS = new MembersCodec.Limits(1 << 20, 4096, 4096);

    private final MeshHarness mesh = new MeshHarness();
    private final List<Node> honest = new ArrayList<>();
    private Node hostile;

    @BeforeEach
    void startMesh() throws Exception {
        Node first = mesh.start("node-0", "10.244.0.0/24", MeshHarness.fastConfig().build());
        honest.add(first);
        MembershipConfig joining = MeshHarness.fastConfig().bootstrapPeers(List.of(first.address())).build();
        honest.add(mesh.start("node-1", "10.244.1.0/24", joining));
        honest.add(mesh.start("node-2", "10.244.2.0/24", joining));
        hostile = mesh.start("hostile", "10.244.9.0/24", joining);
        assertTrue(await(() -> everyone().stream().allMatch(n -> n.store.members().size() == 4),
                Duration.ofSeconds(5)), "the mesh did not converge");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private List<Node> everyone() {
        List<Node> all = new ArrayList<>(honest);
        all.add(hostile);
        return all;
    }

    @Test
    void forgedOverlappingAndOldRecordsAreRejectedAndViewsStayCorrect() throws Exception {
        Node victim = honest.get(0);
        Node node1 = honest.get(1);
        Node node2 = honest.get(2);
        byte[] oldNode2 = node2.service.localRecord().envelope();
        long newSeq = node2.service.update(node2.service.localRecord().record().toBuilder().site("v2").build())
                .sequence();
        assertTrue(await(() -> honest.stream().allMatch(n -> n.store.member(node2.peer())
                .map(r -> r.sequence() == newSeq).orElse(false)), Duration.ofSeconds(3)));

        PrivKey mine = hostile.host.config().identity();
        long future = System.currentTimeMillis() + 1000;
        List<byte[]> bad = List.of(
                // A valid signature of its own, for a pod CIDR that covers node-0's.
                signed(mine, "hostile", "10.244.0.0/16", future),
                // Its own key, node-1's name.
                signed(mine, "node-1", "10.98.0.0/24", future),
                // node-1's peer id and public key, signed with the hostile key.
                TestRecords.envelope(node1.host.config().identity().publicKey().marshal(),
                        rawRecord(node1, "node-1", "10.97.0.0/24", future), mine),
                // node-1's peer id under the hostile's own key.
                TestRecords.envelope(mine.publicKey().marshal(), rawRecord(node1, "node-1", "10.96.0.0/24", future),
                        mine),
                // node-2's genuine but older record.
                oldNode2);
        pushRawWhenFree(hostile, victim, bad);

        Map<RejectReason, Long> expected = Map.of(RejectReason.POD_CIDR_OVERLAP, 1L,
                RejectReason.NODE_NAME_TAKEN, 1L, RejectReason.BAD_SIGNATURE, 1L);
        // The verifier counts a batch's rejections, then pauses the sender: wait for both.
        assertTrue(await(() -> expected.entrySet().stream()
                .allMatch(e -> victim.service.rejections().get(e.getKey()) >= e.getValue())
                && victim.service.paused(hostile.peer()), Duration.ofSeconds(3)),
                "rejections: " + victim.service.rejections() + ", paused: " + victim.service.paused(hostile.peer()));
        // A forged signature is something no honest member forwards: the rest of that message is not looked at,
        // and the sender's exchanges are refused for a while.
        assertEquals(0L, victim.service.rejections().get(RejectReason.PEER_ID_MISMATCH),
                "records after the forgery were verified: " + victim.service.rejections());
        assertTrue(victim.service.paused(hostile.peer()));
        assertFalse(victim.service.paused(node1.peer()));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> pushRaw(hostile, victim,
                List.of(TestRecords.envelope(mine.publicKey().marshal(),
                        rawRecord(node1, "node-1", "10.95.0.0/24", future + 1), mine))));
        assertTrue(refused.getCause() instanceof Libp2pException, refused.toString());
        assertEquals(0L, victim.service.rejections().get(RejectReason.PEER_ID_MISMATCH));
        TimeUnit.MILLISECONDS.sleep(MeshHarness.GOSSIP.multipliedBy(10).toMillis());
        for (Node n : everyone()) {
            assertEquals(4, n.store.members().size(), n.name);
            SignedRecord one = n.store.memberByName("node-1").orElseThrow();
            assertEquals(node1.peer(), one.peerId(), n.name);
            assertEquals("10.244.1.0/24", one.record().podCidrs().get(0).toString(), n.name);
            assertEquals(newSeq, n.store.member(node2.peer()).orElseThrow().sequence(), n.name);
            assertEquals("v2", n.store.member(node2.peer()).orElseThrow().record().site(), n.name);
            assertEquals("10.244.9.0/24", n.store.member(hostile.peer()).orElseThrow().record().podCidrs().get(0)
                    .toString(), n.name);
        }
        for (Node n : honest) {
            if (n != victim) {
                assertEquals(0L, n.service.rejections().values().stream().mapToLong(Long::longValue).sum(),
                        "the bad records travelled on to " + n.name + ": " + n.service.rejections());
            }
        }
    }

    @Test
    void garbageFromAMemberResetsTheExchangeAndChangesNothing() throws Exception {
        Node victim = honest.get(0);
        Stream s = openWhenFree(hostile, victim);
        CompletableFuture<Boolean> reset = new CompletableFuture<>();
        s.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                data.release();
            }

            @Override
            public void onReset(MuxedStream stream, Libp2pException cause) {
                reset.complete(true);
            }
        });
        s.write(Unpooled.wrappedBuffer(new byte[] {5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1}));
        assertTrue(reset.get(5, TimeUnit.SECONDS));
        Stream big = openWhenFree(hostile, victim);
        CompletableFuture<Boolean> bigReset = new CompletableFuture<>();
        big.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                data.release();
            }

            @Override
            public void onReset(MuxedStream stream, Libp2pException cause) {
                bigReset.complete(true);
            }
        });
        // A length prefix of 64 MiB, far over what a view of four members needs: refused before any is buffered.
        big.write(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x20}));
        assertTrue(bigReset.get(5, TimeUnit.SECONDS));
        TimeUnit.MILLISECONDS.sleep(MeshHarness.GOSSIP.multipliedBy(3).toMillis());
        assertTrue(everyone().stream().allMatch(n -> n.store.members().size() == 4));
    }

    private static byte[] signed(PrivKey key, String name, String cidr, long seq) {
        return NodeRecords.sign(key, TestRecords.record(key, name, cidr, seq)
                .issuedAtMillis(System.currentTimeMillis()).expiresAtMillis(System.currentTimeMillis() + 60_000)
                .build()).envelope();
    }

    private static byte[] rawRecord(Node owner, String name, String cidr, long seq) {
        return TestRecords.rawRecord(owner.host.config().identity()).setNodeName(name).clearPodCidrs()
                .addPodCidrs(cidr).setSeq(seq).setIssuedAtMs(System.currentTimeMillis())
                .setExpiresAtMs(System.currentTimeMillis() + 60_000).setSite("x")
                .setVtepMac(ByteString.copyFrom(new byte[] {2, 0, 0, 0, 0, 1})).build().toByteArray();
    }

    /**
     * A members stream to the victim, opened again while the victim refuses it (reset during negotiation): it runs
     * one inbound exchange per peer at a time, and the sender's own gossip, or the end of its previous stream, may
     * still hold that place.
     */
    private static Stream openWhenFree(Node from, Node victim) throws Exception {
        for (int attempt = 1;; attempt++) {
            try {
                return from.host.newStream(victim.address(), MembershipService.PROTOCOL).get(5, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (attempt == 20) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /**
     * {@link #pushRaw}, again while the victim refuses it: it runs one inbound exchange per peer at a time, and the
     * hostile node's own gossip with the victim may be running.
     */
    private static void pushRawWhenFree(Node from, Node victim, List<byte[]> records) throws Exception {
        for (int attempt = 1;; attempt++) {
            try {
                pushRaw(from, victim, records);
                return;
            } catch (ExecutionException e) {
                if (attempt == 20) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /**
     * Plays the initiator by hand: the summary of a view of one record that the victim cannot have, so that it lists
     * its records, then {@code records} whatever the victim's listing says.
     */
    private static void pushRaw(Node from, Node victim, List<byte[]> records) throws Exception {
        Stream s = from.host.newStream(victim.address(), MembershipService.PROTOCOL).get(5, TimeUnit.SECONDS);
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompositeByteBuf buffer = ByteBufAllocator.DEFAULT.compositeBuffer();
        s.setListener(new StreamListener() {
            @Override
            public void onData(MuxedStream stream, ByteBuf data) {
                buffer.addComponent(true, data);
                if (MembersCodec.decode(buffer, LIMITS) != null) {
                    Exchange.Builder last = Exchange.builder();
                    records.forEach(last::record);
                    stream.write(Unpooled.wrappedBuffer(MembersCodec.encode(last.build())));
                    stream.closeWrite();
                }
            }

            @Override
            public void onRemoteClose(MuxedStream stream) {
                buffer.release();
                done.complete(null);
            }

            @Override
            public void onReset(MuxedStream stream, Libp2pException cause) {
                buffer.release();
                done.completeExceptionally(cause);
            }
        });
        s.write(Unpooled.wrappedBuffer(MembersCodec.encode(Exchange.builder()
                .range(new Exchange.Summary(KeyRange.ROOT, 1, 0)).build())));
        done.get(5, TimeUnit.SECONDS);
    }
}
