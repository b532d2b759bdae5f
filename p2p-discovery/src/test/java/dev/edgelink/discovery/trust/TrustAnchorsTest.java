package dev.edgelink.discovery.trust;

import static dev.edgelink.discovery.trust.TrustTestData.CA_END;
import static dev.edgelink.discovery.trust.TrustTestData.CA_KEY;
import static dev.edgelink.discovery.trust.TrustTestData.CIDRS;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_END;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_PEER;
import static dev.edgelink.discovery.trust.TrustTestData.T0;
import static dev.edgelink.discovery.trust.TrustTestData.refused;
import static dev.edgelink.discovery.trust.TrustTestData.vector;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgelink.discovery.internal.pb.TrustProto;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Verification of node certificates under the trusted CAs: signature, CA, time, tampering and the cache. */
class TrustAnchorsTest {

    private static final long SKEW = 30_000;
    private static final long NOW = T0 + 24 * TrustTestData.HOUR;

    private final CaCertificate ca = TrustTestData.ca();
    private final TrustAnchors anchors = TrustAnchors.of(List.of(ca));

    @Test
    void aCertificateOfOurCaVerifiesWithinItsValidity() {
        NodeCertificate node = NodeCertificate.parse(vector("node"));
        assertDoesNotThrow(() -> anchors.verify(node, NOW, SKEW));
        assertEquals(List.of(ca), anchors.cas());
        assertEquals(ca, anchors.ca(ca.fingerprint()).orElseThrow());
    }

    @Test
    void aCertificateOfAnotherCaIsFromAnUnknownCa() {
        PrivKey otherKey = Keys.generateEd25519();
        CaCertificate other = CaCertificate.create(otherKey, "other-ca", T0, CA_END);
        NodeCertificate foreign = NodeCertificate.sign(otherKey, other, "edge-1", NODE_PEER, CIDRS, "", false, T0,
                NODE_END);
        refused(TrustProblem.UNKNOWN_CA, () -> anchors.verify(foreign, NOW, SKEW), other.fingerprint().hex(),
                "edge-1", "'edgelink-ca' " + ca.fingerprint());
        TrustAnchors both = TrustAnchors.of(List.of(ca, other));
        assertDoesNotThrow(() -> both.verify(foreign, NOW, SKEW));
        assertDoesNotThrow(() -> both.verify(TrustTestData.node(), NOW, SKEW));
    }

