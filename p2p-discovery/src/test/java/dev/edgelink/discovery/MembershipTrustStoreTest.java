package dev.edgelink.discovery;

import static dev.edgelink.discovery.TestRecords.T0;
import static dev.edgelink.discovery.TestRecords.TTL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store with a cluster CA: what a record must prove to be admitted, what happens when two valid certificates
 * claim the same thing, and how revocation lists remove members. Time is an argument: {@code NOW}, a second after
 * the records' issue time {@code T0}, and offsets from it.
 */
class MembershipTrustStoreTest {

    private static final long NOW = T0 + 1_000;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;
    private static final long SKEW = TestCa.SKEW.toMillis();
    private static final TestCa CA = TestCa.create("cluster-ca", T0 - DAY, T0 + 365 * DAY);
    private static final TestCa FOREIGN = TestCa.create("other-ca", T0 - DAY, T0 + 365 * DAY);
    private static final PrivKey RESIDENT = Keys.generateEd25519();
    private static final PrivKey A = Keys.generateEd25519();
    private static final PrivKey B = Keys.generateEd25519();

    private MembershipStore store;
    private final List<String> events = new ArrayList<>();

    @BeforeEach
    void setUp() {
        store = storeWith(MembershipTrust.withCa(TrustAnchors.of(List.of(CA.certificate())), Duration.ofSeconds(30)));
    }

    /** A store holding one certified member, node-0 on 10.244.0.0/24, with the events after it cleared. */
    private MembershipStore storeWith(MembershipTrust trust) {
        MembershipStore s = MembershipStore.inMemory(StoreLimits.DEFAULT, trust);
        s.addListener(MembershipStoreContractTest.recorder(events));
        NodeCertificate cert = CA.certify("node-0", TestRecords.peerOf(RESIDENT), "10.244.0.0/24");
        assertTrue(s.offer(certified(RESIDENT, "node-0", cert, "10.244.0.0/24"), NOW).isAccepted());
        events.clear();
        return s;
    }

    private static NodeRecord.Builder record(PrivKey key, String name, NodeCertificate cert, String... cidrs) {
        NodeRecord.Builder b = TestRecords.record(key, name, null, 1);
        for (String cidr : cidrs) {
            b.podCidr(cidr);
        }
        return cert == null ? b : b.certificate(cert);
    }

    private static byte[] signed(PrivKey key, NodeRecord.Builder record) {
        return NodeRecords.sign(key, record.build()).envelope();
    }

    private static byte[] certified(PrivKey key, String name, NodeCertificate cert, String... cidrs) {
        return signed(key, record(key, name, cert, cidrs));
    }

    /** A certificate of {@link #CA} for node-a (key A) on {@code cidrs}, no site, no relay role. */
    private static NodeCertificate certA(String... cidrs) {
        return CA.certify("node-a", TestRecords.peerOf(A), List.of(cidrs), "", false, T0 - HOUR, T0 + DAY);
    }

    /** Offers {@code envelope} at {@code now}: refused for {@code reason}, and the view and listeners see nothing. */
    private OfferResult assertRefused(RejectReason reason, byte[] envelope, long now, String... detailParts) {
        Map<?, Long> digest = store.digest();
        List<SignedRecord> members = store.members();
        OfferResult result = store.offer(envelope, now);
        assertEquals(OfferResult.Status.REJECTED, result.status(), result.detail());
        assertEquals(reason, result.reason().orElseThrow(), result.detail());
        for (String part : detailParts) {
            assertTrue(result.detail().contains(part), "'" + result.detail() + "' should mention '" + part + "'");
        }
        assertEquals(digest, store.digest());
        assertEquals(Set.copyOf(members), Set.copyOf(store.members()));
        assertEquals(List.of(), events);
        return result;
    }

    private void assertAccepted(byte[] envelope, long now) {
        OfferResult result = store.offer(envelope, now);
        assertTrue(result.isAccepted(), result.detail());
    }

    @Test
    void aValidCertifiedRecordIsAcceptedAndCarriesItsCertificate() {
        NodeCertificate cert = certA("10.244.1.0/24");
        assertAccepted(certified(A, "node-a", cert, "10.244.1.0/24"), NOW);
        assertEquals(List.of("joined node-a@1"), events);
        assertEquals(cert, store.member(TestRecords.peerOf(A)).orElseThrow().record().certificate().orElseThrow());
        assertEquals(2, store.members().size());
    }

