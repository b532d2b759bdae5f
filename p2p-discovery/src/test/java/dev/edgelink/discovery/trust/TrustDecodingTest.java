package dev.edgelink.discovery.trust;

import static dev.edgelink.discovery.trust.TrustTestData.CA_KEY;
import static dev.edgelink.discovery.trust.TrustTestData.T0;
import static dev.edgelink.discovery.trust.TrustTestData.refused;
import static dev.edgelink.discovery.trust.TrustTestData.vector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.edgelink.discovery.internal.pb.TrustProto;
import dev.edgelink.discovery.internal.trust.TrustCodec;
import dev.edgelink.discovery.internal.trust.TrustFields;
import dev.edgelink.libp2p.ConfigurationException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every structural reason a certificate or revocation list is refused, with the problem and a message naming it. */
class TrustDecodingTest {

    private static Arguments node(String what, Consumer<TrustProto.NodeBody.Builder> breakIt, String message) {
        return Arguments.of(what, breakIt, message);
    }

    static Stream<Arguments> brokenNodeBodies() {
        return Stream.of(
                node("empty node name", b -> b.setNodeName(""), "node name ''"),
                node("upper-case node name", b -> b.setNodeName("Edge-1"), "node name 'Edge-1'"),
                node("node name with underscore", b -> b.setNodeName("edge_1"), "edge_1"),
                node("node name of 254", b -> b.setNodeName("a".repeat(254)), "1 to 253 characters"),
                node("peer id not a multihash", b -> b.setPeerId(ByteString.copyFrom(new byte[] {0x55, 1, 2})),
                        "peer id is invalid"),
                node("empty peer id", b -> b.setPeerId(ByteString.EMPTY), "peer id is invalid"),
                node("no pod CIDR", b -> b.clearPodCidrs(), "0 pod CIDRs, expected 1 to 8"),
                node("nine pod CIDRs", b -> {
                    for (int i = 2; i <= 8; i++) {
                        b.addPodCidrs("10.244." + i + ".0/24");
                    }
                }, "9 pod CIDRs"),
                node("host bits set", b -> b.setPodCidrs(0, "10.244.1.1/24"), "10.244.1.1/24"),
                node("not a CIDR", b -> b.setPodCidrs(0, "10.244.1.0"), "pod CIDR '10.244.1.0'"),
                node("bad prefix length", b -> b.setPodCidrs(0, "10.244.1.0/33"), "10.244.1.0/33"),
                node("name instead of address", b -> b.setPodCidrs(0, "pods.example/24"), "pods.example/24"),
                node("uncanonical IPv6", b -> b.setPodCidrs(1, "FD00:10:244:1:0::/64"), "canonical"),
                node("overlapping CIDRs", b -> b.setPodCidrs(1, "10.244.0.0/16"), "overlap"),
                node("site with a slash", b -> b.setSite("lab/a"), "site 'lab/a'"),
                node("site with a space", b -> b.setSite("lab a"), "site 'lab a'"),
                node("site of 64", b -> b.setSite("s".repeat(64)), "at most 63"),
                node("not_after equals not_before", b -> b.setNotAfterMs(T0), "2023-11-14T22:13:20Z"),
                node("not_after before not_before", b -> b.setNotAfterMs(T0 - 1), "not later than its start"),
                node("not_after beyond 2^63", b -> b.setNotAfterMs(-1L), "2^63"),
                node("CA fingerprint of 31 bytes", b -> b.setCaFingerprint(ByteString.copyFrom(new byte[31])),
                        "CA fingerprint is 31 bytes"),
                node("no CA fingerprint", b -> b.clearCaFingerprint(), "CA fingerprint is 0 bytes"),
                node("unknown field", b -> b.setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()), "canonical"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenNodeBodies")
    void aBrokenNodeBodyIsMalformedAndTheMessageSaysWhy(String what, Consumer<TrustProto.NodeBody.Builder> breakIt,
            String message) {
        TrustProto.NodeBody.Builder body = TrustTestData.nodeBody();
        breakIt.accept(body);
        byte[] encoded = TrustTestData.signedNode(body);
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(encoded), message,
                Fingerprint.of(encoded).toString());
    }

    @Test
    void nodeMessagesNameTheNodeOnceItsNameIsKnown() {
        byte[] encoded = TrustTestData.signedNode(TrustTestData.nodeBody().setSite("lab site"));
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(encoded), "node 'edge-1'");
    }