    @Test
    void aCertificateNamingOurCaButSignedByAnotherKeyHasABadSignature() {
        PrivKey otherKey = Keys.generateEd25519();
        byte[] forged = TrustTestData.envelope(2, TrustTestData.nodeBody().build().toByteArray(), otherKey,
                "edgelink-trust-node:");
        NodeCertificate c = NodeCertificate.parse(forged);
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(c, NOW, SKEW), "edge-1",
                Fingerprint.of(forged).toString(), "'edgelink-ca'");
    }

    @Test
    void oneBitFlippedInTheSiteIsABadSignature() {
        byte[] node = vector("node");
        int site = indexOf(node, "lab-a".getBytes(US_ASCII));
        byte[] tampered = TrustTestData.flipBit(node, (site + 4) * 8 + 6);   // 'a' -> 'c': still a valid site
        NodeCertificate c = NodeCertificate.parse(tampered);
        assertEquals("lab-c", c.site());
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(c, NOW, SKEW), "edge-1");
    }

    @Test
    void everyBitFlippedInACertificateIsRefused() {
        byte[] node = vector("node");
        Set<TrustProblem> seen = EnumSet.noneOf(TrustProblem.class);
        for (int bit = 0; bit < node.length * 8; bit++) {
            byte[] tampered = TrustTestData.flipBit(node, bit);
            InvalidCertificateException e = assertThrows(InvalidCertificateException.class,
                    () -> anchors.verify(NodeCertificate.parse(tampered), NOW, SKEW), "bit " + bit);
            seen.add(e.problem());
        }
        // bits in the structure break it, bits in the CA fingerprint name another CA, the rest break the signature
        assertEquals(EnumSet.of(TrustProblem.MALFORMED, TrustProblem.WRONG_KIND, TrustProblem.UNKNOWN_CA,
                TrustProblem.BAD_SIGNATURE), seen);
    }

    @Test
    void everyBitFlippedInTheSignatureIsABadSignature() {
        byte[] node = vector("node");
        int signatureStart = node.length - 64;
        for (int bit = signatureStart * 8; bit < node.length * 8; bit++) {
            NodeCertificate c = NodeCertificate.parse(TrustTestData.flipBit(node, bit));
            refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(c, NOW, SKEW), "edge-1");
        }
    }

    /**
     * A second signature for the same body (S + L, valid for a lax verifier) would give a revoked certificate a new
     * fingerprint; it must not verify.
     */
    @Test
    void aMalleatedSignatureDoesNotVerify() throws Exception {
        TrustProto.SignedTrust pb = TrustProto.SignedTrust.parseFrom(vector("node"));
        byte[] signature = pb.getSignature().toByteArray();
        BigInteger order = BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] sLittle = Arrays.copyOfRange(signature, 32, 64);
        BigInteger s = new BigInteger(1, reverse(sLittle)).add(order);
        byte[] sPlusL = reverse(toFixed32(s));
        System.arraycopy(sPlusL, 0, signature, 32, 32);
        NodeCertificate malleated = NodeCertificate.parse(pb.toBuilder().setSignature(ByteString.copyFrom(signature))
                .build().toByteArray());
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(malleated, NOW, SKEW));
    }

    private static byte[] reverse(byte[] b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[b.length - 1 - i];
        }
        return out;
    }

    private static byte[] toFixed32(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    @Test
    void aSelfSignatureFlippedIsABadSignature() {
        byte[] caBytes = vector("ca");
        refused(TrustProblem.BAD_SIGNATURE, () -> CaCertificate.decode(TrustTestData.flipBit(caBytes,
                caBytes.length * 8 - 1)), "self-signature", "'edgelink-ca'");
        byte[] renamed = TrustTestData.flipBit(caBytes, indexOf(caBytes, "edgelink".getBytes(US_ASCII)) * 8 + 7);
        refused(TrustProblem.BAD_SIGNATURE, () -> CaCertificate.decode(renamed), "ddgelink-ca");
    }

    @Test
    void kindsCannotBeSwappedBetweenNodeCertificatesAndRevocationLists() throws Exception {
        // The kind byte of a real node certificate changed to "revocation list", and back.
        byte[] asRevocation = TrustProto.SignedTrust.parseFrom(vector("node")).toBuilder().setKindValue(3).build()
                .toByteArray();
        refused(TrustProblem.WRONG_KIND, () -> NodeCertificate.parse(asRevocation));
        refused(TrustProblem.MALFORMED, () -> anchors.verifyRevocation(asRevocation));
        byte[] asNode = TrustProto.SignedTrust.parseFrom(vector("revocation")).toBuilder().setKindValue(2).build()
                .toByteArray();
        refused(TrustProblem.WRONG_KIND, () -> anchors.verifyRevocation(asNode));
        refused(TrustProblem.MALFORMED, () -> NodeCertificate.parse(asNode));
        // A body valid as the claimed kind but signed in the other kind's domain: the domains keep them apart.
        byte[] nodeInRevocationDomain = TrustTestData.envelope(2, TrustTestData.nodeBody().build().toByteArray(),
                CA_KEY, "edgelink-trust-revocation:");
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(NodeCertificate.parse(nodeInRevocationDomain),
                NOW, SKEW));
        byte[] revocationInNodeDomain = TrustTestData.envelope(3, TrustTestData.revocationBody().build()
                .toByteArray(), CA_KEY, "edgelink-trust-node:");
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verifyRevocation(revocationInNodeDomain),
                "sequence 1");
    }

    @Test
    void validityIsCheckedToTheMillisecondWithSkew() {
        NodeCertificate node = TrustTestData.node();
        assertDoesNotThrow(() -> anchors.verify(node, T0 - SKEW, SKEW));
        refused(TrustProblem.NOT_YET_VALID, () -> anchors.verify(node, T0 - SKEW - 1, SKEW),
                "valid only from 2023-11-14T22:13:20Z", "edge-1", node.fingerprint().toString());
        assertDoesNotThrow(() -> anchors.verify(node, NODE_END + SKEW - 1, SKEW));
        refused(TrustProblem.EXPIRED, () -> anchors.verify(node, NODE_END + SKEW, SKEW),
                "expired at 2024-11-13T22:13:20Z", "edge-1");
        assertDoesNotThrow(() -> anchors.verify(node, NODE_END - 1, 0));
        refused(TrustProblem.EXPIRED, () -> anchors.verify(node, NODE_END, 0));
        assertDoesNotThrow(() -> anchors.verify(node, NOW, Long.MAX_VALUE));
        refused(TrustProblem.EXPIRED, () -> anchors.verify(node, Long.MAX_VALUE - 1, 10));   // no wrap-around
        assertThrows(IllegalArgumentException.class, () -> anchors.verify(node, NOW, -1));
    }

    @Test
    void theCaValidityBoundsItsCertificates() {
        // A certificate outlasting its CA cannot be signed through the API; one made by hand is caught here.
        byte[] outlasting = TrustTestData.signedNode(TrustTestData.nodeBody().setNotBeforeMs(T0 - 1000)
                .setNotAfterMs(CA_END + 1000));
        NodeCertificate c = NodeCertificate.parse(outlasting);
        assertDoesNotThrow(() -> anchors.verify(c, T0, 0));
        refused(TrustProblem.NOT_YET_VALID, () -> anchors.verify(c, T0 - 1, 0), "its CA 'edgelink-ca'",
                "2023-11-14T22:13:20Z");
        refused(TrustProblem.EXPIRED, () -> anchors.verify(c, CA_END, 0), "its CA 'edgelink-ca'",
                "expired at 2033-11-11T22:13:20Z");
    }

    @Test
    void theSameCertificateIsVerifiedOnceFromItsFingerprint() {
        NodeCertificate node = TrustTestData.node();
        for (int i = 0; i < 10_000; i++) {
            anchors.verify(NodeCertificate.parse(node.encoded()), NOW, SKEW);
        }
        assertEquals(1, anchors.signatureChecks());
        // Time is checked every call, also for a cached signature.
        refused(TrustProblem.EXPIRED, () -> anchors.verify(node, NODE_END, 0));
        assertEquals(1, anchors.signatureChecks());
    }

    @Test
    void theSameFieldsUnderAnotherSignatureAreNotServedFromTheCache() throws Exception {
        NodeCertificate node = TrustTestData.node();
        anchors.verify(node, NOW, SKEW);
        TrustProto.SignedTrust pb = TrustProto.SignedTrust.parseFrom(node.encoded());
        byte[] signature = pb.getSignature().toByteArray();
        signature[10] ^= 1;
        NodeCertificate other = NodeCertificate.parse(pb.toBuilder().setSignature(ByteString.copyFrom(signature))
                .build().toByteArray());
        assertEquals(node.nodeName(), other.nodeName());
        assertEquals(node.podCidrs(), other.podCidrs());
        for (int i = 0; i < 3; i++) {
            refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verify(other, NOW, SKEW));
        }
        assertEquals(2, anchors.signatureChecks());
        anchors.verify(node, NOW, SKEW);
        assertEquals(2, anchors.signatureChecks());
    }

    @Test
    void theCacheIsBoundedAndDropsTheLeastRecentlyUsed() {
        TrustAnchors small = TrustAnchors.of(List.of(ca), 2);
        NodeCertificate a = TrustTestData.node("node-a", T0);
        NodeCertificate b = TrustTestData.node("node-b", T0);
        NodeCertificate c = TrustTestData.node("node-c", T0);
        small.verify(a, NOW, 0);
        small.verify(b, NOW, 0);
        small.verify(a, NOW, 0);              // a is now the most recently used
        assertEquals(2, small.signatureChecks());
        small.verify(c, NOW, 0);              // evicts b
        small.verify(a, NOW, 0);
        assertEquals(3, small.signatureChecks());
        small.verify(b, NOW, 0);
        assertEquals(4, small.signatureChecks());
    }

    @Test
    void verifyingFromManyThreadsAgreesWithOneThread() throws Exception {
        List<NodeCertificate> certs = List.of(TrustTestData.node("node-a", T0), TrustTestData.node("node-b", T0),
                NodeCertificate.parse(TrustTestData.flipBit(vector("node"), vector("node").length * 8 - 1)));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    int refusals = 0;
                    for (int i = 0; i < 2_000; i++) {
                        try {
                            anchors.verify(certs.get(i % 3), NOW, SKEW);
                        } catch (InvalidCertificateException e) {
                            refusals++;
                        }
                    }
                    return refusals;
                }));
            }
            for (Future<Integer> r : results) {
                assertEquals(666, r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(anchors.signatureChecks() >= 3 && anchors.signatureChecks() <= 12, "checks "
                + anchors.signatureChecks());
    }

    @Test
    void anchorsNeedACaAndCountEachOnce() {
        assertThrows(IllegalArgumentException.class, () -> TrustAnchors.of(List.of()));
        assertEquals(1, TrustAnchors.of(List.of(ca, CaCertificate.decode(ca.encoded()))).cas().size());
        assertFalse(anchors.ca(Fingerprint.of(new byte[0])).isPresent());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
