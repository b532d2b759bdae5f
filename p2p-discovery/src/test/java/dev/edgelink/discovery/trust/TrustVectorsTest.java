package dev.edgelink.discovery.trust;

import static dev.edgelink.discovery.trust.TrustTestData.CA_END;
import static dev.edgelink.discovery.trust.TrustTestData.CA_KEY;
import static dev.edgelink.discovery.trust.TrustTestData.CIDRS;
import static dev.edgelink.discovery.trust.TrustTestData.HEX;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_END;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_PEER;
import static dev.edgelink.discovery.trust.TrustTestData.T0;
import static dev.edgelink.discovery.trust.TrustTestData.vector;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgelink.discovery.internal.pb.TrustProto;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exact vectors: what we sign from fixed keys and times equals trust-vectors.csv, which make-vectors.py wrote
 * with a hand-made protobuf encoder and OpenSSL's Ed25519, and decoding those bytes gives back the fields.
 */
class TrustVectorsTest {

    static RevocationList revocation() {
        return RevocationList.sign(CA_KEY, TrustTestData.ca(), 1, T0 + 600_000,
                List.of(TrustTestData.node().fingerprint()), Map.of("edge-2", T0 + 500_000));
    }

    static Stream<Arguments> objects() {
        return Stream.of(
                Arguments.of("ca", (Supplier<byte[]>) () -> TrustTestData.ca().encoded(),
                        (Supplier<Fingerprint>) () -> TrustTestData.ca().fingerprint()),
                Arguments.of("node", (Supplier<byte[]>) () -> TrustTestData.node().encoded(),
                        (Supplier<Fingerprint>) () -> TrustTestData.node().fingerprint()),
                Arguments.of("revocation", (Supplier<byte[]>) () -> revocation().encoded(),
                        (Supplier<Fingerprint>) () -> revocation().fingerprint()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objects")
    void signingTheVectorFieldsGivesTheVectorBytesAndFingerprint(String name, Supplier<byte[]> encoded,
            Supplier<Fingerprint> fingerprint) {
        assertEquals(TrustTestData.VECTORS.get(name), HEX.formatHex(encoded.get()));
        assertEquals(TrustTestData.VECTORS.get(name + "-fingerprint"), fingerprint.get().hex());
        assertEquals(Fingerprint.of(vector(name)), fingerprint.get());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objects")
    void theVectorBodyIsTheSignedBody(String name, Supplier<byte[]> encoded, Supplier<Fingerprint> fingerprint)
            throws Exception {
        byte[] body = TrustProto.SignedTrust.parseFrom(encoded.get()).getBody().toByteArray();
        assertEquals(TrustTestData.VECTORS.get(name + "-body"), HEX.formatHex(body));
    }

    /** The CA body assembled here byte by byte from the protobuf wire rules, not by any encoder. */
    @Test
    void caBodyMatchesHandAssembledProtobuf() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x0a);                                        // field 1 (name), length-delimited
        b.write(11);
        b.writeBytes("edgelink-ca".getBytes(StandardCharsets.US_ASCII));
        b.write(0x12);                                        // field 2 (public_key), length-delimited
        b.write(32);
        b.writeBytes(CA_KEY.publicKey().raw());
        b.write(0x18);                                        // field 3 (not_before_ms), varint
        b.writeBytes(varint(T0));
        b.write(0x20);                                        // field 4 (not_after_ms), varint
        b.writeBytes(varint(CA_END));
        assertEquals(HEX.formatHex(b.toByteArray()), TrustTestData.VECTORS.get("ca-body"));
        // 1_700_000_000_000 = 0x18bcffe5000: 7-bit groups from the low end, continuation bit on all but the last
        assertEquals("80d095ffbc31", HEX.formatHex(varint(T0)));
    }

    @Test
    void decodingTheVectorsGivesTheFields() {
        CaCertificate ca = CaCertificate.decode(vector("ca"));
        assertEquals("edgelink-ca", ca.name());
        assertEquals(CA_KEY.publicKey(), ca.publicKey());
        assertEquals(T0, ca.notBeforeMillis());
        assertEquals(CA_END, ca.notAfterMillis());
        assertEquals(TrustTestData.VECTORS.get("ca-fingerprint"), ca.fingerprint().hex());

        NodeCertificate node = NodeCertificate.parse(vector("node"));
        assertEquals("edge-1", node.nodeName());
        assertEquals(NODE_PEER, node.peerId());
        assertEquals(CIDRS, node.podCidrs());
        assertEquals("lab-a", node.site());
        assertTrue(node.relay());
        assertEquals(T0, node.notBeforeMillis());
        assertEquals(NODE_END, node.notAfterMillis());
        assertEquals(ca.fingerprint(), node.caFingerprint());
        assertTrue(node.signatureValidUnder(ca));
        assertArrayEquals(vector("node"), node.encoded());

        RevocationList list = RevocationList.parse(vector("revocation"));
        assertEquals(ca.fingerprint(), list.caFingerprint());
        assertEquals(1, list.sequence());
        assertEquals(T0 + 600_000, list.issuedAtMillis());
        assertEquals(Set.of(node.fingerprint()), list.certificates());
        assertEquals(Map.of("edge-2", T0 + 500_000), list.nodes());
        assertTrue(list.signatureValidUnder(ca));
    }

    @Test
    void aNodeWithoutSiteOrRelayLeavesThoseFieldsOut() throws InvalidProtocolBufferException {
        NodeCertificate plain = NodeCertificate.sign(CA_KEY, TrustTestData.ca(), "edge-1", NODE_PEER, CIDRS, "",
                false, T0, NODE_END);
        NodeCertificate back = NodeCertificate.parse(plain.encoded());
        assertEquals("", back.site());
        assertFalse(back.relay());
        assertEquals(plain, back);
        assertEquals(TrustTestData.nodeBody().clearSite().clearRelay().build().toByteString(),
                parseBody(plain.encoded()));
    }

    private static ByteString parseBody(byte[] encoded) throws InvalidProtocolBufferException {
        return TrustProto.SignedTrust.parseFrom(encoded).getBody();
    }

    private static byte[] varint(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long v = value;
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }
}
