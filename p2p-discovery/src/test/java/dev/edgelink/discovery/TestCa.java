package dev.edgelink.discovery;

import dev.edgelink.discovery.trust.CaCertificate;
import dev.edgelink.discovery.trust.Fingerprint;
import dev.edgelink.discovery.trust.NodeCertificate;
import dev.edgelink.discovery.trust.RevocationList;
import dev.edgelink.discovery.trust.TrustAnchors;
import dev.edgelink.libp2p.crypto.Keys;
import dev.edgelink.libp2p.crypto.PrivKey;
import dev.edgelink.libp2p.peer.PeerId;
import dev.edgelink.net.IpPrefix;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A cluster CA for tests and benchmarks: a fresh Ed25519 key, its self-signed certificate, and what it signs (node
 * certificates, revocation lists). Every time is an argument; nothing reads the clock.
 */
public final class TestCa {

    /** The clock skew the tests' stores allow (the shipped default). */
    public static final Duration SKEW = MembershipStore.DEFAULT_CLOCK_SKEW;

    private final PrivKey key;
    private final CaCertificate certificate;

    private TestCa(PrivKey key, CaCertificate certificate) {
        this.key = key;
        this.certificate = certificate;
    }

    /** A CA named {@code name} valid from {@code notBeforeMillis} to {@code notAfterMillis}. */
    public static TestCa create(String name, long notBeforeMillis, long notAfterMillis) {
        PrivKey key = Keys.generateEd25519();
        return new TestCa(key, CaCertificate.create(key, name, notBeforeMillis, notAfterMillis));
    }

    public CaCertificate certificate() {
        return certificate;
    }

    /** Fresh anchors (an empty signature cache) that trust this CA only. */
    public TrustAnchors anchors() {
        return TrustAnchors.of(List.of(certificate));
    }

    /** A fresh trust (own anchors, no revocation list) for one store, with {@link #SKEW}. */
    public MembershipTrust trust() {
        return MembershipTrust.withCa(anchors(), SKEW);
    }

    /** A certificate for {@code node} with the given grants and validity. */
    public NodeCertificate certify(String node, PeerId peer, List<String> podCidrs, String site, boolean relay,
            long notBeforeMillis, long notAfterMillis) {
        return NodeCertificate.sign(key, certificate, node, peer, podCidrs.stream().map(IpPrefix::parse).toList(),
                site, relay, notBeforeMillis, notAfterMillis);
    }

    /** A certificate for one pod CIDR, no site, no relay role, valid as long as the CA. */
    public NodeCertificate certify(String node, PeerId peer, String podCidr) {
        return certify(node, peer, List.of(podCidr), "", false, certificate.notBeforeMillis(),
                certificate.notAfterMillis());
    }

    /** Revocation list {@code sequence}, revoking {@code certs} and {@code nodes} (node name to cutoff). */
    public byte[] revocation(long sequence, long issuedAtMillis, Collection<Fingerprint> certs,
            Map<String, Long> nodes) {
        return RevocationList.sign(key, certificate, sequence, issuedAtMillis, certs, nodes).encoded();
    }
}