    static Stream<Arguments> brokenCaBodies() {
        return Stream.of(
                Arguments.of("empty name", (Consumer<TrustProto.CaBody.Builder>) b -> b.setName(""), "CA name ''"),
                Arguments.of("name of 65", (Consumer<TrustProto.CaBody.Builder>) b -> b.setName("c".repeat(65)),
                        "1 to 64 printable"),
                Arguments.of("control character", (Consumer<TrustProto.CaBody.Builder>) b -> b.setName("ca\n1"),
                        "ca\\x0a1"),
                Arguments.of("key of 31 bytes", (Consumer<TrustProto.CaBody.Builder>) b -> b.setPublicKey(
                        ByteString.copyFrom(new byte[31])), "public key is 31 bytes"),
                Arguments.of("empty validity", (Consumer<TrustProto.CaBody.Builder>) b -> b.setNotAfterMs(T0),
                        "not later than its start"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenCaBodies")
    void aBrokenCaBodyIsMalformed(String what, Consumer<TrustProto.CaBody.Builder> breakIt, String message) {
        TrustProto.CaBody.Builder body = TrustTestData.caBody();
        breakIt.accept(body);
        byte[] encoded = TrustTestData.signedCa(body);
        refused(TrustProblem.MALFORMED, () -> CaCertificate.decode(encoded), message,
                Fingerprint.of(encoded).toString());
    }

    static Stream<Arguments> brokenRevocationBodies() {
        ByteString fp = ByteString.copyFrom(new byte[32]);
        return Stream.of(
                Arguments.of("CA fingerprint of 33 bytes", (Consumer<TrustProto.RevocationBody.Builder>) b ->
                        b.setCaFingerprint(ByteString.copyFrom(new byte[33])), "CA fingerprint is 33 bytes"),
                Arguments.of("certificate fingerprint of 16 bytes", (Consumer<TrustProto.RevocationBody.Builder>) b ->
                        b.addCertificates(ByteString.copyFrom(new byte[16])), "revoked certificate fingerprint"),
                Arguments.of("certificate twice", (Consumer<TrustProto.RevocationBody.Builder>) b ->
                        b.addCertificates(fp).addCertificates(fp), "listed twice"),
                Arguments.of("node twice", (Consumer<TrustProto.RevocationBody.Builder>) b -> b
                        .addNodes(TrustProto.RevokedNode.newBuilder().setNodeName("edge-2").setIssuedBeforeMs(1))
                        .addNodes(TrustProto.RevokedNode.newBuilder().setNodeName("edge-2").setIssuedBeforeMs(2)),
                        "node 'edge-2' is listed twice"),
                Arguments.of("bad node name", (Consumer<TrustProto.RevocationBody.Builder>) b -> b
                        .addNodes(TrustProto.RevokedNode.newBuilder().setNodeName("-edge")), "node name '-edge'"),
                Arguments.of("sequence beyond 2^63", (Consumer<TrustProto.RevocationBody.Builder>) b ->
                        b.setSequence(-1L), "sequence 18446744073709551615"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenRevocationBodies")
    void aBrokenRevocationBodyIsMalformed(String what, Consumer<TrustProto.RevocationBody.Builder> breakIt,
            String message) {
        TrustProto.RevocationBody.Builder body = TrustTestData.revocationBody();
        breakIt.accept(body);
        byte[] encoded = TrustTestData.signedRevocation(body);
        refused(TrustProblem.MALFORMED, () -> RevocationList.parse(encoded), message,
                Fingerprint.of(encoded).toString());
    }

    @Test
    void moreThan65536RevokedEntriesAreRefused() {
        TrustProto.RevocationBody.Builder body = TrustTestData.revocationBody();
        for (int i = 0; i <= TrustFields.MAX_REVOKED_ENTRIES; i++) {
            body.addNodes(TrustProto.RevokedNode.newBuilder().setNodeName("n" + i));
        }
        byte[] encoded = TrustTestData.signedRevocation(body);
        refused(TrustProblem.MALFORMED, () -> RevocationList.parse(encoded), "65537 revoked entries",
                "limit of 65536");
        body.removeNodes(0);
        assertEquals(TrustFields.MAX_REVOKED_ENTRIES,
                RevocationList.parse(TrustTestData.signedRevocation(body)).nodes().size());
    }

    @Test
    void envelopesOverTheirLimitAreRefusedBeforeParsing() {
        byte[] cert = new byte[TrustCodec.MAX_CERTIFICATE_BYTES + 1];
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(cert), "4097 bytes", "limit of 4096");
        refused(TrustProblem.MALFORMED, () -> CaCertificate.decode(cert), "4097 bytes");
        byte[] list = new byte[TrustCodec.MAX_REVOCATION_BYTES + 1];
        refused(TrustProblem.MALFORMED, () -> RevocationList.parse(list), "1048577 bytes", "limit of 1048576");
    }

    @Test
    void theCertificateLimitIsExactlyFourKibibytes() {
        // No valid certificate comes near 4 KiB (the longest name, eight IPv6 CIDRs and a full site make about
        // 800 bytes), so the limit is seen on garbage: 4096 bytes are parsed (and refused as garbage), 4097 are not.
        byte[] atLimit = new byte[TrustCodec.MAX_CERTIFICATE_BYTES];
        Arrays.fill(atLimit, (byte) 0xff);
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(atLimit), "not a SignedTrust protobuf");
        byte[] over = Arrays.copyOf(atLimit, atLimit.length + 1);
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(over), "4097 bytes");
    }

    @Test
    void garbageIsNotAProtobuf() {
        byte[] garbage = HexFormat.of().parseHex("ffffffffffffffffffff");
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(garbage), "not a SignedTrust protobuf",
                Fingerprint.of(garbage).toString());
        refused(TrustProblem.MALFORMED, () -> TrustKind.of(garbage), "not a SignedTrust protobuf");
    }

    @Test
    void trailingBytesAreRefused() {
        byte[] node = vector("node");
        byte[] withZero = Arrays.copyOf(node, node.length + 1);
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(withZero));
        byte[] withField = Arrays.copyOf(node, node.length + 2);
        withField[node.length] = 0x20;   // field 4, varint
        withField[node.length + 1] = 0x01;
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(withField), "canonical");
    }

