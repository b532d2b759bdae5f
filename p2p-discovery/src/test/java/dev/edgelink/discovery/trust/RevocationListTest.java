package dev.edgelink.discovery.trust;

import static dev.edgelink.discovery.trust.TrustTestData.CA_END;
import static dev.edgelink.discovery.trust.TrustTestData.CA_KEY;
import static dev.edgelink.discovery.trust.TrustTestData.CIDRS;
import static dev.edgelink.discovery.trust.TrustTestData.NODE_PEER;
import static dev.edgelink.discovery.trust.TrustTestData.T0;
import static dev.edgelink.discovery.trust.TrustTestData.refused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.libp2p.ConfigurationException;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Revocation by fingerprint and by node name with its cutoff, the next list, and verification under the CA. */
class RevocationListTest {

    private static final long CUTOFF = T0 + 1_000_000;

    private final CaCertificate ca = TrustTestData.ca();
    private final TrustAnchors anchors = TrustAnchors.of(List.of(ca));

    @Test
    void aListedFingerprintRevokesExactlyThatCertificate() {
        NodeCertificate revoked = TrustTestData.node("edge-1", T0);
        NodeCertificate sameNodeLater = TrustTestData.node("edge-1", T0 + 1);
        RevocationList list = RevocationList.sign(CA_KEY, ca, 1, CUTOFF, List.of(revoked.fingerprint()), Map.of());
        assertTrue(list.revokes(revoked));
        assertTrue(list.revokes(NodeCertificate.parse(revoked.encoded())));
        assertFalse(list.revokes(sameNodeLater));
    }

    @Test
    void aListedNodeRevokesItsCertificatesValidFromTheCutoffOrEarlier() {
        RevocationList list = RevocationList.sign(CA_KEY, ca, 1, CUTOFF, List.of(), Map.of("edge-1", CUTOFF));
        assertTrue(list.revokes(TrustTestData.node("edge-1", T0)));
        assertTrue(list.revokes(TrustTestData.node("edge-1", CUTOFF)));
        assertFalse(list.revokes(TrustTestData.node("edge-1", CUTOFF + 1)), "a new certificate re-admits the node");
        assertFalse(list.revokes(TrustTestData.node("edge-2", T0)));
    }

    @Test
    void aListRevokesNothingOfAnotherCa() {
        PrivKey otherKey = Keys.generateEd25519();
        CaCertificate other = CaCertificate.create(otherKey, "other-ca", T0, CA_END);
        NodeCertificate foreign = NodeCertificate.sign(otherKey, other, "edge-1", NODE_PEER, CIDRS, "", false, T0,
                CA_END);
        RevocationList list = RevocationList.sign(CA_KEY, ca, 1, CUTOFF, List.of(foreign.fingerprint()),
                Map.of("edge-1", CUTOFF));
        assertFalse(list.revokes(foreign));
    }

    @Test
    void theNextListKeepsEverythingAndCountsOn() {
        NodeCertificate a = TrustTestData.node("edge-a", T0);
        RevocationList first = RevocationList.sign(CA_KEY, ca, 1, CUTOFF, List.of(a.fingerprint()),
                Map.of("edge-1", CUTOFF));
        NodeCertificate b = TrustTestData.node("edge-b", T0);
        RevocationList second = first.with(CA_KEY, ca, CUTOFF + 5, List.of(b.fingerprint()),
                Map.of("edge-1", CUTOFF - 10, "edge-2", CUTOFF + 5));
        assertEquals(2, second.sequence());
        assertEquals(CUTOFF + 5, second.issuedAtMillis());
        assertEquals(Set.of(a.fingerprint(), b.fingerprint()), second.certificates());
        assertEquals(Map.of("edge-1", CUTOFF, "edge-2", CUTOFF + 5), second.nodes(), "the later cutoff stays");
        assertEquals(second, anchors.verifyRevocation(second.encoded()));
        PrivKey otherKey = Keys.generateEd25519();
        CaCertificate other = CaCertificate.create(otherKey, "other-ca", T0, CA_END);
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> first.with(otherKey, other, CUTOFF, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("belongs to CA " + ca.fingerprint()), e.getMessage());
    }

    @Test
    void theSameContentGivesTheSameBytesWhateverTheOrder() {
        List<Fingerprint> certs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            certs.add(Fingerprint.of(new byte[] {(byte) i}));
        }
        Map<String, Long> nodes = new LinkedHashMap<>();
        nodes.put("zeta", 1L);
        nodes.put("alpha", 2L);
        RevocationList one = RevocationList.sign(CA_KEY, ca, 3, CUTOFF, certs, nodes);
        Map<String, Long> reversedNodes = new LinkedHashMap<>();
        reversedNodes.put("alpha", 2L);
        reversedNodes.put("zeta", 1L);
        List<Fingerprint> reversedCerts = new ArrayList<>(certs);
        Collections.reverse(reversedCerts);
        RevocationList two = RevocationList.sign(CA_KEY, ca, 3, CUTOFF, reversedCerts, reversedNodes);
        assertArrayEquals(one.encoded(), two.encoded());
        assertEquals(List.of("alpha", "zeta"), List.copyOf(one.nodes().keySet()));
    }

    @Test
    void verificationNeedsTheNamedCaAndItsSignature() {
        PrivKey otherKey = Keys.generateEd25519();
        CaCertificate other = CaCertificate.create(otherKey, "other-ca", T0, CA_END);
        RevocationList foreign = RevocationList.sign(otherKey, other, 7, CUTOFF, List.of(), Map.of("edge-1", 1L));
        refused(TrustProblem.UNKNOWN_CA, () -> anchors.verifyRevocation(foreign.encoded()), "sequence 7",
                other.fingerprint().hex());
        byte[] flipped = TrustTestData.flipBit(TrustTestData.vector("revocation"),
                TrustTestData.vector("revocation").length * 8 - 3);
        refused(TrustProblem.BAD_SIGNATURE, () -> anchors.verifyRevocation(flipped), "'edgelink-ca'",
                Fingerprint.of(flipped).toString());
        assertEquals(1, anchors.verifyRevocation(TrustTestData.vector("revocation")).sequence());
        assertEquals(2, anchors.signatureChecks());
    }

    @Test
    void signingRefusesAKeyThatIsNotTheCasAndTooManyEntries() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> RevocationList.sign(
                Keys.generateEd25519(), ca, 1, CUTOFF, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("not the key of CA 'edgelink-ca'"), e.getMessage());
        Map<String, Long> many = new HashMap<>();
        for (int i = 0; i <= 65_536; i++) {
            many.put("n" + i, 1L);
        }
        e = assertThrows(ConfigurationException.class, () -> RevocationList.sign(CA_KEY, ca, 1, CUTOFF, List.of(),
                many));
        assertTrue(e.getMessage().contains("65537 entries"), e.getMessage());
    }
}