    @Test
    void aRecordWithoutACertificateIsRefused() {
        assertRefused(RejectReason.NO_CERTIFICATE, certified(A, "node-a", null, "10.244.1.0/24"), NOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.244.1.0/24", "10.0.0.0/8", "10.244.9.0/24,10.244.1.0/24"})
    void podCidrsOtherThanTheCertificatesAreRefused(String announced) {
        NodeCertificate cert = certA("10.244.9.0/24");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-a", cert, announced.split(",")), NOW,
                "pod CIDRs");
    }

    @Test
    void allPodCidrsOfTheCertificateMustBeAnnounced() {
        NodeCertificate cert = certA("10.244.9.0/24", "fd00:10:244:9::/64");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-a", cert, "10.244.9.0/24"), NOW);
        assertAccepted(certified(A, "node-a", cert, "fd00:10:244:9::/64", "10.244.9.0/24"), NOW);
    }

    @Test
    void theCertificateOfAnotherPeerIsRefused() {
        NodeCertificate ofB = CA.certify("node-a", TestRecords.peerOf(B), "10.244.1.0/24");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-a", ofB, "10.244.1.0/24"), NOW,
                "for peer " + TestRecords.peerOf(B));
    }

    @Test
    void anotherNodeNameThanTheCertificatesIsRefused() {
        NodeCertificate cert = certA("10.244.1.0/24");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-b", cert, "10.244.1.0/24"), NOW,
                "for node node-a");
    }

    @Test
    void aSiteNotGrantedIsRefused() {
        NodeCertificate none = certA("10.244.1.0/24");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, signed(A, record(A, "node-a", none, "10.244.1.0/24")
                .site("lab-b")), NOW, "site");
        NodeCertificate labA = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "lab-a", false,
                T0 - HOUR, T0 + DAY);
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, signed(A, record(A, "node-a", labA, "10.244.1.0/24")
                .site("lab-b")), NOW, "site");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-a", labA, "10.244.1.0/24"), NOW, "site");
        assertAccepted(signed(A, record(A, "node-a", labA, "10.244.1.0/24").site("lab-a")), NOW);
    }

    @Test
    void theRelayRoleOnlyIfGranted() {
        NodeCertificate plain = certA("10.244.1.0/24");
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, signed(A, record(A, "node-a", plain, "10.244.1.0/24")
                .relayRole(RelayRole.RELAY)), NOW, "relay");
        NodeCertificate relay = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", true,
                T0 - HOUR, T0 + DAY);
        // A granted role need not be used.
        assertAccepted(certified(A, "node-a", relay, "10.244.1.0/24"), NOW);
        assertAccepted(signed(A, record(A, "node-a", relay, "10.244.1.0/24").sequence(2)
                .relayRole(RelayRole.RELAY)), NOW);
    }

    @Test
    void aRecordMayExpireWithItsCertificateButNotAfterIt() {
        long recordEnd = T0 + TTL;
        NodeCertificate shorter = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                T0 - HOUR, recordEnd - 1);
        assertRefused(RejectReason.CERTIFICATE_MISMATCH, certified(A, "node-a", shorter, "10.244.1.0/24"), NOW,
                "after its certificate");
        NodeCertificate exact = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                T0 - HOUR, recordEnd);
        assertAccepted(certified(A, "node-a", exact, "10.244.1.0/24"), NOW);
    }

    @Test
    void aCertificateOfAForeignCaIsRefused() {
        NodeCertificate foreign = FOREIGN.certify("node-a", TestRecords.peerOf(A), "10.244.1.0/24");
        assertRefused(RejectReason.CERTIFICATE_INVALID, certified(A, "node-a", foreign, "10.244.1.0/24"), NOW,
                "not trusted here");
    }

    @Test
    void anExpiredCertificateIsRefused() {
        NodeCertificate expired = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                T0 - DAY, T0 - HOUR);
        assertRefused(RejectReason.CERTIFICATE_INVALID, certified(A, "node-a", expired, "10.244.1.0/24"), NOW,
                "expired");
    }

    @Test
    void aCertificateNotYetValidIsRefusedBeyondTheClockSkew() {
        NodeCertificate early = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                NOW + SKEW + 1, T0 + DAY);
        assertRefused(RejectReason.CERTIFICATE_INVALID, certified(A, "node-a", early, "10.244.1.0/24"), NOW,
                "valid only from");
        NodeCertificate withinSkew = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                NOW + SKEW, T0 + DAY);
        assertAccepted(certified(A, "node-a", withinSkew, "10.244.1.0/24"), NOW);
    }

    @Test
    void aRecordIssuedLaterThanNowPlusTheSkewIsRefused() {
        NodeCertificate cert = certA("10.244.1.0/24");
        long tenYears = 3_650 * DAY;
        assertRefused(RejectReason.FROM_THE_FUTURE, signed(A, record(A, "node-a", cert, "10.244.1.0/24")
                .issuedAtMillis(NOW + tenYears).expiresAtMillis(NOW + tenYears + TTL)), NOW);
        assertRefused(RejectReason.FROM_THE_FUTURE, signed(A, record(A, "node-a", cert, "10.244.1.0/24")
                .issuedAtMillis(NOW + SKEW + 1).expiresAtMillis(NOW + TTL)), NOW);
        assertAccepted(signed(A, record(A, "node-a", cert, "10.244.1.0/24").issuedAtMillis(NOW + SKEW)
                .expiresAtMillis(NOW + TTL)), NOW);
    }

    @Test
    void aRecordFromTheFutureIsRefusedInInsecureModeToo() {
        store = storeWith(MembershipTrust.insecure(Duration.ofSeconds(30)));
        long tenYears = 3_650 * DAY;
        assertRefused(RejectReason.FROM_THE_FUTURE, signed(A, record(A, "node-a", null, "10.244.1.0/24")
                .issuedAtMillis(NOW + tenYears).expiresAtMillis(NOW + tenYears + TTL)), NOW);
    }

    @Test
    void aCertificateRevokedByFingerprintIsRefused() {
        NodeCertificate cert = certA("10.244.1.0/24");
        assertTrue(store.offerRevocation(CA.revocation(1, NOW, List.of(cert.fingerprint()), Map.of()), NOW)
                .isAccepted());
        assertRefused(RejectReason.REVOKED, certified(A, "node-a", cert, "10.244.1.0/24"), NOW, "revoked");
        assertTrue(store.trust().isRevoked(TestRecords.peerOf(A)));
        // Another certificate of the same node is not on the list.
        NodeCertificate renewed = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                T0 - HOUR + 1, T0 + DAY);
        assertAccepted(certified(A, "node-a", renewed, "10.244.1.0/24"), NOW);
        assertFalse(store.trust().isRevoked(TestRecords.peerOf(A)));
    }

    @Test
    void aNodeRevokedByNameIsRefusedUntilACertificateSignedAfterTheCutoff() {
        long cutoff = T0 - HOUR;
        NodeCertificate atCutoff = certA("10.244.1.0/24");
        assertEquals(cutoff, atCutoff.notBeforeMillis());
        assertTrue(store.offerRevocation(CA.revocation(1, NOW, List.of(), Map.of("node-a", cutoff)), NOW)
                .isAccepted());
        assertRefused(RejectReason.REVOKED, certified(A, "node-a", atCutoff, "10.244.1.0/24"), NOW);
        NodeCertificate earlier = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                T0 - DAY, T0 + DAY);
        assertRefused(RejectReason.REVOKED, certified(A, "node-a", earlier, "10.244.1.0/24"), NOW);
        NodeCertificate after = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.244.1.0/24"), "", false,
                cutoff + 1, T0 + DAY);
        assertAccepted(certified(A, "node-a", after, "10.244.1.0/24"), NOW);
        assertEquals(List.of("joined node-a@1"), events);
    }

    /** node-a (10.250.1.0/24) and node-b (10.250.0.0/16): both certificates valid, the CIDRs overlap. */
    private static byte[][] overlappingPair() {
        NodeCertificate a = CA.certify("node-a", TestRecords.peerOf(A), "10.250.1.0/24");
        NodeCertificate b = CA.certify("node-b", TestRecords.peerOf(B), "10.250.0.0/16");
        return new byte[][] {certified(A, "node-a", a, "10.250.1.0/24"), certified(B, "node-b", b, "10.250.0.0/16")};
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void twoValidCertificatesForOverlappingCidrsAreBothRefusedWhicheverCameFirst(boolean aFirst) {
        byte[][] pair = overlappingPair();
        byte[] first = aFirst ? pair[0] : pair[1];
        byte[] second = aFirst ? pair[1] : pair[0];
        String firstName = aFirst ? "node-a" : "node-b";
        assertAccepted(first, NOW);
        events.clear();
        OfferResult disputed = store.offer(second, NOW);
        assertEquals(RejectReason.DISPUTED, disputed.reason().orElseThrow(), disputed.detail());
        assertEquals(List.of("left " + firstName + "@1 REVOKED"), events);
        assertEquals(List.of("node-0"), store.members().stream().map(SignedRecord::nodeName).toList());
        events.clear();
        assertRefused(RejectReason.DISPUTED, first, NOW);
        assertRefused(RejectReason.DISPUTED, second, NOW);
        assertRefused(RejectReason.DISPUTED, first, NOW + 1);
    }

    @Test
    void twoValidCertificatesForOneNodeNameAreBothRefused() {
        NodeCertificate a = CA.certify("node-x", TestRecords.peerOf(A), "10.250.1.0/24");
        NodeCertificate b = CA.certify("node-x", TestRecords.peerOf(B), "10.250.2.0/24");
        assertAccepted(certified(A, "node-x", a, "10.250.1.0/24"), NOW);
        events.clear();
        OfferResult disputed = store.offer(certified(B, "node-x", b, "10.250.2.0/24"), NOW);
        assertEquals(RejectReason.DISPUTED, disputed.reason().orElseThrow(), disputed.detail());
        assertEquals(List.of("left node-x@1 REVOKED"), events);
        events.clear();
        assertRefused(RejectReason.DISPUTED, certified(A, "node-x", a, "10.250.1.0/24"), NOW);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void revokingOneCertificateOfADisputeFreesTheOther(boolean revokeTheFirst) {
        NodeCertificate a = CA.certify("node-a", TestRecords.peerOf(A), "10.250.1.0/24");
        NodeCertificate b = CA.certify("node-b", TestRecords.peerOf(B), "10.250.0.0/16");
        byte[] recordA = certified(A, "node-a", a, "10.250.1.0/24");
        byte[] recordB = certified(B, "node-b", b, "10.250.0.0/16");
        assertAccepted(recordA, NOW);
        assertEquals(RejectReason.DISPUTED, store.offer(recordB, NOW).reason().orElseThrow());
        events.clear();
        NodeCertificate revoked = revokeTheFirst ? a : b;
        assertTrue(store.offerRevocation(CA.revocation(1, NOW, List.of(revoked.fingerprint()), Map.of()), NOW)
                .isAccepted());
        byte[] freed = revokeTheFirst ? recordB : recordA;
        byte[] gone = revokeTheFirst ? recordA : recordB;
        assertAccepted(freed, NOW);
        assertEquals(List.of("joined " + (revokeTheFirst ? "node-b" : "node-a") + "@1"), events);
        events.clear();
        assertRefused(RejectReason.REVOKED, gone, NOW);
    }

    @Test
    void aDisputeEndsWhenTheRivalCertificateExpires() {
        long aEnd = T0 + HOUR;
        NodeCertificate a = CA.certify("node-a", TestRecords.peerOf(A), List.of("10.250.1.0/24"), "", false,
                T0 - HOUR, aEnd);
        NodeCertificate b = CA.certify("node-b", TestRecords.peerOf(B), "10.250.0.0/16");
        assertAccepted(certified(A, "node-a", a, "10.250.1.0/24"), NOW);
        assertEquals(RejectReason.DISPUTED, store.offer(certified(B, "node-b", b, "10.250.0.0/16"), NOW).reason()
                .orElseThrow());
        events.clear();
        // b's next records, issued around the end of a's certificate (the resident expired long before).
        byte[] before = signed(B, record(B, "node-b", b, "10.250.0.0/16").sequence(2).issuedAtMillis(aEnd - 1)
                .expiresAtMillis(aEnd - 1 + TTL));
        byte[] at = signed(B, record(B, "node-b", b, "10.250.0.0/16").sequence(3).issuedAtMillis(aEnd)
                .expiresAtMillis(aEnd + TTL));
        store.sweep(aEnd - 1);
        events.clear();
        assertRefused(RejectReason.DISPUTED, before, aEnd - 1);
        store.sweep(aEnd);
        assertAccepted(at, aEnd);
        assertEquals(List.of("joined node-b@3"), events);
    }

    @Test
    void aNewerRevocationListRemovesTheMembersItRevokes() {
        NodeCertificate a = certA("10.244.1.0/24");
        byte[] recordA = certified(A, "node-a", a, "10.244.1.0/24");
        assertAccepted(recordA, NOW);
        events.clear();
        OfferResult taken = store.offerRevocation(CA.revocation(1, NOW, List.of(a.fingerprint()), Map.of()), NOW);
        assertTrue(taken.isAccepted(), taken.detail());
        assertEquals(List.of("left node-a@1 REVOKED"), events);
        assertTrue(store.member(TestRecords.peerOf(A)).isEmpty());
        assertTrue(store.record(TestRecords.peerOf(A)).isEmpty());
        assertTrue(store.trust().isRevoked(TestRecords.peerOf(A)));
        assertFalse(store.trust().isRevoked(TestRecords.peerOf(RESIDENT)));
        assertEquals(List.of("node-0"), store.members().stream().map(SignedRecord::nodeName).toList());
        events.clear();
        assertRefused(RejectReason.REVOKED, recordA, NOW);
    }

    @Test
    void aRevocationListNotNewerThanTheHeldOneIsStale() {
        NodeCertificate a = certA("10.244.1.0/24");
        assertAccepted(certified(A, "node-a", a, "10.244.1.0/24"), NOW);
        byte[] second = CA.revocation(2, NOW, List.of(), Map.of("node-9", T0));
        assertTrue(store.offerRevocation(second, NOW).isAccepted());
        events.clear();
        assertEquals(OfferResult.Status.STALE, store.offerRevocation(second, NOW).status());
        OfferResult older = store.offerRevocation(CA.revocation(1, NOW, List.of(a.fingerprint()), Map.of()), NOW);
        assertEquals(OfferResult.Status.STALE, older.status(), older.detail());
        OfferResult sameSequence = store.offerRevocation(CA.revocation(2, NOW + 1, List.of(a.fingerprint()),
                Map.of()), NOW);
        assertEquals(OfferResult.Status.STALE, sameSequence.status(), sameSequence.detail());
        assertTrue(store.member(TestRecords.peerOf(A)).isPresent());
        assertFalse(store.trust().isRevoked(TestRecords.peerOf(A)));
        assertEquals(2L, store.trust().revocationDigest().get(CA.certificate().fingerprint()));
        assertEquals(List.of(), events);
    }

    @Test
    void aRevocationListSignedByAForeignCaIsRejected() {
        NodeCertificate a = certA("10.244.1.0/24");
        assertAccepted(certified(A, "node-a", a, "10.244.1.0/24"), NOW);
        events.clear();
        OfferResult result = store.offerRevocation(FOREIGN.revocation(1, NOW, List.of(a.fingerprint()),
                Map.of("node-a", T0)), NOW);
        assertEquals(OfferResult.Status.REJECTED, result.status(), result.detail());
        assertTrue(result.detail().contains("not trusted here"), result.detail());
        assertTrue(store.member(TestRecords.peerOf(A)).isPresent());
        assertFalse(store.trust().isRevoked(TestRecords.peerOf(A)));
        assertTrue(store.trust().revocationDigest().isEmpty());
        assertEquals(List.of(), events);
    }

    @Test
    void insecureModeNeedsNoCertificateAndTheFirstRecordKeepsItsClaims() {
        store = storeWith(MembershipTrust.insecure(Duration.ofSeconds(30)));
        assertAccepted(certified(A, "node-a", null, "10.250.1.0/24"), NOW);
        events.clear();
        assertRefused(RejectReason.POD_CIDR_OVERLAP, certified(B, "node-b", null, "10.250.0.0/16"), NOW);
        assertRefused(RejectReason.NODE_NAME_TAKEN, certified(B, "node-a", null, "10.251.0.0/16"), NOW);
        // Certificates mean nothing without a CA: two overlapping ones are first come, first served, not disputed.
        NodeCertificate b = CA.certify("node-b", TestRecords.peerOf(B), "10.250.0.0/16");
        assertRefused(RejectReason.POD_CIDR_OVERLAP, certified(B, "node-b", b, "10.250.0.0/16"), NOW);
        assertTrue(store.member(TestRecords.peerOf(A)).isPresent());
        assertEquals(OfferResult.Status.REJECTED, store.offerRevocation(CA.revocation(1, NOW, List.of(),
                Map.of("node-a", T0)), NOW).status());
    }
}