    @Test
    void anEnvelopeInAnotherFieldOrderIsRefusedSoAFingerprintNamesOneCertificate() throws Exception {
        TrustProto.SignedTrust pb = TrustProto.SignedTrust.parseFrom(vector("node"));
        byte[] reordered = concat(pb.toBuilder().clearKind().build().toByteArray(),
                TrustProto.SignedTrust.newBuilder().setKindValue(2).build().toByteArray());
        assertEquals(vector("node").length, reordered.length);
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(reordered), "canonical");
    }

    @Test
    void aSignatureOfTheWrongLengthIsMalformed() throws Exception {
        TrustProto.SignedTrust pb = TrustProto.SignedTrust.parseFrom(vector("node"));
        byte[] shortSig = pb.toBuilder().setSignature(pb.getSignature().substring(0, 63)).build().toByteArray();
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(shortSig), "signature of 63 bytes");
    }

    @Test
    void eachDecoderRefusesTheOtherKinds() {
        refused(TrustProblem.WRONG_KIND, () -> NodeCertificate.parse(vector("ca")), "holds a CA certificate",
                "not a node certificate");
        refused(TrustProblem.WRONG_KIND, () -> NodeCertificate.parse(vector("revocation")), "revocation list");
        refused(TrustProblem.WRONG_KIND, () -> CaCertificate.decode(vector("node")), "not a CA certificate");
        refused(TrustProblem.WRONG_KIND, () -> RevocationList.parse(vector("node")), "not a revocation list",
                Fingerprint.of(vector("node")).toString());
        assertEquals(TrustKind.NODE, TrustKind.of(vector("node")));
        assertEquals(TrustKind.CA, TrustKind.of(vector("ca")));
        assertEquals(TrustKind.REVOCATION, TrustKind.of(vector("revocation")));
    }

    @Test
    void anUnknownKindIsRefused() throws Exception {
        byte[] seven = TrustProto.SignedTrust.parseFrom(vector("node")).toBuilder().setKindValue(7).build()
                .toByteArray();
        refused(TrustProblem.WRONG_KIND, () -> NodeCertificate.parse(seven), "unknown kind (7)");
        refused(TrustProblem.MALFORMED, () -> TrustKind.of(seven), "unknown kind (7)");
        byte[] none = TrustProto.SignedTrust.parseFrom(vector("node")).toBuilder().clearKind().build().toByteArray();
        refused(TrustProblem.MALFORMED, () -> TrustKind.of(none), "unknown kind (0)");
    }

    @Test
    void aRevocationListIsParsedWithItsOwnLimitNotTheCertificateOne() {
        TrustProto.RevocationBody.Builder body = TrustTestData.revocationBody();
        for (int i = 0; i < 200; i++) {
            body.addCertificates(ByteString.copyFrom(Fingerprint.of(new byte[] {(byte) i}).bytes()));
        }
        byte[] encoded = TrustTestData.signedRevocation(body);
        assertTrue(encoded.length > TrustCodec.MAX_CERTIFICATE_BYTES);
        assertEquals(200, RevocationList.parse(encoded).certificates().size());
        assertEquals(TrustKind.REVOCATION, TrustKind.of(encoded));
    }

    @Test
    void signingRefusesWhatDecodingWould() {
        CaCertificate ca = TrustTestData.ca();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> NodeCertificate.sign(CA_KEY, ca,
                "edge-1", TrustTestData.NODE_PEER, TrustTestData.CIDRS, "lab a", false, T0, T0 + 1));
        assertTrue(e.getMessage().contains("site 'lab a'"), e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
