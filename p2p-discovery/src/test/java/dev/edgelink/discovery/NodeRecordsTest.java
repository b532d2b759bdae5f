package dev.edgelink.discovery;

import static dev.edgelink.discovery.TestRecords.T0;
import static dev.edgelink.discovery.TestRecords.TTL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgelink.discovery.internal.pb.NodeRecordProto;
import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.multiaddr.Multiaddr;
import dev.edgelink.net.MacAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The signed record codec: byte-exact vectors, round trips, and every reason verification refuses a record. */
class NodeRecordsTest {

    private static final PrivKey KEY = TestRecords.fixedKey();
    private static final PrivKey OTHER = Keys.generateEd25519();

    /** The records the vectors in node-record-vectors.csv were made from. */
    static NodeRecord vectorRecord(String name) {
        NodeRecord.Builder b = NodeRecord.builder("edge-1", TestRecords.peerOf(KEY))
                .sequence(1).issuedAtMillis(T0).expiresAtMillis(T0 + TTL);
        return switch (name) {
            case "minimal" -> b.build();
            case "full" -> b.podCidr("10.244.1.0/24").podCidr("fd00:10:244:1::/64")
                    .underlayAddress(UnderlayAddress.of("192.168.10.11", 0, UnderlayAddress.Kind.INTERFACE))
                    .underlayAddress(UnderlayAddress.of("203.0.113.7", 40123, UnderlayAddress.Kind.OBSERVED))
                    .vtepMac(MacAddress.parse("02:42:ac:11:00:02"))
                    .tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.HOSTGW)
                    .tunnel(TunnelCapability.USERSPACE)
                    .site("lab-a").relayRole(RelayRole.RELAY)
                    .listenAddress(Multiaddr.fromString("/ip4/192.168.10.11/tcp/4001"))
                    .listenAddress(Multiaddr.fromString("/ip6/fd00::11/tcp/4001"))
                    .sequence(1_700_000_000_000L).build();
            case "leaving" -> b.podCidr("10.244.1.0/24").sequence(7).leaving(true).build();
            default -> throw new IllegalArgumentException(name);
        };
    }

    static Stream<Arguments> vectors() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = NodeRecordsTest.class.getResourceAsStream("node-record-vectors.csv");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(",");
                out.add(Arguments.of(parts[0], parts[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void signingTheVectorRecordGivesTheVectorBytes(String name, String hex) {
        SignedRecord signed = NodeRecords.sign(KEY, vectorRecord(name));
        assertEquals(hex, HexFormat.of().formatHex(signed.envelope()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void verifyingTheVectorBytesGivesTheVectorRecord(String name, String hex) {
        SignedRecord verified = NodeRecords.verify(HexFormat.of().parseHex(hex));
        assertEquals(vectorRecord(name), verified.record());
        assertEquals(TestRecords.peerOf(KEY), verified.peerId());
        assertEquals(KEY.publicKey(), verified.signer());
    }

    @Test
    void aRecordSurvivesTheRoundTrip() {
        NodeRecord full = vectorRecord("full");
        SignedRecord signed = NodeRecords.sign(OTHER, full.toBuilder().peerId(TestRecords.peerOf(OTHER)).build());
        SignedRecord back = NodeRecords.verify(signed.envelope());
        assertEquals(signed.record(), back.record());
        assertArrayEquals(signed.envelope(), back.envelope());
        assertEquals(signed, back);
    }

    @Test
    void reachabilityTravelsInFieldFourteenAndAnUnknownValueReadsAsUnknown() {
        for (NodeReachability r : NodeReachability.values()) {
            NodeRecord rec = vectorRecord("minimal").toBuilder().reachability(r).build();
            assertEquals(r, NodeRecords.verify(NodeRecords.sign(KEY, rec).envelope()).record().reachability());
        }
        byte[] record = TestRecords.rawRecord(KEY).build().toByteArray();
        byte[] extended = new byte[record.length + 2];
        System.arraycopy(record, 0, extended, 0, record.length);
        extended[record.length] = (byte) 0x70; // field 14, varint
        extended[record.length + 1] = 0x09; // a value this version does not know
        SignedRecord verified = NodeRecords.verify(TestRecords.envelope(KEY.publicKey().marshal(), extended, KEY));
        assertEquals(NodeReachability.UNKNOWN, verified.record().reachability());
        extended[record.length + 1] = 0x03;
        assertEquals(NodeReachability.NAT_SYMMETRIC, NodeRecords.verify(
                TestRecords.envelope(KEY.publicKey().marshal(), extended, KEY)).record().reachability());
    }

    @Test
    void signingSomeoneElsesRecordIsAConfigurationError() {
        NodeRecord theirs = vectorRecord("minimal");
        assertThrows(ConfigurationException.class, () -> NodeRecords.sign(OTHER, theirs));
    }

    @Test
    void aFlippedSignatureBitIsABadSignature() {
        byte[] envelope = NodeRecords.sign(KEY, vectorRecord("full")).envelope();
        envelope[envelope.length - 1] ^= 1;
        assertReason(RejectReason.BAD_SIGNATURE, envelope);
    }

    @Test
    void aChangedRecordByteIsABadSignature() throws Exception {
        NodeRecordProto.SignedNodeRecord pb = NodeRecordProto.SignedNodeRecord.parseFrom(
                NodeRecords.sign(KEY, vectorRecord("minimal")).envelope());
        byte[] record = NodeRecordProto.NodeRecord.parseFrom(pb.getRecord()).toBuilder().setSeq(99).build()
                .toByteArray();
        byte[] forged = pb.toBuilder().setRecord(com.google.protobuf.ByteString.copyFrom(record)).build()
                .toByteArray();
        assertReason(RejectReason.BAD_SIGNATURE, forged);
    }

    @Test
    void aRecordSignedByAnotherKeyUnderTheOwnersPublicKeyIsABadSignature() {
        byte[] record = TestRecords.rawRecord(KEY).build().toByteArray();
        assertReason(RejectReason.BAD_SIGNATURE, TestRecords.envelope(KEY.publicKey().marshal(), record, OTHER));
    }

    @Test
    void aRecordNamingAnotherPeerIsAPeerIdMismatch() {
        byte[] record = TestRecords.rawRecord(KEY).build().toByteArray();
        assertReason(RejectReason.PEER_ID_MISMATCH,
                TestRecords.envelope(OTHER.publicKey().marshal(), record, OTHER));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.1.1/24", "10.244.1.0/33", "10.244.01.0/24", "node-b/24", "10.244.1.0",
        "::ffff:10.244.1.0/120", "fe80::1%eth0/64"})
    void anInvalidPodCidrIsMalformed(String cidr) {
        byte[] record = TestRecords.rawRecord(KEY).clearPodCidrs().addPodCidrs(cidr).build().toByteArray();
        assertReason(RejectReason.MALFORMED, TestRecords.envelope(KEY.publicKey().marshal(), record, KEY));
    }

    @Test
    void otherInvalidFieldsAreMalformed() {
        List<NodeRecordProto.NodeRecord.Builder> bad = List.of(
                TestRecords.rawRecord(KEY).setNodeName(""),
                TestRecords.rawRecord(KEY).setNodeName("Node_A"),
                TestRecords.rawRecord(KEY).setSite("a b"),
                TestRecords.rawRecord(KEY).setVtepMac(com.google.protobuf.ByteString.copyFrom(new byte[5])),
                TestRecords.rawRecord(KEY).addListenAddrs(com.google.protobuf.ByteString.copyFrom(new byte[] {9})),
                TestRecords.rawRecord(KEY).addUnderlayAddresses(
                        NodeRecordProto.UnderlayAddress.newBuilder().setIp("example.com")),
                TestRecords.rawRecord(KEY).addUnderlayAddresses(
                        NodeRecordProto.UnderlayAddress.newBuilder().setIp("10.0.0.1").setPort(70000)),
                TestRecords.rawRecord(KEY).addPodCidrs("10.244.0.0/16"),
                TestRecords.rawRecord(KEY).setExpiresAtMs(T0),
                TestRecords.rawRecord(KEY).setSeq(-1),
                TestRecords.rawRecord(KEY).setPeerId(com.google.protobuf.ByteString.copyFrom(new byte[] {1, 2})));
        for (NodeRecordProto.NodeRecord.Builder b : bad) {
            byte[] envelope = TestRecords.envelope(KEY.publicKey().marshal(), b.build().toByteArray(), KEY);
            assertReason(RejectReason.MALFORMED, envelope);
        }
    }

    @Test
    void tooManyEntriesAreMalformed() {
        NodeRecordProto.NodeRecord.Builder b = TestRecords.rawRecord(KEY).clearPodCidrs();
        for (int i = 0; i <= 8; i++) {
            b.addPodCidrs("10.244." + i + ".0/24");
        }
        assertReason(RejectReason.MALFORMED, TestRecords.envelope(KEY.publicKey().marshal(), b.build()
                .toByteArray(), KEY));
    }

    @Test
    void garbageAndOversizeEnvelopesAreMalformed() {
        assertReason(RejectReason.MALFORMED, new byte[] {(byte) 0xff, 0x01});
        assertReason(RejectReason.MALFORMED, new byte[NodeRecords.MAX_ENVELOPE_BYTES + 1]);
        byte[] record = TestRecords.rawRecord(KEY).build().toByteArray();
        assertReason(RejectReason.MALFORMED, TestRecords.envelope(new byte[] {8, 1, 18, 1, 0}, record, KEY));
    }

    @Test
    void unknownFieldsFromANewerAgentAreIgnoredAndStillVerify() {
        byte[] record = TestRecords.rawRecord(KEY).build().toByteArray();
        byte[] extended = new byte[record.length + 3];
        System.arraycopy(record, 0, extended, 0, record.length);
        extended[record.length] = (byte) 0xa0; // field 100, varint
        extended[record.length + 1] = 0x06;
        extended[record.length + 2] = 0x01;
        SignedRecord verified = NodeRecords.verify(TestRecords.envelope(KEY.publicKey().marshal(), extended, KEY));
        assertEquals("node-a", verified.nodeName());
    }

    private static void assertReason(RejectReason reason, byte[] envelope) {
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> NodeRecords.verify(envelope));
        assertEquals(reason, e.reason(), e.getMessage());
    }
}
